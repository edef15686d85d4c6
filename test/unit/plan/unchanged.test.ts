import { buildPlan, type PlanInput } from '../../../src/plan/build-plan';
import { comparisonKey, splitUnchanged } from '../../../src/plan/unchanged';
import type { DesiredUser, SnapshotKeys, SnapshotUser } from '../../../src/model/user-state';
import { openStateDb } from '../../../src/state/db';
import { SnapshotStore } from '../../../src/state/snapshot';
import { desiredUser, snapshotOf } from '../builders';

/** As SnapshotStore.comparisonKeys gives them: in order of externalId. */
const keysOf = (rows: readonly SnapshotUser[]): SnapshotKeys => {
  const sorted = [...rows].sort((a, b) => (a.externalId < b.externalId ? -1 : 1));
  return { ids: sorted.map((s) => s.externalId), keys: sorted.map((s) => (s.active ? comparisonKey(s) : null)) };
};
const sortedById = (users: readonly DesiredUser[]): DesiredUser[] =>
  [...users].sort((a, b) => (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0));

describe('splitUnchanged', () => {
  const same = desiredUser('same1');
  const renamed = desiredUser('renamed1', { displayName: 'New Name' });
  const disabled = desiredUser('disabled1', { active: false });
  const fresh = desiredUser('fresh01');
  const licensed = desiredUser('licensed1', { licenses: ['pro'] });
  const snapshot = [
    snapshotOf(same),
    snapshotOf(desiredUser('renamed1')),
    snapshotOf(desiredUser('disabled1'), { active: false }),
    snapshotOf(desiredUser('gone001')),
    snapshotOf(desiredUser('licensed1')),
  ];

  // Sorted by externalId (as the desired state is): one merge pass. Any other order: by lookup.
  it.each([
    ['sorted, merged', sortedById],
    ['unsorted, looked up', (users: readonly DesiredUser[]) => [...users]],
  ])('sets aside only active users whose every compared field matches an active row (%s)', (_how, order) => {
    const split = splitUnchanged(order([same, renamed, disabled, fresh, licensed]), keysOf(snapshot));
    expect(split.unchanged).toBe(1);
    expect(split.changed.map((d) => d.userName).sort()).toEqual(['disabled1', 'fresh01', 'licensed1', 'renamed1']);
    // Every row but the matched one is planned: the changed users' and the absent user's.
    expect([...split.rows].sort()).toEqual(['id-disabled1', 'id-gone001', 'id-licensed1', 'id-renamed1']);
  });

  it('pairs rows by lookup when the snapshot order is not JavaScript order (SQLite sorts by bytes)', () => {
    const keys = keysOf(snapshot);
    const reversed = { ids: [...keys.ids].reverse(), keys: [...keys.keys].reverse() };
    const split = splitUnchanged(sortedById([same, renamed, disabled, fresh, licensed]), reversed);
    expect(split.unchanged).toBe(1);
    expect([...split.rows].sort()).toEqual(['id-disabled1', 'id-gone001', 'id-licensed1', 'id-renamed1']);
  });

  it('never sets aside a row that is inactive or unreadable (null key)', () => {
    const split = splitUnchanged([same], { ids: [same.externalId], keys: [null] });
    expect(split.unchanged).toBe(0);
    expect(split.changed).toEqual([same]);
    expect(split.rows.has(same.externalId)).toBe(true);
  });

  it('plans both users of an id given twice, with their row', () => {
    const twin = desiredUser('same1', { dn: 'uid=same1,ou=other,dc=example,dc=org' });
    const split = splitUnchanged([same, twin], keysOf([snapshotOf(same)]));
    expect(split.unchanged).toBe(0);
    expect(split.changed).toHaveLength(2);
    expect(split.rows.has(same.externalId)).toBe(true);
  });

  it('gives the same operations and counts as planning everything, over many mixed users', () => {
    const desired: DesiredUser[] = [];
    const rows: SnapshotUser[] = [];
    for (let i = 0; i < 400; i += 1) {
      const uid = `user${String(i).padStart(4, '0')}`;
      const d = desiredUser(uid, { licenses: i % 7 === 0 ? ['pro'] : [], targetGroups: i % 11 === 0 ? ['team'] : [] });
      switch (i % 6) {
        case 0: // unchanged
          desired.push(d);
          rows.push(snapshotOf(d));
          break;
        case 1: // changed email
          desired.push({ ...d, email: `new.${d.email}` });
          rows.push(snapshotOf(d));
          break;
        case 2: // new
          desired.push(d);
          break;
        case 3: // left scope
          rows.push(snapshotOf(d));
          break;
        case 4: // reactivated
          desired.push(d);
          rows.push(snapshotOf(d, { active: false, deactivatedAt: '2026-01-01T00:00:00.000Z' }));
          break;
        default: // license taken away
          desired.push({ ...d, licenses: [] });
          rows.push(snapshotOf(d, { licenses: ['pro', 'std'] }));
      }
    }
    const base: Omit<PlanInput, 'desired' | 'snapshot'> = { skipped: [], held: new Set(), absenceUntrusted: [] };
    const whole = buildPlan({ ...base, desired, snapshot: rows });
    // Ascending (merged), and reversed (looked up): the same plan either way.
    for (const order of [desired, [...desired].reverse()]) {
      const split = splitUnchanged(order, keysOf(rows));
      const part = buildPlan({ ...base, desired: split.changed, snapshot: rows.filter((r) => split.rows.has(r.externalId)) });
      expect(split.unchanged).toBeGreaterThan(50);
      expect(part.operations).toEqual(whole.operations);
      expect(part.summary.unchanged + split.unchanged).toBe(whole.summary.unchanged);
    }
  });
});

