import type { DeactivateOperation, DeleteOperation, Operation, RevokeOperation, UpdateOperation } from '../../../src/model/plan';
import type { AccountAccess } from '../../../src/model/user-state';
import { applyGuard, type GuardSettings } from '../../../src/plan/guard';
import { deactivateOf, desiredUser, snapshotOf } from '../builders';

const NONE: AccountAccess = { licenses: [], targetGroups: [] };

/** At most 1 user losing licenses and 2 deletions per run (100 managed users). */
const SETTINGS: GuardSettings = {
  deactivations: { maxCount: 10, maxPercent: 100 },
  licenseRevocations: { maxCount: 1, maxPercent: 100 },
  deletions: { maxCount: 2, maxPercent: 100 },
};

function update(
  uid: string,
  parts: { grant?: AccountAccess; revoke?: AccountAccess; rename?: boolean; after?: string[] },
): UpdateOperation {
  const desired = desiredUser(uid, { licenses: parts.after ?? [], displayName: parts.rename ? 'New Name' : 'Given Family' });
  return {
    kind: 'update',
    externalId: desired.externalId,
    userName: desired.userName,
    dn: desired.dn,
    targetId: `t-${desired.externalId}`,
    desired,
    changes: parts.rename ? [{ field: 'displayName', from: 'Given Family', to: 'New Name' }] : [],
    grant: parts.grant ?? NONE,
    revoke: parts.revoke ?? NONE,
  };
}

function deactivate(uid: string, licenses: string[] = []): DeactivateOperation {
  return deactivateOf(snapshotOf(desiredUser(uid, { licenses })), 'left-scope', licenses);
}

function revoke(uid: string, why: RevokeOperation['why'], access: AccountAccess): RevokeOperation {
  const previous = snapshotOf(desiredUser(uid, { active: false, licenses: [...access.licenses] }), {
    deactivatedAt: '2026-01-01T00:00:00.000Z',
  });
  return {
    kind: 'revoke',
    externalId: previous.externalId,
    userName: previous.userName,
    dn: previous.dn,
    targetId: previous.targetId,
    previous,
    revoke: access,
    why,
  };
}

function remove(uid: string): DeleteOperation {
  const previous = snapshotOf(desiredUser(uid, { active: false }));
  return {
    kind: 'delete',
    externalId: previous.externalId,
    userName: previous.userName,
    dn: previous.dn,
    targetId: previous.targetId,
    previous,
  };
}

describe('applyGuard: the three checks', () => {
  it('reports deactivate, revoke-licenses and delete, in that order, each with its count and limit', () => {
    const ops = [deactivate('d1'), update('u1', { revoke: { licenses: ['Pro'], targetGroups: [] } }), remove('x1')];
    const g = applyGuard(ops, 100, SETTINGS, { kind: 'none' });
    expect(g.checks).toEqual([
      { change: 'deactivate', count: 1, limit: 10, managedActive: 100, exceeded: false, released: false, message: '' },
      { change: 'revoke-licenses', count: 1, limit: 1, managedActive: 100, exceeded: false, released: false, message: '' },
      { change: 'delete', count: 1, limit: 2, managedActive: 100, exceeded: false, released: false, message: '' },
    ]);
    expect(g.allowed).toEqual(ops);
    expect(g.stopped).toEqual([]);
    expect(g.trimmed.size).toBe(0);
  });

  it('without settings for revocations and deletions the defaults apply (10, 5 %)', () => {
    const g = applyGuard([], 100, { deactivations: { maxCount: 10, maxPercent: 5 } }, { kind: 'none' });
    expect(g.checks.map((c) => [c.change, c.limit])).toEqual([
      ['deactivate', 5],
      ['revoke-licenses', 5],
      ['delete', 5],
    ]);
  });

  it('counts users losing licenses: a deactivation that releases licenses counts, one that does not, does not', () => {
    const ops = [
      deactivate('d1', ['Pro']),
      deactivate('d2'),
      update('u1', { revoke: { licenses: ['Analytics', 'Pro'], targetGroups: [] } }),
      update('u2', { revoke: { licenses: [], targetGroups: ['Team A'] } }),
      update('u3', { grant: { licenses: ['Pro'], targetGroups: [] } }),
      revoke('r1', 'access-removed', { licenses: ['Pro'], targetGroups: [] }),
    ];
    const g = applyGuard(ops, 1000, { ...SETTINGS, licenseRevocations: { maxCount: 100, maxPercent: 100 } }, { kind: 'none' });
    expect(g.checks[1]).toMatchObject({ change: 'revoke-licenses', count: 3, exceeded: false });
  });

  it('releases after the grace period are not counted: their deactivation was', () => {
    const ops = [
      revoke('r1', 'grace-period-over', { licenses: ['Pro'], targetGroups: [] }),
      revoke('r2', 'grace-period-over', { licenses: ['Pro'], targetGroups: [] }),
      revoke('r3', 'grace-period-over', { licenses: ['Analytics'], targetGroups: [] }),
    ];
    const g = applyGuard(ops, 100, SETTINGS, { kind: 'none' });
    expect(g.checks[1]).toMatchObject({ change: 'revoke-licenses', count: 0, exceeded: false, message: '' });
    expect(g.allowed).toEqual(ops);
    expect(g.stopped).toEqual([]);
  });
});

