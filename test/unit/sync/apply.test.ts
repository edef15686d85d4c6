import { TargetError } from '../../../src/errors/codes';
import type { DeactivateOperation } from '../../../src/model/plan';
import { applyOperation, applyPlan } from '../../../src/sync/apply';
import { createOf as create, desiredUser, snapshotOf, updateOf as update } from '../builders';
import type { ScimUser } from '../../../src/target/scim-types';
import { FakeTarget, noAnswer, serverError } from './fake-target';
import { testContext } from './context';

function deactivate(uid: string, targetId: string): DeactivateOperation {
  const previous = snapshotOf(desiredUser(uid), { targetId });
  return {
    kind: 'deactivate',
    externalId: previous.externalId,
    userName: previous.userName,
    dn: previous.dn,
    targetId,
    previous,
    why: 'left-scope',
    revoke: { licenses: [], targetGroups: [] },
  };
}

describe('applying creates: never a duplicate', () => {
  it('a create whose answer was lost is found by externalId and adopted, not sent again', async () => {
    const t = testContext();
    t.target.fail('create', noAnswer(), { after: true });
    const outcome = await applyOperation(t.ctx('r1'), create('alice.smith'));
    expect(outcome).toMatchObject({ status: 'done', adopted: true });
    expect(t.target.count('create')).toBe(1);
    expect(t.target.users.size).toBe(1);
  });

  it('a create that did not land is sent again after the lookup, up to the retry policy', async () => {
    const t = testContext();
    t.target.fail('create', serverError(), { times: 2 });
    const outcome = await applyOperation(t.ctx('r1'), create('alice.smith'));
    expect(outcome).toMatchObject({ status: 'done' });
    // Each lost attempt is looked up by externalId, userName and email before the next is sent.
    const lookup = ['find', 'find', 'find'];
    expect(t.target.calls.map((c) => c.method)).toEqual(['create', ...lookup, 'create', ...lookup, 'create']);
    expect(t.target.users.size).toBe(1);
  });

  it('a lost create on a server that ignores externalId filters is found by userName and adopted', async () => {
    const t = testContext();
    // A stricter or poorer server: filtering on externalId answers nothing.
    class NoExternalIdFilter extends FakeTarget {
      override async findUsers(attribute: 'userName' | 'externalId', value: string): Promise<ScimUser[]> {
        return attribute === 'externalId' ? [] : super.findUsers(attribute, value);
      }
    }
    const client = new NoExternalIdFilter();
    const target = client;
    client.fail('create', noAnswer(), { after: true });
    const outcome = await applyOperation(t.ctx('r1', { client }), create('alice.smith'));
    expect(outcome).toMatchObject({ status: 'done', adopted: true });
    expect(target.count('create')).toBe(1);
    expect(target.users.size).toBe(1);
  });

  it('gives up after maxAttempts with an error naming the operation and the user', async () => {
    const t = testContext();
    t.target.fail('create', serverError(), { times: 3 });
    const outcome = await applyOperation(t.ctx('r1'), create('alice.smith'));
    expect(outcome).toEqual({
      status: 'failed',
      error: 'create of alice.smith: POST /Users answered 500: boom',
      detail: 'POST /Users answered 500: boom',
      code: 'TARGET_HTTP',
      unsettled: true,
    });
    expect(t.target.users.size).toBe(0);
  });

  it('a 200 with an unreadable body counts as "may have landed": looked up before anything else', async () => {
    const t = testContext();
    t.target.fail('create', new TargetError('TARGET_RESPONSE', 'POST /Users answered 200 with an unexpected body: OK', 200), {
      after: true,
    });
    expect(await applyOperation(t.ctx('r1'), create('alice.smith'))).toMatchObject({ status: 'done', adopted: true });
    expect(t.target.count('create')).toBe(1);
  });

  it('409 by an unmanaged account with the same email: adopted and linked', async () => {
    const t = testContext();
    const existing = t.target.seed({
      userName: 'alice.smith',
      emails: [{ value: 'Alice.Smith@example.org', primary: true }],
      active: false,
    });
    const outcome = await applyOperation(t.ctx('r1'), create('alice.smith'));
    expect(outcome).toMatchObject({ status: 'done', targetId: existing.id, adopted: true });
    expect(t.target.users.get(existing.id)).toMatchObject({ externalId: 'id-alice.smith', active: true });
  });

  it('409 by an account managed by another source: needs consolidation, nothing written', async () => {
    const t = testContext();
    t.target.seed({ userName: 'alice.smith', externalId: 'someone-else', emails: [{ value: 'alice.smith@example.org' }] });
    const outcome = await applyOperation(t.ctx('r1'), create('alice.smith'));
    expect(outcome).toMatchObject({
      status: 'consolidation',
      message: expect.stringContaining('managed by another source (externalId "someone-else")'),
    });
    expect(t.target.count('patch')).toBe(0);
  });

  it('409 by an unmanaged account with another email: needs consolidation', async () => {
    const t = testContext();
    t.target.seed({ userName: 'alice.smith', emails: [{ value: 'alice@elsewhere.example' }] });
    const outcome = await applyOperation(t.ctx('r1'), create('alice.smith'));
    expect(outcome).toMatchObject({
      status: 'consolidation',
      message: expect.stringContaining('has email alice@elsewhere.example'),
    });
    expect(t.target.count('patch')).toBe(0);
  });

  it('409 with no visible holder (an account outside the organisation): needs consolidation', async () => {
    const t = testContext();
    t.target.fail('create', new TargetError('TARGET_CONFLICT', 'POST /Users answered 409: email in use', 409));
    const outcome = await applyOperation(t.ctx('r1'), create('alice.smith'));
    expect(outcome).toMatchObject({
      status: 'consolidation',
      message: expect.stringContaining('may be outside the organisation'),
    });
  });
});

