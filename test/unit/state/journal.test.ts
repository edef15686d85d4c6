import { openStateDb } from '../../../src/state/db';
import { Journal } from '../../../src/state/journal';
import { RunStore } from '../../../src/state/runs';
import { SnapshotStore } from '../../../src/state/snapshot';
import type { Operation } from '../../../src/model/plan';
import type { SnapshotUser } from '../../../src/model/user-state';

function user(i: number): SnapshotUser {
  return {
    externalId: `e-${i}`,
    targetId: `t-${i}`,
    dn: `uid=u${i},dc=x`,
    userName: `user${i}`,
    email: `u${i}@x.org`,
    givenName: 'G',
    familyName: 'F',
    displayName: 'G F',
    role: 'User',
    userType: 'Viewer',
    active: true,
    updatedAt: '2026-01-01T00:00:00.000Z',
    licenses: [],
    targetGroups: [],
  };
}

function setup(count: number) {
  const db = openStateDb(':memory:');
  const snapshot = new SnapshotStore(db);
  const journal = new Journal(db, snapshot);
  const runId = new RunStore(db).start('sync');
  const ops = Array.from({ length: count }, (_, i) => ({ kind: 'create', externalId: `e-${i}` }) as unknown as Operation);
  journal.recordInSteps(runId, ops).rest();
  return { snapshot, journal, runId };
}

describe('Journal.completeDeferred', () => {
  it('writes nothing until flush, then journal and snapshot together', () => {
    const { snapshot, journal, runId } = setup(3);
    journal.completeDeferred(runId, 0, user(0));
    journal.completeDeferred(runId, 1, user(1));
    // Not yet written: a crash here leaves both pending, to be looked up on resume.
    expect(journal.pendingCount()).toBe(3);
    expect(snapshot.count()).toBe(0);
    journal.flush();
    expect(journal.pending().map((p) => p.seq)).toEqual([2]);
    expect(snapshot.get('e-1')).toEqual(user(1));
    journal.flush();
    expect(snapshot.count()).toBe(2);
  });

  it('flushes by itself once enough completions are held', () => {
    const { snapshot, journal, runId } = setup(300);
    for (let i = 0; i < 300; i += 1) journal.completeDeferred(runId, i, user(i));
    expect(snapshot.count()).toBe(256);
    journal.flush();
    expect(journal.pendingCount()).toBe(0);
  });
});

describe('Journal.recordInSteps', () => {
  const ops = (count: number): Operation[] =>
    Array.from({ length: count }, (_, i) => ({ kind: 'create', externalId: `e-${i}` }) as unknown as Operation);

  function fresh() {
    const db = openStateDb(':memory:');
    const journal = new Journal(db, new SnapshotStore(db));
    const runId = new RunStore(db).start('sync');
    const written = (): number[] =>
      (db.prepare('SELECT seq FROM journal WHERE run_id = ? ORDER BY seq').all(runId) as { seq: number }[]).map((r) => r.seq);
    return { journal, runId, written };
  }

  it('writes a step of 1,000 entries when sending reaches it, and the rest on demand', () => {
    const { journal, runId, written } = fresh();
    const plan = journal.recordInSteps(runId, ops(2_500));
    expect(written()).toEqual([]);
    plan.through(0);
    expect(written()).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
    plan.through(999);
    expect(written()).toHaveLength(1_000);
    plan.through(1_000);
    expect(written()).toHaveLength(2_000);
    // A unit further ahead (a bulk batch) is written through its last entry at least.
    plan.through(2_400);
    expect(written()).toHaveLength(2_500);
    plan.rest();
    expect(journal.pendingCount()).toBe(2_500);
  });

  it('rest() writes what sending never reached, as pending, exactly once', () => {
    const { journal, runId, written } = fresh();
    const plan = journal.recordInSteps(runId, ops(1_200));
    plan.through(3);
    plan.rest();
    plan.rest();
    plan.through(1_100);
    expect(written()).toEqual(Array.from({ length: 1_200 }, (_, i) => i));
  });
});