describe('applyGuard: too many license revocations', () => {
  const renamed = update('a.renamed', {
    rename: true,
    grant: { licenses: ['Beta'], targetGroups: [] },
    revoke: { licenses: ['Pro'], targetGroups: [] },
    after: ['Analytics', 'Beta'],
  });
  const onlyRevoked = update('b.only', { revoke: { licenses: ['Pro'], targetGroups: [] }, after: ['Analytics'] });
  const granted = update('c.grant', { grant: { licenses: ['Pro'], targetGroups: [] }, after: ['Pro'] });
  const grace = revoke('d.grace', 'grace-period-over', { licenses: ['Pro'], targetGroups: [] });
  const ops: Operation[] = [renamed, onlyRevoked, granted, grace];

  const g = applyGuard(ops, 100, SETTINGS, { kind: 'none' });

  it('exceeds with a message an admin can act on', () => {
    expect(g.checks[1]).toEqual({
      change: 'revoke-licenses',
      count: 2,
      limit: 1,
      managedActive: 100,
      exceeded: true,
      released: false,
      message:
        '2 users losing licenses exceed the guard (at most 1: guard.licenseRevocations.maxCount 1, maxPercent 100% of 100 active managed users): ' +
        'none of them were sent. Check the directory; if they are intended, run "dirsync sync --approve" or apply a reviewed plan ' +
        '("dirsync plan --out FILE", then "dirsync apply FILE")',
    });
  });

  it('an update goes without its revocations: a trimmed copy is allowed, mapped back to the plan operation', () => {
    const copy = g.allowed[0] as UpdateOperation;
    expect(copy).not.toBe(renamed);
    expect(copy).toEqual({
      ...renamed,
      revoke: { licenses: [], targetGroups: [] },
      // The held licenses stay in the after state, so the snapshot keeps them.
      desired: { ...renamed.desired, licenses: ['Analytics', 'Beta', 'Pro'] },
    });
    expect(g.trimmed.get(copy)).toBe(renamed);
    expect(g.trimmed.size).toBe(1);
  });

  it('an update whose only change was a revocation is not sent at all', () => {
    expect(g.allowed.some((o) => o.externalId === onlyRevoked.externalId)).toBe(false);
  });

  it('grants and grace-period releases go as they are; the originals of held revocations are stopped', () => {
    expect(g.allowed).toEqual([expect.objectContaining({ externalId: 'id-a.renamed' }), granted, grace]);
    expect(g.allowed[1]).toBe(granted);
    expect(g.allowed[2]).toBe(grace);
    expect(g.stopped).toEqual([renamed, onlyRevoked]);
    expect(g.stopped[0]).toBe(renamed);
  });

  it('an update that also changes target groups is sent for them', () => {
    const groups = update('e.groups', { revoke: { licenses: ['Pro'], targetGroups: ['Old Team'] }, after: [] });
    const r = applyGuard([groups, onlyRevoked], 100, SETTINGS, { kind: 'none' });
    expect(r.allowed).toEqual([
      { ...groups, revoke: { licenses: [], targetGroups: ['Old Team'] }, desired: { ...groups.desired, licenses: ['Pro'] } },
    ]);
    expect(r.stopped).toEqual([groups, onlyRevoked]);
  });

  it('a deactivation goes without its license release when only revocations are over the limit', () => {
    const d1 = deactivate('f.one', ['Pro']);
    const d2 = deactivate('g.two', ['Pro']);
    const r = applyGuard([d1, d2], 100, SETTINGS, { kind: 'none' });
    expect(r.checks.map((c) => [c.change, c.exceeded])).toEqual([
      ['deactivate', false],
      ['revoke-licenses', true],
      ['delete', false],
    ]);
    expect(r.allowed).toEqual([
      { ...d1, revoke: { licenses: [], targetGroups: [] } },
      { ...d2, revoke: { licenses: [], targetGroups: [] } },
    ]);
    expect(r.stopped).toEqual([d1, d2]);
    expect(r.trimmed.get(r.allowed[0] as Operation)).toBe(d1);
  });

  it('a deactivation stopped by the deactivation limit is stopped once, with nothing of it sent', () => {
    const d1 = deactivate('f.one', ['Pro']);
    const d2 = deactivate('g.two', ['Pro']);
    const r = applyGuard([d1, d2], 100, { ...SETTINGS, deactivations: { maxCount: 1, maxPercent: 100 } }, { kind: 'none' });
    expect(r.allowed).toEqual([]);
    expect(r.stopped).toEqual([d1, d2]);
    expect(r.trimmed.size).toBe(0);
  });

  it('an access-removed revoke with target groups keeps them; one with licenses only is not sent', () => {
    const withGroups = revoke('h.groups', 'access-removed', { licenses: ['Pro'], targetGroups: ['Team'] });
    const licensesOnly = revoke('i.only', 'access-removed', { licenses: ['Pro'], targetGroups: [] });
    const r = applyGuard([withGroups, licensesOnly], 100, SETTINGS, { kind: 'none' });
    expect(r.allowed).toEqual([{ ...withGroups, revoke: { licenses: [], targetGroups: ['Team'] } }]);
    expect(r.stopped).toEqual([withGroups, licensesOnly]);
  });

  it('--approve releases them: everything goes as planned', () => {
    const r = applyGuard(ops, 100, SETTINGS, { kind: 'flag' });
    expect(r.allowed).toEqual(ops);
    expect(r.stopped).toEqual([]);
    expect(r.trimmed.size).toBe(0);
    expect(r.checks[1]).toMatchObject({ exceeded: true, released: true });
    expect(r.checks[1]?.message).toBe(
      '2 users losing licenses exceed the guard (at most 1: guard.licenseRevocations.maxCount 1, maxPercent 100% of 100 active managed users); released by --approve',
    );
  });

  it('--approve N covers at most N', () => {
    expect(applyGuard(ops, 100, SETTINGS, { kind: 'flag', max: 2 }).stopped).toEqual([]);
    const short = applyGuard(ops, 100, SETTINGS, { kind: 'flag', max: 1 });
    expect(short.stopped).toEqual([renamed, onlyRevoked]);
    expect(short.checks[1]?.message).toMatch(/; --approve 1 does not cover 2: none of them were sent$/);
  });

  it('a frozen plan is its own approval', () => {
    const r = applyGuard(ops, 100, SETTINGS, { kind: 'frozen-plan' });
    expect(r.allowed).toEqual(ops);
    expect(r.stopped).toEqual([]);
    expect(r.checks[1]?.message).toMatch(/; released: the frozen plan being applied approves them$/);
  });
});

