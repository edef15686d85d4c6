import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSqlite } from '../../../src/state/sqlite';

describe('openSqlite', () => {
  it('prepares each SQL text once, so no statement is ever left to the GC', () => {
    const db = openSqlite(':memory:');
    expect(db.prepare('SELECT 1 AS one')).toBe(db.prepare('SELECT 1 AS one'));
    expect(db.prepare('SELECT 1 AS one').get()).toEqual({ one: 1 });
  });

  it('answers pragmas like better-sqlite3 does, through the same cache', () => {
    const db = openSqlite(':memory:');
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    db.pragma('user_version = 7');
    expect(db.pragma('user_version', { simple: true })).toBe(7);
    expect(db.pragma('user_version')).toEqual([{ user_version: 7 }]);
    // raw mode is switched back: a plain get() still returns an object.
    expect(db.prepare('PRAGMA user_version').get()).toEqual({ user_version: 7 });
  });

  it('shares one connection per file, which close() keeps open', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'dirsync-sqlite-')), 'x.db');
    const a = openSqlite(file);
    a.exec('CREATE TABLE t (v INTEGER)');
    a.close();
    const b = openSqlite(file);
    expect(b).toBe(a);
    expect(b.open).toBe(true);
    b.prepare('INSERT INTO t VALUES (1)').run();
    expect(openSqlite(file, { readonly: true }).prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
  });
});
