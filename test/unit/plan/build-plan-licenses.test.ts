import type { Operation } from '../../../src/model/plan';
import type { SnapshotUser } from '../../../src/model/user-state';
import { buildPlan, type LicensingPlanInput, type PlanInput } from '../../../src/plan/build-plan';
import { desiredUser, snapshotOf } from '../builders';

const DEACTIVATED_AT = '2026-01-01T00:00:00.000Z';
const DAY_MS = 86_400_000;
/** `days` whole days (plus `ms`) after DEACTIVATED_AT. */
const after = (days: number, ms = 0): Date => new Date(Date.parse(DEACTIVATED_AT) + days * DAY_MS + ms);

function licensing(overrides: Partial<LicensingPlanInput> = {}): LicensingPlanInput {
  return { now: after(0), revokeAfterDays: 30, exclusive: false, ...overrides };
}

function input(overrides: Partial<PlanInput>): PlanInput {
  return { desired: [], skipped: [], held: new Set(), snapshot: [], absenceUntrusted: [], licensing: licensing(), ...overrides };
}

/** An account dirsync deactivated on DEACTIVATED_AT, still holding what it was granted. */
function inactive(uid: string, licenses: string[], overrides: Partial<SnapshotUser> = {}): SnapshotUser {
  return snapshotOf(desiredUser(uid), { active: false, deactivatedAt: DEACTIVATED_AT, licenses, ...overrides });
}

const only = (ops: readonly Operation[]): Operation => {
  expect(ops).toHaveLength(1);
  return ops[0] as Operation;
};

describe('buildPlan: grants and revocations of active users', () => {
  it('a create carries the granted licenses and target groups', () => {
    const d = desiredUser('alice', { licenses: ['Analytics', 'Pro'], targetGroups: ['Team A'] });
    const plan = buildPlan(input({ desired: [d] }));
    expect(plan.operations).toEqual([{ kind: 'create', externalId: 'id-alice', userName: 'alice', dn: d.dn, desired: d }]);
    expect(plan.summary).toMatchObject({ create: 1, licensesGranted: 2, licensesRevoked: 0 });
  });

  it('an update carries grant and revoke, and desired holds the licenses after it', () => {
    const before = desiredUser('alice', { licenses: ['Pro'] });
    const d = desiredUser('alice', { licenses: ['Analytics'] });
    const plan = buildPlan(input({ desired: [d], snapshot: [snapshotOf(before)] }));
    expect(only(plan.operations)).toEqual({
      kind: 'update',
      externalId: 'id-alice',
      userName: 'alice',
      dn: d.dn,
      targetId: 't-id-alice',
      desired: { ...d, licenses: ['Analytics'], targetGroups: [] },
      changes: [],
      grant: { licenses: ['Analytics'], targetGroups: [] },
      revoke: { licenses: ['Pro'], targetGroups: [] },
    });
    expect(plan.summary).toMatchObject({ update: 1, unchanged: 0, licensesGranted: 1, licensesRevoked: 1 });
  });

  it('leaving the group that granted a license revokes it and keeps the others', () => {
    const s = snapshotOf(desiredUser('alice', { licenses: ['Analytics', 'Pro'] }));
    const d = desiredUser('alice', { licenses: ['Analytics'] });
    const op = only(buildPlan(input({ desired: [d], snapshot: [s] })).operations);
    expect(op).toMatchObject({
      kind: 'update',
      grant: { licenses: [], targetGroups: [] },
      revoke: { licenses: ['Pro'], targetGroups: [] },
      desired: { licenses: ['Analytics'] },
    });
  });

  it('nothing to do when licenses and target groups already match', () => {
    const d = desiredUser('alice', { licenses: ['Pro'], targetGroups: ['Team A'] });
    const plan = buildPlan(input({ desired: [d], snapshot: [snapshotOf(d)] }));
    expect(plan.operations).toEqual([]);
    expect(plan.summary).toMatchObject({ unchanged: 1, licensesGranted: 0, licensesRevoked: 0 });
  });

  it('target groups are granted and revoked like licenses', () => {
    const s = snapshotOf(desiredUser('alice', { targetGroups: ['Old Team', 'Stays'] }));
    const d = desiredUser('alice', { targetGroups: ['New Team', 'Stays'] });
    const op = only(buildPlan(input({ desired: [d], snapshot: [s] })).operations);
    expect(op).toMatchObject({
      kind: 'update',
      changes: [],
      grant: { licenses: [], targetGroups: ['New Team'] },
      revoke: { licenses: [], targetGroups: ['Old Team'] },
      desired: { licenses: [], targetGroups: ['New Team', 'Stays'] },
    });
  });

  it('a reactivation grants the licenses again', () => {
    const s = inactive('alice', []);
    const d = desiredUser('alice', { licenses: ['Pro'] });
    const plan = buildPlan(input({ desired: [d], snapshot: [s] }));
    expect(only(plan.operations)).toMatchObject({
      kind: 'reactivate',
      grant: { licenses: ['Pro'], targetGroups: [] },
      revoke: { licenses: [], targetGroups: [] },
      desired: { licenses: ['Pro'], active: true },
    });
    expect(plan.summary).toMatchObject({ reactivate: 1, licensesGranted: 1 });
  });
});

