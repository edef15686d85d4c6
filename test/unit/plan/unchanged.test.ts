import { buildPlan, type PlanInput } from '../../../src/plan/build-plan';
import { comparisonKey, splitUnchanged } from '../../../src/plan/unchanged';
import type { DesiredUser, SnapshotUser } from '../../../src/model/user-state';
import { openStateDb } from '../../../src/state/db';
import { SnapshotStore } from '../../../src/state/snapshot';
import { desiredUser, snapshotOf } from '../builders';

const keysOf = (rows: readonly SnapshotUser[]): Map<string, string | null> =>
  new Map(rows.map((s) => [s.externalId, s.active ? comparisonKey(s) : null]));

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

  it('sets aside only active users whose every compared field matches an active row', () => {
    const split = splitUnchanged([same, renamed, disabled, fresh, licensed], keysOf(snapshot));
    expect(split.unchanged).toBe(1);
    expect(split.changed.map((d) => d.userName)).toEqual(['renamed1', 'disabled1', 'fresh01', 'licensed1']);
    // Every row but the matched one is planned: the changed users' and the absent user's.
    expect([...split.rows].sort()).toEqual(['id-disabled1', 'id-gone001', 'id-licensed1', 'id-renamed1']);
  });

  it('never sets aside a row that is inactive or unreadable (null key)', () => {
    const split = splitUnchanged([same], new Map([[same.externalId, null]]));
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
    const split = splitUnchanged(desired, keysOf(rows));
    const part = buildPlan({ ...base, desired: split.changed, snapshot: rows.filter((r) => split.rows.has(r.externalId)) });
    expect(split.unchanged).toBeGreaterThan(50);
    expect(part.operations).toEqual(whole.operations);
    expect(part.summary.unchanged + split.unchanged).toBe(whole.summary.unchanged);
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

    const keys = store.comparisonKeys();
    for (const d of awkward) expect(keys.get(d.externalId)).toBe(comparisonKey(d));
    expect(keys.get('id-inactive')).toBeNull();
    expect(keys.get('id-badjson')).toBeNull();
    expect(keys.size).toBe(awkward.length + 2);
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
