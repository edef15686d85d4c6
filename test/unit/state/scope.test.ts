import { openStateDb } from '../../../src/state/db';
import { ScopeStore } from '../../../src/state/scope';

describe('ScopeStore', () => {
  it('replace() leaves exactly the given entries and the mark, writing only what changed', () => {
    const db = openStateDb(':memory:');
    const store = new ScopeStore(db);
    store.replace(
      [
        { externalId: 'a', dn: 'uid=a', groups: ['g1'] },
        { externalId: 'b', dn: 'uid=b', groups: ['g1', 'g2'] },
        { externalId: 'c', dn: 'uid=c', groups: ['g2'] },
      ],
      { serverId: 's', mark: '1' },
    );
    const before = db.prepare('SELECT total_changes() AS n').get() as { n: number };
    store.replace(
      [
        { externalId: 'a', dn: 'uid=a', groups: ['g1'] },
        { externalId: 'b', dn: 'uid=b2', groups: ['g1', 'g2'] },
        { externalId: 'd', dn: 'uid=d', groups: ['g2'] },
      ],
      { serverId: 's', mark: '2' },
    );
    const after = db.prepare('SELECT total_changes() AS n').get() as { n: number };
    // b updated, d inserted, c deleted, the mark updated: a is not rewritten.
    expect(after.n - before.n).toBe(4);
    expect([...store.all().values()].sort((x, y) => x.externalId.localeCompare(y.externalId))).toEqual([
      { externalId: 'a', dn: 'uid=a', groups: ['g1'] },
      { externalId: 'b', dn: 'uid=b2', groups: ['g1', 'g2'] },
      { externalId: 'd', dn: 'uid=d', groups: ['g2'] },
    ]);
    expect(store.mark()).toEqual({ serverId: 's', mark: '2' });
  });

  it('update() upserts changed entries and drops those that left every group', () => {
    const store = new ScopeStore(openStateDb(':memory:'));
    store.replace([{ externalId: 'a', dn: 'uid=a', groups: ['g1'] }], { serverId: 's', mark: '1' });
    store.update(
      [
        { externalId: 'a', dn: 'uid=a', groups: [] },
        { externalId: 'b', dn: 'uid=b', groups: ['g1'] },
      ],
      { serverId: 's', mark: '5' },
    );
    expect([...store.all().keys()]).toEqual(['b']);
    expect(store.mark()?.mark).toBe('5');
  });
});
