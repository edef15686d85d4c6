import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SCHEMA_VERSION, openStateDb, type StateDb } from '../../../src/state/db';
import { ScopeStore, type ScopeEntry } from '../../../src/state/scope';

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
    // b updated, d inserted, c deleted, the mark and the digest updated: a is not rewritten.
    expect(after.n - before.n).toBe(5);
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

describe('ScopeStore: the digest that lets an unchanged full sync skip the compare', () => {
  const G1 = Object.freeze(['cn=g1']);
  const G12 = Object.freeze(['cn=g1', 'cn=g2']);
  const a: ScopeEntry = { externalId: 'a', dn: 'uid=a,dc=x', groups: G1 };
  const b: ScopeEntry = { externalId: 'b', dn: 'uid=b,dc=x', groups: G12 };
  const c: ScopeEntry = { externalId: 'c', dn: 'uid=c,dc=x', groups: G1 };
  const base: readonly ScopeEntry[] = [a, b, c];
  const tableOf = (entries: readonly ScopeEntry[]): { external_id: string; dn: string; groups: string }[] =>
    entries
      .map((e) => ({ external_id: e.externalId, dn: e.dn, groups: JSON.stringify(e.groups) }))
      .sort((x, y) => x.external_id.localeCompare(y.external_id));

  interface Watched {
    db: StateDb;
    store: ScopeStore;
    /** The scope rows written since the last call, as 'insert a', 'update b', 'delete c'. */
    writes: () => string[];
    /** How many times the scope table was read back in full since the last call. */
    reads: () => number;
    table: () => { external_id: string; dn: string; groups: string }[];
    changes: () => number;
  }

  /** Temp triggers log each row written (trigger writes count in no change total). */
  function watch(db: StateDb): Watched {
    db.exec(`CREATE TEMP TABLE scope_writes (what TEXT NOT NULL);
      CREATE TEMP TRIGGER scope_inserted AFTER INSERT ON main.directory_scope
        BEGIN INSERT INTO scope_writes VALUES ('insert ' || NEW.external_id); END;
      CREATE TEMP TRIGGER scope_updated AFTER UPDATE ON main.directory_scope
        BEGIN INSERT INTO scope_writes VALUES ('update ' || NEW.external_id); END;
      CREATE TEMP TRIGGER scope_deleted AFTER DELETE ON main.directory_scope
        BEGIN INSERT INTO scope_writes VALUES ('delete ' || OLD.external_id); END;`);
    const prepare = jest.spyOn(db, 'prepare');
    let seen = 0;
    return {
      db,
      store: new ScopeStore(db),
      writes: () => {
        const rows = db.prepare<[], { what: string }>('SELECT what FROM scope_writes ORDER BY rowid').all();
        db.prepare('DELETE FROM scope_writes').run();
        return rows.map((r) => r.what);
      },
      reads: () => {
        const calls = prepare.mock.calls.slice(seen);
        seen = prepare.mock.calls.length;
        return calls.filter(([sql]) => sql.includes('raw rows')).length;
      },
      table: () =>
        db
          .prepare<[], { external_id: string; dn: string; groups: string }>(
            'SELECT external_id, dn, groups FROM directory_scope ORDER BY external_id',
          )
          .all(),
      changes: () => db.prepare<[], { n: number }>('SELECT total_changes() AS n').get()?.n ?? 0,
    };
  }

  /** A store holding `base`, its digest stored, the logs emptied. */
  function seeded(): Watched {
    const w = watch(openStateDb(':memory:'));
    w.store.replace(base, { serverId: 's', mark: '1' });
    w.writes();
    w.reads();
    return w;
  }

  it('a second replace() with the same entries reads and writes no scope row, and still moves the mark', () => {
    const w = seeded();
    // Equal by value, not the same objects: a new directory read.
    const again = base.map((e) => ({ ...e, groups: [...e.groups] }));
    const before = w.changes();
    w.store.replace(again, { serverId: 's', mark: '2' });
    expect(w.changes() - before).toBe(1);
    expect(w.writes()).toEqual([]);
    expect(w.reads()).toBe(0);
    expect(w.store.mark()).toEqual({ serverId: 's', mark: '2' });
    expect(w.table()).toEqual(tableOf(base));
  });

  it.each<[string, readonly ScopeEntry[], string[]]>([
    ["one entry's groups changed", [a, { ...b, groups: G1 }, c], ['update b']],
    ["one entry's DN changed", [a, { ...b, dn: 'uid=b,ou=moved,dc=x' }, c], ['update b']],
    ['one entry removed', [a, b], ['delete c']],
    ['one entry added', [...base, { externalId: 'd', dn: 'uid=d,dc=x', groups: G12 }], ['insert d']],
  ])('replace() with %s writes exactly that change, then skips the next identical one', (_, changed, expected) => {
    const w = seeded();
    w.store.replace(changed, { serverId: 's', mark: '2' });
    expect(w.writes()).toEqual(expected);
    expect(w.reads()).toBe(1);
    expect(w.table()).toEqual(tableOf(changed));
    w.store.replace(changed, { serverId: 's', mark: '3' });
    expect(w.writes()).toEqual([]);
    expect(w.reads()).toBe(0);
    expect(w.store.mark()?.mark).toBe('3');
  });

  it('after a delta, replace() with the entries from before it restores the table exactly', () => {
    const w = seeded();
    w.store.update(
      [
        { externalId: 'a', dn: 'uid=a,dc=x', groups: [] },
        { externalId: 'b', dn: 'uid=b,ou=moved,dc=x', groups: G1 },
        { externalId: 'd', dn: 'uid=d,dc=x', groups: G1 },
      ],
      { serverId: 's', mark: '2' },
    );
    w.writes();
    // The same entries the digest was stored for: only a full compare puts the table back.
    w.store.replace(base, { serverId: 's', mark: '3' });
    expect(w.reads()).toBe(1);
    expect(w.writes().sort()).toEqual(['delete d', 'insert a', 'update b']);
    expect(w.table()).toEqual(tableOf(base));
    expect(w.store.all()).toEqual(new Map(base.map((e) => [e.externalId, e])));
  });

  it('a delta that changed nothing keeps the digest: the next unchanged full sync still skips', () => {
    const w = seeded();
    w.store.update([], { serverId: 's', mark: '2' });
    w.store.replace(base, { serverId: 's', mark: '3' });
    expect(w.reads()).toBe(0);
    expect(w.writes()).toEqual([]);
    expect(w.store.mark()?.mark).toBe('3');
  });

  it('the digest outlives the mark: a full sync without one keeps it valid', () => {
    const w = seeded();
    w.store.replace(base, undefined);
    expect(w.store.mark()).toBeUndefined();
    w.store.replace(base, { serverId: 's', mark: '2' });
    expect(w.reads()).toBe(0);
    expect(w.writes()).toEqual([]);
    expect(w.store.mark()).toEqual({ serverId: 's', mark: '2' });
  });

  it('the same scope in another order is compared in full once and writes no row', () => {
    const w = seeded();
    const reversed = [...base].reverse();
    w.store.replace(reversed, { serverId: 's', mark: '2' });
    expect(w.reads()).toBe(1);
    expect(w.writes()).toEqual([]);
    w.store.replace(reversed, { serverId: 's', mark: '3' });
    expect(w.reads()).toBe(0);
  });

  it('takes entries from an iterable that can be iterated only once', () => {
    const w = watch(openStateDb(':memory:'));
    function* entries(): Generator<ScopeEntry> {
      yield* base;
    }
    w.store.replace(entries(), { serverId: 's', mark: '1' });
    expect(w.table()).toEqual(tableOf(base));
    w.reads();
    w.store.replace(entries(), { serverId: 's', mark: '2' });
    expect(w.reads()).toBe(0);
  });

  it('a database from the schema before the digest gets its table, and its first replace() compares in full', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'dirsync-scope-')), 'state.db');
    const old = openStateDb(file);
    // What version 4 left: no digest table, and a scope as the last full sync wrote it.
    old.exec('DROP TABLE directory_scope_digest');
    old.pragma(`user_version = ${SCHEMA_VERSION - 1}`);
    const insert = old.prepare('INSERT INTO directory_scope (external_id, dn, groups) VALUES (?, ?, ?)');
    insert.run('a', 'uid=a,dc=x', JSON.stringify(G1));
    insert.run('b', 'uid=b,ou=old,dc=x', JSON.stringify(G12));
    insert.run('c', 'uid=c,dc=x', JSON.stringify(G1));
    insert.run('z', 'uid=z,dc=x', JSON.stringify(G1));
    old.close();

    const w = watch(openStateDb(file));
    expect(w.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    w.store.replace(base, { serverId: 's', mark: '1' });
    expect(w.reads()).toBe(1);
    expect(w.writes().sort()).toEqual(['delete z', 'update b']);
    expect(w.table()).toEqual(tableOf(base));
    w.store.replace(base, { serverId: 's', mark: '2' });
    expect(w.reads()).toBe(0);
    expect(w.writes()).toEqual([]);
  });
});
