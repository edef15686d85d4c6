import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { openSqlite } from './sqlite';
import { StateError, errorMessage } from '../errors/codes';

export type StateDb = Database.Database;

/**
 * Ordered migrations; the index + 1 is the schema version. Append only: a released migration
 * is never edited, because installed databases have already run it.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE snapshot (
     external_id  TEXT PRIMARY KEY,
     target_id    TEXT NOT NULL,
     dn           TEXT NOT NULL,
     user_name    TEXT NOT NULL,
     email        TEXT NOT NULL,
     given_name   TEXT NOT NULL,
     family_name  TEXT NOT NULL,
     display_name TEXT NOT NULL,
     role         TEXT NOT NULL,
     user_type    TEXT NOT NULL,
     active       INTEGER NOT NULL,
     updated_at   TEXT NOT NULL
   ) STRICT;
   CREATE UNIQUE INDEX snapshot_target_id ON snapshot(target_id);
   CREATE TABLE runs (
     id           TEXT PRIMARY KEY,
     mode         TEXT NOT NULL,
     started_at   TEXT NOT NULL,
     finished_at  TEXT,
     outcome      TEXT NOT NULL,
     counts       TEXT NOT NULL DEFAULT '{}',
     message      TEXT
   ) STRICT;
   CREATE INDEX runs_started ON runs(started_at);
   CREATE TABLE journal (
     run_id       TEXT NOT NULL REFERENCES runs(id),
     seq          INTEGER NOT NULL,
     kind         TEXT NOT NULL,
     external_id  TEXT NOT NULL,
     operation    TEXT NOT NULL,
     status       TEXT NOT NULL,
     error        TEXT,
     updated_at   TEXT NOT NULL,
     PRIMARY KEY (run_id, seq)
   ) STRICT;
   CREATE INDEX journal_status ON journal(status);`,
  // 2: the lease that keeps two applying runs apart, and which run re-drove a dead run's entry.
  `CREATE TABLE lease (
     name         TEXT PRIMARY KEY,
     owner        TEXT NOT NULL,
     host         TEXT NOT NULL,
     pid          INTEGER NOT NULL,
     acquired_at  TEXT NOT NULL,
     expires_at   TEXT NOT NULL
   ) STRICT;
   ALTER TABLE journal ADD COLUMN resumed_by TEXT;`,
  // 3: what delta syncs start from: the last complete read's scope and the server's change mark.
  `CREATE TABLE directory_scope (
     external_id  TEXT PRIMARY KEY,
     dn           TEXT NOT NULL,
     groups       TEXT NOT NULL
   ) STRICT;
   CREATE INDEX directory_scope_dn ON directory_scope(dn);
   CREATE TABLE directory_mark (
     id           INTEGER PRIMARY KEY CHECK (id = 1),
     server_id    TEXT NOT NULL,
     mark         TEXT NOT NULL,
     updated_at   TEXT NOT NULL
   ) STRICT;`,
  // 4: licenses and target groups dirsync granted (JSON arrays), and when it deactivated an
  // account (staged deprovisioning counts from there; existing inactive rows from their last change).
  `ALTER TABLE snapshot ADD COLUMN licenses TEXT NOT NULL DEFAULT '[]';
   ALTER TABLE snapshot ADD COLUMN target_groups TEXT NOT NULL DEFAULT '[]';
   ALTER TABLE snapshot ADD COLUMN deactivated_at TEXT;
   UPDATE snapshot SET deactivated_at = updated_at WHERE active = 0;`,
  // 5: the digest of the entries whose full replace left directory_scope as it is, so an unchanged
  // full sync need not read the table back. Its own row: directory_mark is deleted when a server
  // has no change mark, while the scope (and so its digest) stays valid.
  `CREATE TABLE directory_scope_digest (
     id           INTEGER PRIMARY KEY CHECK (id = 1),
     digest       TEXT NOT NULL
   ) STRICT;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * One migration per IMMEDIATE transaction, the version read inside it: two processes opening a
 * new database at once (the daemon and `dirsync history`) must not both run the same ALTER.
 */
function migrate(db: StateDb): void {
  const step = db.transaction((): boolean => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new StateError(
        'STATE_SCHEMA',
        `state database schema version ${current} is newer than this dirsync (${SCHEMA_VERSION}); upgrade dirsync`,
      );
    }
    if (current === SCHEMA_VERSION) return false;
    db.exec(MIGRATIONS[current] as string);
    db.pragma(`user_version = ${current + 1}`);
    return true;
  });
  while (step.immediate()) {
    // next migration
  }
}

/** Opens (creating if needed, readable by the owner only) and migrates the state database. */
export function openStateDb(file: string): StateDb {
  let db: StateDb;
  try {
    if (file !== ':memory:') {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      // Create the file ourselves so it never exists with the umask's wider permissions.
      closeSync(openSync(file, 'a', 0o600));
      chmodSync(file, 0o600);
    }
    db = openSqlite(file === ':memory:' ? file : path.resolve(file));
  } catch (err) {
    throw new StateError('STATE_OPEN', `cannot open state database ${file}: ${errorMessage(err)}`, { file });
  }
  db.pragma('journal_mode = WAL');
  // NORMAL: in WAL mode a commit survives a crashed process, not always a power cut. That is
  // enough for the per-operation completions (a lost one is re-driven, idempotently); the
  // journal entries written before sending are forced to disk (Journal.record).
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}