describe('buildPlan: holdAccessChanges', () => {
  const s = snapshotOf(desiredUser('alice', { licenses: ['Analytics', 'Pro'], targetGroups: ['Team A'], role: 'Publisher' }));

  it('keeps licenses, target groups, role and user type: nothing is revoked', () => {
    const d = desiredUser('alice', { licenses: [], targetGroups: [], role: 'Viewer', userType: 'Viewer' });
    const plan = buildPlan(
      input({ desired: [d], snapshot: [s], holdAccessChanges: true, absenceUntrusted: ['group X unreadable'] }),
    );
    expect(plan.operations).toEqual([]);
    expect(plan.summary).toMatchObject({ unchanged: 1, licensesRevoked: 0 });
    expect(plan.held).toEqual(['1 role or user type change(s) were not sent: group X unreadable']);
  });

  it('still grants what is new, and desired keeps what is held', () => {
    const d = desiredUser('alice', { licenses: ['Beta'], targetGroups: ['Team B'] });
    const op = only(buildPlan(input({ desired: [d], snapshot: [s], holdAccessChanges: true })).operations);
    expect(op).toMatchObject({
      kind: 'update',
      changes: [],
      grant: { licenses: ['Beta'], targetGroups: ['Team B'] },
      revoke: { licenses: [], targetGroups: [] },
      desired: { licenses: ['Analytics', 'Beta', 'Pro'], targetGroups: ['Team A', 'Team B'] },
    });
  });

  // Regression: while access changes are held (a group could not be read, and it may be the one
  // granting it), even licensing.exclusive removes nothing: the extra is reported, not removed.
  it('exclusive: a license found on the target is not revoked while access changes are held', () => {
    const d = desiredUser('alice', { licenses: ['Analytics', 'Pro'], targetGroups: ['Team A'] });
    const plan = buildPlan(
      input({
        desired: [d],
        snapshot: [s],
        holdAccessChanges: true,
        absenceUntrusted: ['group X unreadable'],
        licensing: licensing({ exclusive: true, observed: new Map([['id-alice', ['Analytics', 'Hand', 'Pro']]]) }),
      }),
    );
    expect(plan.summary.licensesRevoked).toBe(0);
    expect(plan.operations).toEqual([]);
    expect(plan.licenses.extra).toEqual([{ userName: 'alice', license: 'Hand', removed: false }]);
  });

  it('without the hold the same input revokes', () => {
    const d = desiredUser('alice', { licenses: [], targetGroups: [] });
    const op = only(buildPlan(input({ desired: [d], snapshot: [s] })).operations);
    expect(op).toMatchObject({ revoke: { licenses: ['Analytics', 'Pro'], targetGroups: ['Team A'] } });
  });
});