describe('ETag / If-Match', () => {
  it('without ETag support, PATCH carries no If-Match and nothing is read first', async () => {
    const t = testContext();
    const u = t.target.seed({ userName: 'alice.smith', externalId: 'id-alice.smith' });
    expect(await applyOperation(t.ctx('r1'), update('alice.smith', u.id))).toMatchObject({ status: 'done' });
    expect(t.target.calls).toEqual([expect.objectContaining({ method: 'patch', ifMatch: undefined })]);
  });

  it('with ETag support, PATCH carries the version just read', async () => {
    const t = testContext();
    const u = t.target.seed({ userName: 'alice.smith', externalId: 'id-alice.smith' });
    expect(await applyOperation(t.ctx('r1', { etag: true }), deactivate('alice.smith', u.id))).toMatchObject({ status: 'done' });
    expect(t.target.calls).toEqual([{ method: 'get', id: u.id }, expect.objectContaining({ method: 'patch', ifMatch: 'W/"1"' })]);
  });

  it('a 412 (changed between read and write) is read again and re-sent, at most 3 times', async () => {
    const t = testContext();
    const u = t.target.seed({ userName: 'alice.smith', externalId: 'id-alice.smith' });
    t.target.fail('patch', new TargetError('TARGET_PRECONDITION', 'PATCH answered 412', 412));
    expect(await applyOperation(t.ctx('r1', { etag: true }), update('alice.smith', u.id))).toMatchObject({ status: 'done' });
    expect(t.target.calls.map((c) => c.method)).toEqual(['get', 'patch', 'get', 'patch']);

    t.target.fail('patch', new TargetError('TARGET_PRECONDITION', 'PATCH answered 412', 412), { times: 3 });
    expect(await applyOperation(t.ctx('r2', { etag: true }), update('alice.smith', u.id))).toMatchObject({
      status: 'failed',
      code: 'TARGET_PRECONDITION',
    });
  });

  it('an account deleted on the target fails that user only, with a clear reason', async () => {
    const t = testContext();
    expect(await applyOperation(t.ctx('r1', { etag: true }), update('alice.smith', 'gone'))).toMatchObject({
      status: 'failed',
      error: 'update of alice.smith: account gone no longer exists on the target',
    });
  });
});

