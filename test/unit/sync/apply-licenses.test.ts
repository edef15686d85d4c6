import type {
  CreateOperation,
  DeactivateOperation,
  DeleteOperation,
  RevokeOperation,
  UpdateOperation,
} from '../../../src/model/plan';
import type { DesiredUser, SnapshotUser } from '../../../src/model/user-state';
import { applyOperation, applyPlan, type AccessContext } from '../../../src/sync/apply';
import { TargetGroups } from '../../../src/sync/target-groups';
import { deactivateOf, desiredUser, snapshotOf } from '../builders';
import { testContext } from './context';
import { serverError, type FakeTarget } from './fake-target';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const now = (): Date => NOW;
const DEACTIVATED_AT = '2026-01-01T00:00:00.000Z';

/** Licenses as SCIM Group membership; the group standing for license X is "License X". */
function asGroups(target: FakeTarget): AccessContext {
  return { representation: { kind: 'groups' }, licenseGroup: (l) => `License ${l}`, groups: new TargetGroups(target) };
}

function entitlements(target: FakeTarget): AccessContext {
  return { representation: { kind: 'entitlements' }, licenseGroup: (l) => l, groups: new TargetGroups(target) };
}

async function group(target: FakeTarget, displayName: string, members: string[] = []): Promise<string> {
  const { id } = await target.createGroup(displayName);
  for (const m of members) target.groups.get(id)?.members.add(m);
  return id;
}

const membersOf = (target: FakeTarget, displayName: string): string[] | undefined => {
  const g = [...target.groups.values()].find((x) => x.displayName === displayName);
  return g && [...g.members].sort();
};

function createOp(desired: DesiredUser): CreateOperation {
  return { kind: 'create', externalId: desired.externalId, userName: desired.userName, dn: desired.dn, desired };
}

function revokeOp(previous: SnapshotUser, licenses: string[]): RevokeOperation {
  return {
    kind: 'revoke',
    externalId: previous.externalId,
    userName: previous.userName,
    dn: previous.dn,
    targetId: previous.targetId,
    previous,
    revoke: { licenses, targetGroups: [] },
    why: 'grace-period-over',
  };
}

function deleteOp(previous: SnapshotUser): DeleteOperation {
  return {
    kind: 'delete',
    externalId: previous.externalId,
    userName: previous.userName,
    dn: previous.dn,
    targetId: previous.targetId,
    previous,
  };
}

function deactivateOp(previous: SnapshotUser, licenses: string[]): DeactivateOperation {
  return deactivateOf(previous, 'disabled-in-directory', licenses);
}

/** An inactive account on the target and its snapshot. */
function seedInactive(target: FakeTarget, uid: string, licenses: string[], targetGroups: string[] = []): SnapshotUser {
  const { id } = target.seed({ userName: uid, externalId: `id-${uid}`, active: false });
  return snapshotOf(desiredUser(uid, { licenses, targetGroups }), { targetId: id, active: false, deactivatedAt: DEACTIVATED_AT });
}

describe('create with licenses as SCIM Group membership', () => {
  it('adds the account to the license group and to its target groups, creating a missing target group', async () => {
    const t = testContext();
    await group(t.target, 'License Pro');
    const d = desiredUser('alice', { licenses: ['Pro'], targetGroups: ['Team A'] });
    const outcome = await applyOperation(t.ctx('r1', { access: asGroups(t.target), now }), createOp(d));
    const created = [...t.target.users.values()].find((u) => u.userName === 'alice');
    const id = created?.id ?? 'missing';
    expect(outcome).toEqual({
      status: 'done',
      targetId: id,
      confirmed: snapshotOf(d, { targetId: id, updatedAt: NOW.toISOString() }),
    });
    expect(membersOf(t.target, 'License Pro')).toEqual([id]);
    expect(membersOf(t.target, 'Team A')).toEqual([id]);
    // No license in the user body or PATCH: only the create and two group PATCHes.
    expect(t.target.calls.map((c) => c.method)).toEqual(['create', 'group', 'group']);
  });

  it('a license group that does not exist is never created: a warning, and the confirmed account lacks that license', async () => {
    const t = testContext();
    await group(t.target, 'License Pro');
    const d = desiredUser('alice', { licenses: ['Ghost', 'Pro'] });
    const outcome = await applyOperation(t.ctx('r1', { access: asGroups(t.target), now }), createOp(d));
    expect(outcome).toMatchObject({
      status: 'done',
      warnings: [
        'grant license "Ghost" (group "License Ghost"): the target has no group named "License Ghost", which stands for a license: create it on the target',
      ],
      confirmed: { licenses: ['Pro'], targetGroups: [] },
    });
    expect([...t.target.groups.values()].map((g) => g.displayName)).toEqual(['License Pro']);
  });

  it('through applyPlan the snapshot records only the licenses the target confirmed', async () => {
    const t = testContext();
    await group(t.target, 'License Pro');
    const runId = t.runs.start('sync');
    const d = desiredUser('alice', { licenses: ['Ghost', 'Pro'], targetGroups: ['Team A'] });
    const { results } = await applyPlan(t.ctx(runId, { access: asGroups(t.target), now }), [createOp(d)]);
    expect(results.map((r) => r.outcome.status)).toEqual(['done']);
    expect(t.snapshot.get('id-alice')).toMatchObject({ licenses: ['Pro'], targetGroups: ['Team A'] });
  });

  it('a failed target group membership is a warning, the account is still created', async () => {
    const t = testContext();
    t.target.fail('group', serverError('PATCH /Groups/g1'));
    const d = desiredUser('alice', { targetGroups: ['Team A'] });
    const outcome = await applyOperation(t.ctx('r1', { access: asGroups(t.target), now }), createOp(d));
    expect(outcome).toMatchObject({
      status: 'done',
      warnings: ['add to target group "Team A": PATCH /Groups/g1 answered 500: boom'],
      confirmed: { licenses: [], targetGroups: [] },
    });
  });
});

