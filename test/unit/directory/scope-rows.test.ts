import { normalizeDn } from '../../../src/directory/dn';
import { openStateDb } from '../../../src/state/db';
import { ScopeStore } from '../../../src/state/scope';
import { emptyBaseProblems } from '../../../src/sync/directory-pass';
import type { SnapshotUser } from '../../../src/model/user-state';

describe('the scope rows a directory read leaves (ScopeStore)', () => {
  it('replace() with group lists shared between entries writes each row once, and nothing when unchanged', () => {
    const db = openStateDb(':memory:');
    const store = new ScopeStore(db);
    const shared = Object.freeze(['g1', 'g2']);
    const entries = Array.from({ length: 50 }, (_, i) => ({ externalId: `id${i}`, dn: `uid=u${i},dc=x`, groups: shared }));
    const changes = (): number => (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    const start = changes();
    store.replace(entries, { serverId: 's', mark: '1' });
    // 50 rows, the mark and the scope digest.
    expect(changes() - start).toBe(52);
    const again = changes();
    store.replace(entries, { serverId: 's', mark: '1' });
    // Only the mark row is written again.
    expect(changes() - again).toBe(1);
    const scope = store.all();
    expect(scope.size).toBe(50);
    expect(scope.get('id7')).toEqual({ externalId: 'id7', dn: 'uid=u7,dc=x', groups: ['g1', 'g2'] });
    // Rows with the same groups share one parsed list.
    expect(scope.get('id1')?.groups).toBe(scope.get('id2')?.groups);
  });

  it('keeps the other statements on the table answering objects (the raw read has its own statement)', () => {
    const db = openStateDb(':memory:');
    const store = new ScopeStore(db);
    store.replace([{ externalId: 'a', dn: 'uid=a', groups: ['g'] }], undefined);
    store.all();
    expect(db.prepare('SELECT * FROM directory_scope').all()).toEqual([{ external_id: 'a', dn: 'uid=a', groups: '["g"]' }]);
  });
});

describe('emptyBaseProblems', () => {
  it('reads the snapshot only when a base came back empty', () => {
    let reads = 0;
    const snapshot = (): SnapshotUser[] => {
      reads += 1;
      return [];
    };
    expect(emptyBaseProblems({ 'ou=a': 3, 'ou=b': 1 }, snapshot)).toEqual([]);
    expect(reads).toBe(0);
    emptyBaseProblems({ 'ou=a': 0, 'ou=b': 0 }, snapshot);
    expect(reads).toBe(1);
  });
});

describe('normalizeDn on DNs already in canonical form', () => {
  it('returns the string it was given (no copy per user and member)', () => {
    const dn = ['uid=user0000001', 'ou=people', 'dc=example', 'dc=org'].join(',');
    expect(normalizeDn(dn)).toBe(dn);
    expect(normalizeDn('UID=User1,DC=x')).toBe('uid=user1,dc=x');
    expect(normalizeDn('uid=a , dc=x')).toBe('uid=a,dc=x');
  });
});
