import { TargetError } from '../../../src/errors/codes';
import { createLogger } from '../../../src/log/logger';
import type { DeleteOperation, Operation, RevokeOperation } from '../../../src/model/plan';
import { openStateDb } from '../../../src/state/db';
import { Journal } from '../../../src/state/journal';
import { RunStore } from '../../../src/state/runs';
import { SnapshotStore } from '../../../src/state/snapshot';
import { applyPlan, type ApplyContext } from '../../../src/sync/apply';
import { createOf as create, deactivateOf, desiredUser, snapshotOf, updateOf as update } from '../builders';
import { FakeBulkTarget } from './fake-bulk-target';
import { noAnswer, serverError } from './fake-target';

function bulkContext(limits: { maxOperations?: number; maxPayloadBytes?: number } = {}) {
  const db = openStateDb(':memory:');
  const snapshot = new SnapshotStore(db);
  const target = new FakeBulkTarget();
  const runs = new RunStore(db);
  const runId = runs.start('sync');
  const ctx = (extra: Partial<ApplyContext> = {}): ApplyContext => ({
    runId,
    client: target,
    journal: new Journal(db, snapshot),
    logger: createLogger({ level: 'error', silent: true }),
    concurrency: 2,
    retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 },
    sleep: async () => undefined,
    bulk: { target, maxOperations: limits.maxOperations ?? 100, maxPayloadBytes: limits.maxPayloadBytes ?? 1_000_000 },
    ...extra,
  });
  const journal = (): unknown[] => db.prepare('SELECT seq, status, error FROM journal ORDER BY seq').all();
  return { db, snapshot, target, runId, ctx, journal };
}

function deactivate(uid: string, targetId: string): Operation {
  return deactivateOf(snapshotOf(desiredUser(uid), { targetId }));
}