describe('SnapshotStore.comparisonKeys', () => {
  it('computes in SQL exactly the key comparisonKey computes for the same account', () => {
    const db = openStateDb(':memory:');
    const store = new SnapshotStore(db);
    const awkward = [
      desiredUser('plain01'),
      desiredUser('quote01', { displayName: 'Dominic "Dom" O\'Brien', familyName: 'back\\slash' }),
      desiredUser('accent1', { givenName: 'Zoë', familyName: 'Ñúñez-Łukasz 李 😀', email: 'zoe@exämple.org' }),
      desiredUser('control', { displayName: 'tab\there\nnewline\u0001\u001f/slash' }),
      desiredUser('access1', { licenses: ['a "pro"', 'std'], targetGroups: ['Team Ä', 'z'] }),
      desiredUser('empty01', { givenName: '', familyName: '', role: '', userType: '' }),
    ];
    for (const d of awkward) store.put(snapshotOf(d));
    store.put(snapshotOf(desiredUser('inactive'), { active: false }));
    store.put(snapshotOf(desiredUser('badjson')));
    db.prepare("UPDATE snapshot SET licenses = 'not json' WHERE external_id = 'id-badjson'").run();

    const { ids, keys, active } = store.comparisonKeys();
    const keyOf = (id: string): string | null | undefined => keys[ids.indexOf(id)];
    for (const d of awkward) expect(keyOf(d.externalId)).toBe(comparisonKey(d));
    expect(keyOf('id-inactive')).toBeNull();
    expect(keyOf('id-badjson')).toBeNull();
    expect(ids).toHaveLength(awkward.length + 2);
    expect(ids).toEqual([...ids].sort());
    // Active rows, readable or not: what the mass-change guard counts.
    expect(active).toBe(awkward.length + 1);
    db.close();
  });

  it('reads the keys a chunk per step, in order, the same as all at once', () => {
    const db = openStateDb(':memory:');
    const store = new SnapshotStore(db);
    for (let i = 0; i < 7; i += 1) store.put(snapshotOf(desiredUser(`user${i}0`), { active: i !== 3 }));
    const reader = store.keyReader(2);
    const steps: boolean[] = [];
    for (let i = 0; i < 5; i += 1) steps.push(reader.step());
    // 2 + 2 + 2 + 1 rows: the fourth step reads the last row and says so; the fifth reads nothing.
    expect(steps).toEqual([true, true, true, false, false]);
    expect(reader.finish()).toEqual(store.comparisonKeys());
    const stepped = store.keyReader(3);
    stepped.step();
    // A row changed between steps is read as it is when its chunk comes.
    store.put(snapshotOf(desiredUser('user60'), { displayName: 'Changed' }));
    const { ids, keys, active } = stepped.finish();
    expect(ids).toEqual(['id-user00', 'id-user10', 'id-user20', 'id-user30', 'id-user40', 'id-user50', 'id-user60']);
    expect(keys[6]).toContain('Changed');
    expect(keys[3]).toBeNull();
    expect(active).toBe(6);
    db.close();
  });

  it('reads a chunk whose id holds a newline by rows, keys still paired with their ids', () => {
    const db = openStateDb(':memory:');
    const store = new SnapshotStore(db);
    const users = ['user01', 'two\nlines', 'user03', 'user04', 'user05'].map((u) => desiredUser(u));
    for (const u of users) store.put(snapshotOf(u));
    const { ids, keys, active } = store.keyReader(2).finish();
    expect(ids).toEqual(users.map((u) => u.externalId).sort());
    expect(ids).toHaveLength(5);
    for (const u of users) expect(keys[ids.indexOf(u.externalId)]).toBe(comparisonKey(u));
    expect(active).toBe(5);
    db.close();
  });

  it('reads the rows of a set of ids one by one or all at once, alike', () => {
    const db = openStateDb(':memory:');
    const store = new SnapshotStore(db);
    const users = ['aaaaaa', 'bbbbbb', 'cccccc', 'dddddd'].map((u) => snapshotOf(desiredUser(u)));
    for (const u of users) store.put(u);
    const ids = new Set(['id-bbbbbb', 'id-dddddd', 'id-missing']);
    const few = store.rows(ids, 1000);
    const many = store.rows(ids, 2);
    expect(few.map((u) => u.externalId).sort()).toEqual(['id-bbbbbb', 'id-dddddd']);
    expect(many).toEqual(few.sort((a, b) => (a.externalId < b.externalId ? -1 : 1)));
    db.close();
  });
});
