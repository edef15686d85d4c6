import { buildPlan, type PlanInput } from '../../../src/plan/build-plan';
import { desiredUser, snapshotOf } from '../builders';

function input(overrides: Partial<PlanInput>): PlanInput {
  return { desired: [], skipped: [], held: new Set(), snapshot: [], absenceUntrusted: [], ...overrides };
}

describe('buildPlan', () => {
  it('creates users that are not in the snapshot', () => {
    const plan = buildPlan(input({ desired: [desiredUser('bob.jones'), desiredUser('alice.smith')] }));
    expect(plan.operations.map((o) => [o.kind, o.userName])).toEqual([
      ['create', 'alice.smith'],
      ['create', 'bob.jones'],
    ]);
    expect(plan.summary).toMatchObject({ create: 2, update: 0, deactivate: 0, unchanged: 0 });
  });

  it('plans nothing when desired equals the snapshot', () => {
    const d = desiredUser('alice.smith');
    const plan = buildPlan(input({ desired: [d], snapshot: [snapshotOf(d)] }));
    expect(plan.operations).toEqual([]);
    expect(plan.summary.unchanged).toBe(1);
  });

  it('updates changed fields only, keeping the target id', () => {
    const d = desiredUser('alice.smith', { email: 'alice@example.org', role: 'User' });
    const plan = buildPlan(input({ desired: [d], snapshot: [snapshotOf(desiredUser('alice.smith'))] }));
    expect(plan.operations).toHaveLength(1);
    const op = plan.operations[0];
    expect(op).toMatchObject({ kind: 'update', targetId: 't-id-alice.smith' });
    expect(op?.kind === 'update' && op.changes.map((c) => c.field)).toEqual(['email', 'role']);
  });

  it('deactivates a user who left every mapped group, when absence is trusted', () => {
    const gone = snapshotOf(desiredUser('gone.user'));
    const plan = buildPlan(input({ snapshot: [gone] }));
    expect(plan.operations).toEqual([
      expect.objectContaining({ kind: 'deactivate', why: 'left-scope', targetId: gone.targetId }),
    ]);
  });

  it('never deactivates on an untrusted read, and says why', () => {
    const plan = buildPlan(
      input({ snapshot: [snapshotOf(desiredUser('gone.user'))], absenceUntrusted: ['the read was incomplete'] }),
    );
    expect(plan.operations).toEqual([]);
    expect(plan.held[0]).toMatch(/1 user\(s\).*the read was incomplete/);
  });

  it('never deactivates a user who is present but skipped by a rule', () => {
    const s = snapshotOf(desiredUser('no.mail'));
    const plan = buildPlan(input({ snapshot: [s], held: new Set([s.externalId]) }));
    expect(plan.operations).toEqual([]);
  });

  it('does not deactivate twice', () => {
    const plan = buildPlan(input({ snapshot: [snapshotOf(desiredUser('gone.user'), { active: false })] }));
    expect(plan.operations).toEqual([]);
  });

  it('deactivates a user disabled in the directory, and reactivates (never re-creates) them', () => {
    const d = desiredUser('alice.smith');
    const off = buildPlan(input({ desired: [{ ...d, active: false }], snapshot: [snapshotOf(d)] }));
    expect(off.operations).toEqual([expect.objectContaining({ kind: 'deactivate', why: 'disabled-in-directory' })]);
    const back = buildPlan(input({ desired: [d], snapshot: [snapshotOf(d, { active: false })] }));
    expect(back.operations).toEqual([expect.objectContaining({ kind: 'reactivate', targetId: 't-id-alice.smith', changes: [] })]);
  });

  it('does not create a user who is disabled and was never provisioned', () => {
    const plan = buildPlan(input({ desired: [desiredUser('alice.smith', { active: false })] }));
    expect(plan.operations).toEqual([]);
    expect(plan.skipped).toEqual([expect.objectContaining({ reason: 'DISABLED_NEVER_PROVISIONED' })]);
  });

  it('is deterministic: shuffled input, identical plan', () => {
    const users = ['d', 'b', 'a', 'c'].map((u) => desiredUser(`user.${u}`));
    const snap = [snapshotOf(desiredUser('user.z')), snapshotOf(desiredUser('user.b'), { role: 'Viewer' })];
    const a = buildPlan(input({ desired: users, snapshot: snap }));
    const b = buildPlan(input({ desired: [...users].reverse(), snapshot: [...snap].reverse() }));
    expect(b).toEqual(a);
    expect(a.operations.map((o) => o.kind)).toEqual(['create', 'create', 'create', 'update', 'deactivate']);
  });
});

describe('buildPlan with an incomplete read', () => {
  it('holds role and user type changes, keeps the target values in the operation, still sends other changes', () => {
    const before = desiredUser('alice.smith');
    const now = desiredUser('alice.smith', { role: 'Viewer', userType: 'Viewer', email: 'alice@example.org' });
    const plan = buildPlan(
      input({ desired: [now], snapshot: [snapshotOf(before)], absenceUntrusted: ['group X failed'], holdAccessChanges: true }),
    );
    expect(plan.operations).toHaveLength(1);
    const op = plan.operations[0];
    expect(op?.kind === 'update' && op.changes.map((c) => c.field)).toEqual(['email']);
    expect(op?.kind === 'update' && [op.desired.role, op.desired.userType]).toEqual(['Publisher', 'Creator']);
    expect(plan.held).toEqual([expect.stringMatching(/^1 role or user type change\(s\) were not sent: group X failed/)]);
  });
});