const names = (n: number, prefix = 'user'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}.${String(i).padStart(2, '0')}`);

describe('applyPlan with SCIM Bulk', () => {
  it('sends creates, updates and deactivations in batches of maxOperations, confirmed like the single path', async () => {
    const t = bulkContext({ maxOperations: 3 });
    const bob = t.target.seed({ userName: 'bob.jones', externalId: 'id-bob.jones', active: true });
    const carol = t.target.seed({ userName: 'carol.white', externalId: 'id-carol.white', active: true });
    const ops = [...names(4).map(create), update('bob.jones', bob.id), deactivate('carol.white', carol.id)];
    const { results } = await applyPlan(t.ctx(), ops);

    expect(results.map((r) => r.outcome.status)).toEqual(ops.map(() => 'done'));
    expect(t.target.bulks.map((b) => b.length)).toEqual([3, 3]);
    expect(t.target.calls).toEqual([]);
    expect(t.target.users.size).toBe(6);
    expect(t.target.users.get(carol.id)?.active).toBe(false);
    // The snapshot holds the ids the target gave, and the journal is settled.
    const created = [...t.target.users.values()].find((u) => u.userName === 'user.00');
    expect(t.snapshot.get('id-user.00')).toMatchObject({ targetId: created?.id, userName: 'user.00' });
    expect(t.snapshot.get('id-bob.jones')).toMatchObject({ displayName: 'New Name' });
    expect(t.snapshot.get('id-carol.white')).toMatchObject({ active: false, deactivatedAt: expect.any(String) });
    expect(t.journal()).toEqual(ops.map((_, seq) => ({ seq, status: 'done', error: null })));
  });

  it('keeps on the single path what is not simple: If-Match, group memberships, revocations and deletes', async () => {
    const t = bulkContext();
    const bob = t.target.seed({ userName: 'bob.jones', externalId: 'id-bob.jones' });
    const erin = snapshotOf(desiredUser('erin.green'), { targetId: t.target.seed({ userName: 'erin.green' }).id });
    const frank = snapshotOf(desiredUser('frank.black'), { targetId: t.target.seed({ userName: 'frank.black' }).id });
    const withGroup = create('dave.brown');
    const grouped = { ...withGroup, desired: { ...withGroup.desired, targetGroups: ['Staff'] } };
    const revoke: RevokeOperation = {
      ...{ kind: 'revoke', externalId: erin.externalId, userName: erin.userName, dn: erin.dn, targetId: erin.targetId },
      previous: { ...erin, licenses: ['L1'] },
      revoke: { licenses: ['L1'], targetGroups: [] },
      why: 'access-removed',
    };
    const remove: DeleteOperation = {
      ...{ kind: 'delete', externalId: frank.externalId, userName: frank.userName, dn: frank.dn, targetId: frank.targetId },
      previous: frank,
    };
    const ops = [update('bob.jones', bob.id), grouped, create('alice.smith'), revoke, remove];
    const { results } = await applyPlan(t.ctx({ etag: true }), ops);
    expect(results.map((r) => r.outcome.status)).toEqual(ops.map(() => 'done'));
    expect(t.target.bulkOperations()).toEqual(['POST /Users']);
    expect(t.target.calls.map((c) => c.method).sort()).toEqual(['create', 'delete', 'get', 'get', 'group', 'patch', 'patch']);
  });

  it('sends nothing in bulk without a bulk context (the single path as before)', async () => {
    const t = bulkContext();
    await applyPlan(t.ctx({ bulk: undefined }), [create('alice.smith')]);
    expect(t.target.bulks).toEqual([]);
    expect(t.target.count('create')).toBe(1);
  });
});

describe('bulk answers that are not a confirmation', () => {
  it('409 adopts the provably same person on the single path, without another create', async () => {
    const t = bulkContext();
    const existing = t.target.seed({ userName: 'alice.smith', emails: [{ value: 'alice.smith@example.org', primary: true }] });
    const { results } = await applyPlan(t.ctx(), [create('alice.smith'), create('bob.jones')]);
    expect(results.map((r) => r.outcome)).toEqual([
      expect.objectContaining({ status: 'done', targetId: existing.id, adopted: true }),
      expect.objectContaining({ status: 'done' }),
    ]);
    expect(t.target.count('create')).toBe(0);
    expect(t.target.users.size).toBe(2);
    expect(t.target.users.get(existing.id)?.externalId).toBe('id-alice.smith');
  });

  it('409 by an account of another source: needs consolidation, exactly as without bulk', async () => {
    const t = bulkContext();
    t.target.seed({ userName: 'alice.smith', externalId: 'hr-42', emails: [{ value: 'alice.smith@example.org' }] });
    const { results, consolidation } = await applyPlan(t.ctx(), [create('alice.smith')]);
    expect(results[0]?.outcome).toMatchObject({ status: 'consolidation' });
    expect(consolidation).toEqual([expect.objectContaining({ reason: 'NEEDS_CONSOLIDATION', externalId: 'id-alice.smith' })]);
    expect(t.target.count('create') + t.target.count('patch')).toBe(0);
    expect(t.journal()).toEqual([{ seq: 0, status: 'failed', error: expect.stringContaining('another source') }]);
  });

  it.each([
    ['a 500 after the create landed', { status: 500 }],
    ['a 429', { status: 429 }],
    ['a missing result', { missing: true }],
    ['a 201 without location or id', { status: 201, response: undefined }],
  ])('%s: the create is looked up and adopted, never made twice', async (_what, override) => {
    const t = bulkContext();
    t.target.override = (op) => (op.bulkId === 'op0' ? override : undefined);
    const { results } = await applyPlan(t.ctx(), [create('alice.smith'), create('bob.jones')]);
    expect(results.map((r) => r.outcome.status)).toEqual(['done', 'done']);
    expect(results[0]?.outcome).toMatchObject({ adopted: true });
    expect(t.target.count('create')).toBe(0);
    expect(t.target.users.size).toBe(2);
  });

  it('a create that did not land (5xx, not applied) is looked up, then sent on its own', async () => {
    const t = bulkContext();
    t.target.override = () => ({ status: 503, applied: false });
    const { results } = await applyPlan(t.ctx(), [create('alice.smith')]);
    expect(results[0]?.outcome).toMatchObject({ status: 'done' });
    expect(t.target.calls.map((c) => c.method)).toEqual(['find', 'find', 'find', 'create']);
    expect(t.target.users.size).toBe(1);
  });

  it("any other 4xx is that user's failure, with the target's words, not sent again", async () => {
    const t = bulkContext();
    t.target.override = (op) =>
      op.bulkId === 'op0'
        ? { status: 400, applied: false, response: { detail: 'displayName too long', scimType: 'invalidValue' } }
        : undefined;
    const { results } = await applyPlan(t.ctx(), [create('alice.smith'), create('bob.jones')]);
    expect(results[0]?.outcome).toEqual({
      status: 'failed',
      error: 'create of alice.smith: POST /Users (in POST /Bulk) answered 400: displayName too long',
      detail: 'POST /Users (in POST /Bulk) answered 400: displayName too long',
      code: 'TARGET_HTTP',
      unsettled: false,
    });
    expect(results[1]?.outcome.status).toBe('done');
    expect(t.target.calls).toEqual([]);
  });

  it('a PATCH answered 404 fails that user; one answered 500 is sent again on its own', async () => {
    const t = bulkContext();
    const bob = t.target.seed({ userName: 'bob.jones', externalId: 'id-bob.jones', active: true });
    t.target.override = (op) => (op.path.endsWith(bob.id) ? { status: 500, applied: false } : undefined);
    const { results } = await applyPlan(t.ctx(), [deactivate('alice.smith', 'gone'), deactivate('bob.jones', bob.id)]);
    expect(results[0]?.outcome).toMatchObject({ status: 'failed', code: 'TARGET_HTTP', detail: expect.stringContaining('404') });
    expect(results[1]?.outcome).toMatchObject({ status: 'done' });
    expect(t.target.calls.map((c) => c.method)).toEqual(['patch']);
    expect(t.target.users.get(bob.id)?.active).toBe(false);
  });
});

describe('a bulk request that fails as a whole', () => {
  it('no answer after the creates landed: each is looked up and adopted; bulk is off for the rest of the run', async () => {
    const t = bulkContext({ maxOperations: 2 });
    t.target.failBulk(noAnswer('POST /Bulk'), { after: true });
    const ops = names(4).map(create);
    const { results } = await applyPlan(t.ctx({ concurrency: 1 }), ops);
    expect(results.map((r) => r.outcome.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(results.slice(0, 2).map((r) => r.outcome)).toEqual([
      expect.objectContaining({ adopted: true }),
      expect.objectContaining({ adopted: true }),
    ]);
    // The second batch was never sent in bulk: plain creates.
    expect(t.target.bulks).toHaveLength(1);
    expect(t.target.count('create')).toBe(2);
    expect(t.target.users.size).toBe(4);
  });

  it('a 500 before anything landed: every create is looked up, then created once', async () => {
    const t = bulkContext();
    t.target.failBulk(serverError('POST /Bulk'));
    const { results } = await applyPlan(t.ctx(), names(3).map(create));
    expect(results.map((r) => r.outcome.status)).toEqual(['done', 'done', 'done']);
    expect(t.target.count('create')).toBe(3);
    expect(t.target.users.size).toBe(3);
  });

  it('a refused token stops the run like a single request; the rest is marked not sent', async () => {
    const t = bulkContext({ maxOperations: 2 });
    t.target.failBulk(new TargetError('TARGET_AUTH', 'POST /Bulk answered 401: bad token', 401));
    await expect(applyPlan(t.ctx({ concurrency: 1 }), names(4).map(create))).rejects.toMatchObject({
      code: 'TARGET_AUTH',
      message: 'the target refused the API token (target.token): POST /Bulk answered 401: bad token',
    });
    expect(t.target.bulks).toHaveLength(1);
    expect(t.target.calls).toEqual([]);
    expect(t.journal()).toEqual([
      { seq: 0, status: 'failed', error: 'create of user.00: POST /Bulk answered 401: bad token' },
      { seq: 1, status: 'failed', error: 'create of user.01: POST /Bulk answered 401: bad token' },
      { seq: 2, status: 'failed', error: 'not sent: the target refused the credentials' },
      { seq: 3, status: 'failed', error: 'not sent: the target refused the credentials' },
    ]);
  });
});

describe('a target that refuses bulk requests only (403)', () => {
  it('turns bulk off and sends every operation on its own, creates without lookups', async () => {
    const t = bulkContext({ maxOperations: 2 });
    t.target.failBulk(new TargetError('TARGET_AUTH', 'POST /Bulk answered 403: bulk is not allowed for this client', 403));
    const { results } = await applyPlan(t.ctx({ concurrency: 1 }), names(5).map(create));
    expect(results.map((r) => r.outcome.status)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(t.target.bulks).toHaveLength(1);
    // Nothing was applied by the refused request: no lookups, one POST each.
    expect(t.target.calls.map((c) => c.method)).toEqual(['create', 'create', 'create', 'create', 'create']);
    expect(t.target.users.size).toBe(5);
  });

  it('a 403 on the single path as well stops the run like a refused token', async () => {
    const t = bulkContext({ maxOperations: 2 });
    const forbidden = (path: string): TargetError => new TargetError('TARGET_AUTH', `POST ${path} answered 403: forbidden`, 403);
    t.target.failBulk(forbidden('/Bulk'));
    t.target.fail('create', forbidden('/Users'));
    await expect(applyPlan(t.ctx({ concurrency: 1 }), names(4).map(create))).rejects.toMatchObject({ code: 'TARGET_AUTH' });
    expect(t.target.count('create')).toBe(1);
    expect(t.journal()).toEqual([0, 1, 2, 3].map((seq) => expect.objectContaining({ seq, status: 'failed' })));
  });
});

describe('progress: told once per operation settled', () => {
  it('counts each operation once, also those sent again on their own after a bulk', async () => {
    const t = bulkContext({ maxOperations: 3 });
    t.target.failBulk(serverError('POST /Bulk'));
    let settled = 0;
    const { results } = await applyPlan(t.ctx({ concurrency: 2, onSettled: () => (settled += 1) }), names(7).map(create));
    expect(results).toHaveLength(7);
    expect(settled).toBe(7);
  });
});

describe('stopping and the journal', () => {
  it('a stop before a batch leaves all of it pending for the next run', async () => {
    const t = bulkContext({ maxOperations: 2 });
    const lease: { lost?: string } = {};
    let asked = 0;
    const stopReason = (): string | undefined => {
      asked += 1;
      // Asked once before the first batch of two; then the lease is gone.
      if (asked > 1) lease.lost = 'the lease "apply" was taken over by another run';
      return lease.lost;
    };
    await expect(applyPlan(t.ctx({ concurrency: 1, stopReason }), names(4).map(create))).rejects.toMatchObject({
      code: 'RUN_STOPPED',
      message: expect.stringContaining('2 operation(s) not sent stay in the journal'),
    });
    expect(t.target.bulks).toHaveLength(1);
    expect(t.journal()).toEqual([
      { seq: 0, status: 'done', error: null },
      { seq: 1, status: 'done', error: null },
      { seq: 2, status: 'pending', error: null },
      { seq: 3, status: 'pending', error: null },
    ]);
  });

  it('operations sent in a failed bulk and then stopped stay pending, never "not sent"', async () => {
    const t = bulkContext();
    t.target.failBulk(noAnswer('POST /Bulk'), { after: true });
    let asked = 0;
    // Asked by the pool before the batch, then before each operation sent again.
    const stopReason = (): string | undefined => ((asked += 1) > 2 ? 'dirsync is stopping' : undefined);
    await expect(applyPlan(t.ctx({ concurrency: 1, stopReason }), names(2).map(create))).rejects.toMatchObject({
      code: 'RUN_STOPPED',
      message: expect.stringContaining('0 operation(s) not sent and 1 sent in a bulk request but not confirmed'),
    });
    expect(t.journal()).toEqual([
      { seq: 0, status: 'done', error: null },
      { seq: 1, status: 'pending', error: null },
    ]);
  });
});