describe('applyPlan', () => {
  it("one user's 400 is reported and the others go on; the journal says which", async () => {
    const t = testContext();
    const runId = t.runs.start('sync');
    t.target.fail('create', new TargetError('TARGET_HTTP', 'POST /Users answered 400: invalid displayName', 400));
    const ops = [create('aaa.first'), create('bbb.second'), create('ccc.third')];
    const { results } = await applyPlan(t.ctx(runId, { concurrency: 1 }), ops);
    expect(results.map((r) => r.outcome.status)).toEqual(['failed', 'done', 'done']);
    expect(results[0]?.outcome).toMatchObject({
      error: 'create of aaa.first: POST /Users answered 400: invalid displayName',
      unsettled: false,
    });
    const journal = t.db.prepare('SELECT seq, status, error FROM journal ORDER BY seq').all();
    expect(journal).toEqual([
      { seq: 0, status: 'failed', error: 'create of aaa.first: POST /Users answered 400: invalid displayName' },
      { seq: 1, status: 'done', error: null },
      { seq: 2, status: 'done', error: null },
    ]);
    expect(t.snapshot.count()).toBe(2);
    // The confirmed rows are in the snapshot: the results keep only what the report shows.
    expect(results[1]?.outcome).toEqual({ status: 'done', targetId: expect.any(String) });
    expect(t.snapshot.get(ops[1]?.externalId ?? '')?.targetId).toBe(
      results[1]?.outcome.status === 'done' ? results[1].outcome.targetId : 'none',
    );
  });

  it('a refused token stops at the first operation and marks the rest not sent', async () => {
    const t = testContext();
    const runId = t.runs.start('sync');
    t.target.fail('create', new TargetError('TARGET_AUTH', 'POST /Users answered 401: bad token', 401));
    await expect(applyPlan(t.ctx(runId, { concurrency: 1 }), [create('aaa.first'), create('bbb.second')])).rejects.toMatchObject({
      code: 'TARGET_AUTH',
      message: 'the target refused the API token (target.token): POST /Users answered 401: bad token',
    });
    expect(t.target.count('create')).toBe(1);
    expect(t.db.prepare(`SELECT error FROM journal WHERE seq = 1`).get()).toEqual({
      error: 'not sent: the target refused the credentials',
    });
  });

  it('stops sending when the lease is lost (or the daemon stops), leaving the rest pending', async () => {
    const t = testContext();
    const runId = t.runs.start('sync');
    const lease: { lost?: string } = {};
    const ops = [create('aaa.first'), create('bbb.second'), create('ccc.third')];
    const run = applyPlan(t.ctx(runId, { concurrency: 1, stopReason: () => lease.lost }), ops);
    lease.lost = 'the lease "apply" was taken over by another run';
    await expect(run).rejects.toMatchObject({
      code: 'RUN_STOPPED',
      message: expect.stringContaining('stay in the journal for the next run'),
    });
    const sent = t.target.count('create');
    expect(sent).toBeLessThan(3);
    // What was not sent stays pending: the next lease holder resumes it.
    expect(t.db.prepare(`SELECT count(*) AS n FROM journal WHERE status = 'pending'`).get()).toEqual({ n: 3 - sent });
  });
});

describe('applyPlan: the journal is written a step ahead of sending', () => {
  it('every operation is journalled before it is sent, and the first is sent before the plan is all written', async () => {
    const t = testContext();
    const runId = t.runs.start('sync');
    const ops = Array.from({ length: 2_300 }, (_, i) => create(`user.${String(i).padStart(4, '0')}`));
    const journalled = (userName: string): boolean =>
      t.db
        .prepare(`SELECT 1 FROM journal WHERE run_id = ? AND json_extract(operation, '$.userName') = ?`)
        .get(runId, userName) !== undefined;
    const writtenAtSend: number[] = [];
    const unjournalled: string[] = [];
    class Watching extends FakeTarget {
      override async createUser(resource: Record<string, unknown>): Promise<ScimUser> {
        if (!journalled(String(resource.userName))) unjournalled.push(String(resource.userName));
        writtenAtSend.push((t.db.prepare('SELECT count(*) AS n FROM journal WHERE run_id = ?').get(runId) as { n: number }).n);
        return super.createUser(resource);
      }
    }
    const result = await applyPlan(t.ctx(runId, { client: new Watching(), concurrency: 4 }), ops);
    expect(result.results.filter((r) => r.outcome.status === 'done')).toHaveLength(2_300);
    expect(unjournalled).toEqual([]);
    expect(writtenAtSend[0]).toBe(1_000);
    expect(Math.max(...writtenAtSend)).toBe(2_300);
    expect(t.db.prepare(`SELECT count(*) AS n FROM journal WHERE status = 'done'`).get()).toEqual({ n: 2_300 });
  });

  it('a stop leaves the entries never reached pending, written after sending ended', async () => {
    const t = testContext();
    const runId = t.runs.start('sync');
    const ops = Array.from({ length: 1_500 }, (_, i) => create(`user.${String(i).padStart(4, '0')}`));
    const stopReason = (): string | undefined => (t.target.count('create') >= 10 ? 'the daemon is stopping' : undefined);
    await expect(applyPlan(t.ctx(runId, { concurrency: 1, stopReason }), ops)).rejects.toMatchObject({ code: 'RUN_STOPPED' });
    const done = t.target.count('create');
    expect(done).toBe(10);
    expect(t.db.prepare(`SELECT count(*) AS n FROM journal WHERE status = 'pending'`).get()).toEqual({ n: 1_500 - done });
  });
});

describe('a directory id attribute that is not unique', () => {
  it('sends neither of two operations for one externalId, and says why', async () => {
    const t = testContext();
    const runId = t.runs.start('sync');
    const a = create('alice.smith');
    const b = { ...create('bob.jones'), externalId: a.externalId };
    const { results } = await applyPlan(t.ctx(runId), [a, b, create('carol.white')]);
    expect(results.map((r) => r.outcome.status)).toEqual(['failed', 'failed', 'done']);
    expect(results[1]?.outcome).toMatchObject({
      error: expect.stringContaining('2 directory entries share externalId "id-alice.smith"'),
    });
    expect(t.target.users.size).toBe(1);
  });
});