describe('buildPlan: drift (licenses observed on the target)', () => {
  const granted = desiredUser('alice', { licenses: ['Analytics', 'Pro'] });

  it('a license removed by hand comes back and is listed as restored', () => {
    const plan = buildPlan(
      input({
        desired: [granted],
        snapshot: [snapshotOf(granted)],
        licensing: licensing({ observed: new Map([['id-alice', ['Analytics']]]) }),
      }),
    );
    expect(only(plan.operations)).toMatchObject({
      kind: 'update',
      grant: { licenses: ['Pro'], targetGroups: [] },
      revoke: { licenses: [], targetGroups: [] },
      desired: { licenses: ['Analytics', 'Pro'] },
    });
    expect(plan.licenses.restored).toEqual([{ userName: 'alice', license: 'Pro' }]);
    expect(plan.licenses.extra).toEqual([]);
    expect(plan.summary.licensesGranted).toBe(1);
  });

  it('without an observation the snapshot is believed: nothing is restored', () => {
    const plan = buildPlan(input({ desired: [granted], snapshot: [snapshotOf(granted)] }));
    expect(plan.operations).toEqual([]);
    expect(plan.licenses.restored).toEqual([]);
  });

  it('an account the drift read did not list is believed from the snapshot', () => {
    const plan = buildPlan(
      input({
        desired: [granted],
        snapshot: [snapshotOf(granted)],
        licensing: licensing({ observed: new Map([['id-someone-else', []]]) }),
      }),
    );
    expect(plan.operations).toEqual([]);
  });

  const d = desiredUser('alice', { licenses: ['Analytics'] });
  const observed = new Map([['id-alice', ['Analytics', 'Hand']]]);

  it('not exclusive: a license added by hand is reported, not removed', () => {
    const plan = buildPlan(
      input({ desired: [d], snapshot: [snapshotOf(d)], licensing: licensing({ observed, exclusive: false }) }),
    );
    expect(plan.operations).toEqual([]);
    expect(plan.licenses.extra).toEqual([{ userName: 'alice', license: 'Hand', removed: false }]);
    expect(plan.summary).toMatchObject({ unchanged: 1, licensesRevoked: 0 });
  });

  it('exclusive: a license added by hand is reported and revoked', () => {
    const plan = buildPlan(
      input({ desired: [d], snapshot: [snapshotOf(d)], licensing: licensing({ observed, exclusive: true }) }),
    );
    expect(only(plan.operations)).toMatchObject({
      kind: 'update',
      grant: { licenses: [], targetGroups: [] },
      revoke: { licenses: ['Hand'], targetGroups: [] },
      desired: { licenses: ['Analytics'] },
    });
    expect(plan.licenses.extra).toEqual([{ userName: 'alice', license: 'Hand', removed: true }]);
    expect(plan.summary.licensesRevoked).toBe(1);
  });

  it('a license dirsync granted and the target no longer shows is not revoked when the group drops it', () => {
    const s = snapshotOf(desiredUser('alice', { licenses: ['Analytics', 'Pro'] }));
    const plan = buildPlan(
      input({ desired: [d], snapshot: [s], licensing: licensing({ observed: new Map([['id-alice', ['Analytics']]]) }) }),
    );
    expect(plan.summary.licensesRevoked).toBe(0);
    expect(plan.licenses.extra).toEqual([]);
  });

  // Regression: a license the group grants that the target already holds but the snapshot lacks
  // (a seat handed by hand, a grant whose answer was lost) is recorded by an update that sends
  // nothing, so it is revoked like any other when the user leaves the group.
  it('a license the group grants that the target already holds is revoked once the user leaves the group', () => {
    const observed = new Map([['id-alice', ['Analytics', 'Pro']]]);
    const s = snapshotOf(desiredUser('alice', { licenses: ['Analytics'] }));
    // Run 1: the group grants Pro, the target already shows it.
    const first = buildPlan(
      input({
        desired: [desiredUser('alice', { licenses: ['Analytics', 'Pro'] })],
        snapshot: [s],
        licensing: licensing({ observed }),
      }),
    );
    // What the snapshot holds after run 1: the confirmed after state of its operation, if any.
    const op = first.operations.find((o) => o.externalId === 'id-alice');
    const confirmed = op && 'desired' in op ? { ...s, licenses: op.desired.licenses } : s;
    // Run 2: the user left the group that granted Pro.
    const second = buildPlan(
      input({
        desired: [desiredUser('alice', { licenses: ['Analytics'] })],
        snapshot: [confirmed],
        licensing: licensing({ observed }),
      }),
    );
    expect(second.operations).toEqual([
      expect.objectContaining({ kind: 'update', revoke: { licenses: ['Pro'], targetGroups: [] } }),
    ]);
    expect(second.licenses.extra).toEqual([]);
  });
});