describe('update with licenses as SCIM Group membership', () => {
  it('moves the account between license groups and confirms the after state', async () => {
    const t = testContext();
    const { id } = t.target.seed({ userName: 'alice', externalId: 'id-alice', active: true });
    await group(t.target, 'License Pro', [id]);
    await group(t.target, 'License Beta');
    await group(t.target, 'Old Team', [id]);
    const desired = desiredUser('alice', { licenses: ['Beta'], targetGroups: [] });
    const op: UpdateOperation = {
      kind: 'update',
      externalId: 'id-alice',
      userName: 'alice',
      dn: desired.dn,
      targetId: id,
      desired,
      changes: [],
      grant: { licenses: ['Beta'], targetGroups: [] },
      revoke: { licenses: ['Pro'], targetGroups: ['Old Team'] },
    };
    const outcome = await applyOperation(t.ctx('r1', { access: asGroups(t.target), now }), op);
    expect(outcome).toMatchObject({ status: 'done', confirmed: { licenses: ['Beta'], targetGroups: [] } });
    expect(outcome).not.toHaveProperty('warnings');
    expect(membersOf(t.target, 'License Pro')).toEqual([]);
    expect(membersOf(t.target, 'License Beta')).toEqual([id]);
    expect(membersOf(t.target, 'Old Team')).toEqual([]);
    expect(t.target.count('patch')).toBe(0);
  });
});

describe('revoke (grace period over)', () => {
  it('licenses as groups: removes the membership, sends no user PATCH, keeps target groups', async () => {
    const t = testContext();
    const previous = seedInactive(t.target, 'bob', ['Pro'], ['Team A']);
    const gid = await group(t.target, 'License Pro', [previous.targetId, 'someone-else']);
    await group(t.target, 'Team A', [previous.targetId]);
    const outcome = await applyOperation(t.ctx('r1', { access: asGroups(t.target), now }), revokeOp(previous, ['Pro']));
    expect(outcome).toEqual({
      status: 'done',
      targetId: previous.targetId,
      confirmed: { ...previous, licenses: [], targetGroups: ['Team A'], updatedAt: NOW.toISOString() },
    });
    expect(t.target.calls).toEqual([
      { method: 'group', id: gid, ops: [{ op: 'remove', path: `members[value eq "${previous.targetId}"]` }] },
    ]);
    expect(membersOf(t.target, 'License Pro')).toEqual(['someone-else']);
    expect(membersOf(t.target, 'Team A')).toEqual([previous.targetId]);
  });

  it('a removal that fails keeps the license in the snapshot, to retry next run', async () => {
    const t = testContext();
    const previous = seedInactive(t.target, 'bob', ['Beta', 'Pro']);
    await group(t.target, 'License Beta', [previous.targetId]);
    await group(t.target, 'License Pro', [previous.targetId]);
    t.target.fail('group', serverError('PATCH /Groups/x'));
    const outcome = await applyOperation(t.ctx('r1', { access: asGroups(t.target), now }), revokeOp(previous, ['Beta', 'Pro']));
    expect(outcome).toMatchObject({
      status: 'done',
      warnings: ['revoke license "Beta" (group "License Beta"): PATCH /Groups/x answered 500: boom'],
      confirmed: { licenses: ['Beta'] },
    });
  });

  it('entitlements: removes the values with value filters', async () => {
    const t = testContext();
    const previous = seedInactive(t.target, 'bob', ['Analytics', 'Pro']);
    const outcome = await applyOperation(t.ctx('r1', { access: entitlements(t.target), now }), revokeOp(previous, ['Pro']));
    expect(t.target.calls).toEqual([
      {
        method: 'patch',
        id: previous.targetId,
        ifMatch: undefined,
        ops: [{ op: 'remove', path: 'entitlements[value eq "Pro"]' }],
      },
    ]);
    // Analytics was not in the revoke list: the target no longer showed it, so it leaves the snapshot too.
    expect(outcome).toMatchObject({ status: 'done', confirmed: { licenses: [] } });
  });
});