describe('applyGuard: deletions have their own limit', () => {
  const deletes = [remove('x1'), remove('x2'), remove('x3')];
  const others: Operation[] = [deactivate('d1', ['Pro']), update('u1', { revoke: { licenses: ['Pro'], targetGroups: [] } })];

  it('over the limit every deletion waits; deactivations and revocations under their limits go', () => {
    const g = applyGuard(
      [...others, ...deletes],
      100,
      { ...SETTINGS, licenseRevocations: { maxCount: 5, maxPercent: 100 } },
      {
        kind: 'none',
      },
    );
    expect(g.checks[2]).toMatchObject({ change: 'delete', count: 3, limit: 2, exceeded: true, released: false });
    expect(g.checks[2]?.message).toMatch(
      /^3 deletions exceed the guard \(at most 2: guard\.deletions\.maxCount 2, maxPercent 100% of 100 active managed users\): none of them were sent/,
    );
    expect(g.allowed).toEqual(others);
    expect(g.stopped).toEqual(deletes);
  });

  it('at the limit they go', () => {
    const g = applyGuard(deletes.slice(0, 2), 100, SETTINGS, { kind: 'none' });
    expect(g.allowed).toEqual(deletes.slice(0, 2));
    expect(g.checks[2]).toMatchObject({ count: 2, exceeded: false });
  });

  it('deletions over their limit do not hold deactivations, nor the other way round', () => {
    const many = [deactivate('d1'), deactivate('d2'), remove('x1')];
    const g = applyGuard(many, 100, { ...SETTINGS, deactivations: { maxCount: 1, maxPercent: 100 } }, { kind: 'none' });
    expect(g.allowed).toEqual([many[2]]);
    expect(g.stopped).toEqual([many[0], many[1]]);
  });

  it('released by --approve and by a frozen plan', () => {
    expect(applyGuard(deletes, 100, SETTINGS, { kind: 'flag' }).allowed).toEqual(deletes);
    expect(applyGuard(deletes, 100, SETTINGS, { kind: 'frozen-plan' }).allowed).toEqual(deletes);
    expect(applyGuard(deletes, 100, SETTINGS, { kind: 'flag', max: 2 }).stopped).toEqual(deletes);
  });
});