describe('buildPlan: staged deprovisioning', () => {
  const active = snapshotOf(desiredUser('alice', { licenses: ['Pro'], targetGroups: ['Team A'] }));
  const disabled = desiredUser('alice', { active: false, licenses: [] });

  it('a deactivation keeps the licenses while there is a grace period', () => {
    const plan = buildPlan(input({ desired: [disabled], snapshot: [active], licensing: licensing({ revokeAfterDays: 30 }) }));
    expect(only(plan.operations)).toEqual({
      kind: 'deactivate',
      externalId: 'id-alice',
      userName: 'alice',
      dn: active.dn,
      targetId: 't-id-alice',
      previous: active,
      why: 'disabled-in-directory',
      revoke: { licenses: [], targetGroups: [] },
    });
    expect(plan.summary).toMatchObject({ deactivate: 1, licensesRevoked: 0 });
  });

  it('a deactivation releases the licenses (not the target groups) when the grace period is 0 days', () => {
    const plan = buildPlan(input({ desired: [disabled], snapshot: [active], licensing: licensing({ revokeAfterDays: 0 }) }));
    expect(only(plan.operations)).toMatchObject({
      kind: 'deactivate',
      why: 'disabled-in-directory',
      revoke: { licenses: ['Pro'], targetGroups: [] },
    });
    expect(plan.summary).toMatchObject({ deactivate: 1, licensesRevoked: 1 });
  });

  it('a user who left scope is deactivated the same way', () => {
    const plan = buildPlan(input({ snapshot: [active], licensing: licensing({ revokeAfterDays: 0 }) }));
    expect(only(plan.operations)).toMatchObject({ kind: 'deactivate', why: 'left-scope', revoke: { licenses: ['Pro'] } });
  });

  it('without licensing input a deactivation never releases licenses', () => {
    const plan = buildPlan({ ...input({ desired: [disabled], snapshot: [active] }), licensing: undefined });
    expect(only(plan.operations)).toMatchObject({ kind: 'deactivate', revoke: { licenses: [], targetGroups: [] } });
  });

  describe('the licenses of a deactivated account are released after the grace period', () => {
    const s = inactive('bob', ['Analytics', 'Pro'], { targetGroups: ['Team A'] });

    it.each([
      ['disabled in the directory', [desiredUser('bob', { active: false })]],
      ['absent from the directory', []],
    ])('%s: not one millisecond before revokeAfterDays days', (_what, desired) => {
      const plan = buildPlan(
        input({ desired, snapshot: [s], licensing: licensing({ revokeAfterDays: 30, now: after(30, -1) }) }),
      );
      expect(plan.operations).toEqual([]);
      expect(plan.summary.revoke).toBe(0);
    });

    it.each([
      ['disabled in the directory', [desiredUser('bob', { active: false })]],
      ['absent from the directory', []],
    ])('%s: on the day it is due, a revoke op (grace-period-over)', (_what, desired) => {
      const plan = buildPlan(input({ desired, snapshot: [s], licensing: licensing({ revokeAfterDays: 30, now: after(30) }) }));
      expect(plan.operations).toEqual([
        {
          kind: 'revoke',
          externalId: 'id-bob',
          userName: 'bob',
          dn: s.dn,
          targetId: 't-id-bob',
          previous: s,
          revoke: { licenses: ['Analytics', 'Pro'], targetGroups: [] },
          why: 'grace-period-over',
        },
      ]);
      expect(plan.summary).toMatchObject({ revoke: 1, licensesRevoked: 2 });
    });

    it('a disabled user whose step is not due counts as unchanged', () => {
      const plan = buildPlan(
        input({
          desired: [desiredUser('bob', { active: false })],
          snapshot: [s],
          licensing: licensing({ revokeAfterDays: 30, now: after(29) }),
        }),
      );
      expect(plan.summary).toMatchObject({ unchanged: 1, revoke: 0 });
    });

    it('only the licenses the target still shows are sent (the rest is dropped from the snapshot)', () => {
      const plan = buildPlan(
        input({
          snapshot: [s],
          licensing: licensing({ revokeAfterDays: 30, now: after(31), observed: new Map([['id-bob', ['Pro']]]) }),
        }),
      );
      expect(only(plan.operations)).toMatchObject({ kind: 'revoke', revoke: { licenses: ['Pro'], targetGroups: [] } });
    });

    it('an account with no licenses left gets no revoke op', () => {
      const plan = buildPlan(
        input({ snapshot: [inactive('bob', [])], licensing: licensing({ revokeAfterDays: 0, now: after(400) }) }),
      );
      expect(plan.operations).toEqual([]);
    });

    it('an account without deactivatedAt gets no staged step', () => {
      const plan = buildPlan(
        input({
          snapshot: [inactive('bob', ['Pro'], { deactivatedAt: undefined })],
          licensing: licensing({ revokeAfterDays: 0, deleteAfterDays: 1, now: after(400) }),
        }),
      );
      expect(plan.operations).toEqual([]);
    });
  });

  describe('deletion', () => {
    const s = inactive('bob', ['Pro']);

    it('is planned once deleteAfterDays is reached, instead of a revoke', () => {
      const plan = buildPlan(
        input({ snapshot: [s], licensing: licensing({ revokeAfterDays: 30, deleteAfterDays: 90, now: after(90) }) }),
      );
      expect(plan.operations).toEqual([
        { kind: 'delete', externalId: 'id-bob', userName: 'bob', dn: s.dn, targetId: 't-id-bob', previous: s },
      ]);
      expect(plan.summary).toMatchObject({ delete: 1, revoke: 0, licensesRevoked: 0 });
    });

    it('not one millisecond before', () => {
      const plan = buildPlan(
        input({ snapshot: [s], licensing: licensing({ revokeAfterDays: 30, deleteAfterDays: 90, now: after(90, -1) }) }),
      );
      expect(only(plan.operations)).toMatchObject({ kind: 'revoke' });
      expect(plan.summary.delete).toBe(0);
    });

    it('never without deleteAfterDays, however long the account has been inactive', () => {
      const plan = buildPlan(
        input({ snapshot: [inactive('bob', [])], licensing: licensing({ revokeAfterDays: 0, now: after(3650) }) }),
      );
      expect(plan.operations).toEqual([]);
      expect(plan.summary.delete).toBe(0);
    });

    it('a disabled user present in the directory is deleted too', () => {
      const plan = buildPlan(
        input({
          desired: [desiredUser('bob', { active: false })],
          snapshot: [s],
          licensing: licensing({ revokeAfterDays: 0, deleteAfterDays: 1, now: after(1) }),
        }),
      );
      expect(only(plan.operations)).toMatchObject({ kind: 'delete', externalId: 'id-bob' });
    });
  });

  it('absent inactive users get no staged step when absence is not trusted', () => {
    const plan = buildPlan(
      input({
        snapshot: [inactive('bob', ['Pro']), inactive('carol', ['Pro'])],
        absenceUntrusted: ['the read was incomplete'],
        licensing: licensing({ revokeAfterDays: 0, deleteAfterDays: 1, now: after(100) }),
      }),
    );
    expect(plan.operations).toEqual([]);
    expect(plan.held).toEqual([]);
  });

  it('a disabled user present in the read still gets its staged step when absence is not trusted', () => {
    const plan = buildPlan(
      input({
        desired: [desiredUser('bob', { active: false })],
        snapshot: [inactive('bob', ['Pro'])],
        absenceUntrusted: ['the read was incomplete'],
        licensing: licensing({ revokeAfterDays: 0, now: after(1) }),
      }),
    );
    expect(only(plan.operations)).toMatchObject({ kind: 'revoke', why: 'grace-period-over' });
  });
});