describe('delete (staged deprovisioning)', () => {
  it('deletes the account and confirms its removal from the snapshot', async () => {
    const t = testContext();
    const previous = seedInactive(t.target, 'bob', []);
    const outcome = await applyOperation(t.ctx('r1', { now }), deleteOp(previous));
    expect(outcome).toEqual({ status: 'done', targetId: previous.targetId, confirmed: { removed: 'id-bob' } });
    expect(t.target.calls).toEqual([{ method: 'delete', id: previous.targetId }]);
    expect(t.target.users.has(previous.targetId)).toBe(false);
  });

  it('an account already gone counts as deleted', async () => {
    const t = testContext();
    const previous = snapshotOf(desiredUser('bob'), { targetId: 'gone', active: false, deactivatedAt: DEACTIVATED_AT });
    expect(await applyOperation(t.ctx('r1', { now }), deleteOp(previous))).toEqual({
      status: 'done',
      targetId: 'gone',
      confirmed: { removed: 'id-bob' },
    });
  });

  it('through applyPlan the account leaves the snapshot', async () => {
    const t = testContext();
    const previous = seedInactive(t.target, 'bob', []);
    t.snapshot.put(previous);
    const runId = t.runs.start('sync');
    const { results } = await applyPlan(t.ctx(runId, { now }), [deleteOp(previous)]);
    expect(results.map((r) => r.outcome.status)).toEqual(['done']);
    expect(t.snapshot.get('id-bob')).toBeUndefined();
    expect(t.snapshot.count()).toBe(0);
  });
});

describe('deactivate that releases licenses (grace period 0)', () => {
  it('entitlements: one PATCH deactivating and removing each license by value filter; confirms deactivatedAt', async () => {
    const t = testContext();
    const { id } = t.target.seed({ userName: 'carol', externalId: 'id-carol', active: true });
    const odd = 'Pro "Plus"';
    const previous = snapshotOf(desiredUser('carol', { licenses: ['Analytics', odd], targetGroups: ['Team A'] }), {
      targetId: id,
    });
    const outcome = await applyOperation(
      t.ctx('r1', { access: entitlements(t.target), now }),
      deactivateOp(previous, ['Analytics', odd]),
    );
    expect(t.target.calls).toEqual([
      {
        method: 'patch',
        id,
        ifMatch: undefined,
        ops: [
          { op: 'replace', path: 'active', value: false },
          { op: 'remove', path: 'entitlements[value eq "Analytics"]' },
          { op: 'remove', path: String.raw`entitlements[value eq "Pro \"Plus\""]` },
        ],
      },
    ]);
    expect(outcome).toEqual({
      status: 'done',
      targetId: id,
      confirmed: {
        ...previous,
        licenses: [],
        targetGroups: ['Team A'],
        active: false,
        updatedAt: NOW.toISOString(),
        deactivatedAt: NOW.toISOString(),
      },
    });
    expect(t.target.users.get(id)?.active).toBe(false);
  });

  it('without an access context the representation is entitlements', async () => {
    const t = testContext();
    const { id } = t.target.seed({ userName: 'carol', externalId: 'id-carol', active: true });
    const previous = snapshotOf(desiredUser('carol', { licenses: ['Pro'] }), { targetId: id });
    await applyOperation(t.ctx('r1', { now }), deactivateOp(previous, ['Pro']));
    expect(t.target.calls).toEqual([
      expect.objectContaining({
        method: 'patch',
        ops: [
          { op: 'replace', path: 'active', value: false },
          { op: 'remove', path: 'entitlements[value eq "Pro"]' },
        ],
      }),
    ]);
  });

  it('a deactivation in the grace period keeps the licenses and records deactivatedAt', async () => {
    const t = testContext();
    const { id } = t.target.seed({ userName: 'carol', externalId: 'id-carol', active: true });
    const previous = snapshotOf(desiredUser('carol', { licenses: ['Pro'] }), { targetId: id });
    const outcome = await applyOperation(t.ctx('r1', { access: entitlements(t.target), now }), deactivateOp(previous, []));
    expect(t.target.calls).toEqual([
      { method: 'patch', id, ifMatch: undefined, ops: [{ op: 'replace', path: 'active', value: false }] },
    ]);
    expect(outcome).toMatchObject({
      status: 'done',
      confirmed: { licenses: ['Pro'], active: false, deactivatedAt: NOW.toISOString() },
    });
  });

  it('licenses as groups: the PATCH only deactivates, the license group loses the member', async () => {
    const t = testContext();
    const { id } = t.target.seed({ userName: 'carol', externalId: 'id-carol', active: true });
    await group(t.target, 'License Pro', [id]);
    const previous = snapshotOf(desiredUser('carol', { licenses: ['Pro'] }), { targetId: id });
    const outcome = await applyOperation(t.ctx('r1', { access: asGroups(t.target), now }), deactivateOp(previous, ['Pro']));
    expect(t.target.calls.map((c) => c.method)).toEqual(['patch', 'group']);
    expect(t.target.calls[0]).toMatchObject({ ops: [{ op: 'replace', path: 'active', value: false }] });
    expect(membersOf(t.target, 'License Pro')).toEqual([]);
    expect(outcome).toMatchObject({ status: 'done', confirmed: { licenses: [], deactivatedAt: NOW.toISOString() } });
  });
});