describe('buildPlan: summary and license report', () => {
  it('counts revoke, delete, licensesGranted and licensesRevoked over every operation', () => {
    const fresh = desiredUser('a.create', { licenses: ['Analytics', 'Pro'] });
    const moved = desiredUser('b.update', { licenses: ['Beta'] });
    const disabled = desiredUser('c.deactivate', { active: false });
    const plan = buildPlan(
      input({
        desired: [fresh, moved, disabled],
        snapshot: [
          snapshotOf(desiredUser('b.update', { licenses: ['Pro'] })),
          snapshotOf(desiredUser('c.deactivate', { licenses: ['Pro'] })),
          inactive('d.revoke', ['Analytics', 'Pro']),
          inactive('e.delete', ['Pro'], { deactivatedAt: '2025-01-01T00:00:00.000Z' }),
        ],
        licensing: licensing({ revokeAfterDays: 0, deleteAfterDays: 100, now: after(5) }),
      }),
    );
    expect(plan.operations.map((o) => [o.kind, o.userName])).toEqual([
      ['revoke', 'd.revoke'],
      ['create', 'a.create'],
      ['update', 'b.update'],
      ['deactivate', 'c.deactivate'],
      ['delete', 'e.delete'],
    ]);
    expect(plan.summary).toEqual({
      create: 1,
      update: 1,
      deactivate: 1,
      reactivate: 0,
      revoke: 1,
      delete: 1,
      unchanged: 0,
      skipped: 0,
      licensesGranted: 3,
      licensesRevoked: 4,
    });
  });

  it('passes the resolved shortfalls, incompatible licenses and seats into the plan', () => {
    const resolved = {
      shortfalls: [{ license: 'Pro', seats: 1, wanted: 2, short: 1, waiting: ['bob'] }],
      incompatible: [{ dn: 'uid=v,dc=x', userName: 'v', license: 'Pro', userType: 'Viewer' }],
      seats: [{ license: 'Pro', limit: 1, used: 1 }],
    };
    const plan = buildPlan(input({ licensing: licensing({ resolved }) }));
    expect(plan.licenses).toEqual({ ...resolved, extra: [], restored: [] });
  });

  it('without licensing input the license report is empty', () => {
    const plan = buildPlan({ ...input({}), licensing: undefined });
    expect(plan.licenses).toEqual({ shortfalls: [], incompatible: [], extra: [], restored: [], seats: [] });
  });
});
