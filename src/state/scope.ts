import { createHash } from 'node:crypto';
import type { StateDb } from './db';

/** An in-scope user as the last complete read saw them: enough to apply a delta on top. */
export interface ScopeEntry {
  readonly externalId: string;
  /** Canonical DN (directory/dn.ts normalizeDn). */
  readonly dn: string;
  /** Mapped group DNs as configured, in config order. */
  readonly groups: readonly string[];
}

/** Where the next delta starts: per server, because AD's uSNs are per domain controller. */
export interface ChangeMark {
  readonly serverId: string;
  readonly mark: string;
}

/** external_id, dn, groups: rows as arrays (a full sync reads every row). */
type RawScopeRow = [string, string, string];

/** Its own SQL text: raw(true) changes the shared prepared statement (state/sqlite.ts prepareOnce). */
const ALL_RAW = 'SELECT external_id, dn, groups FROM directory_scope /* raw rows */';

/**
 * Serializes group lists, once per list: the directory read shares one array between every user
 * of the same groups, so a full scope of 100,000 users serializes a few dozen lists.
 */
function groupsJson(): (groups: readonly string[]) => string {
  const cache = new Map<readonly string[], string>();
  return (groups) => {
    let json = cache.get(groups);
    if (json === undefined) {
      json = JSON.stringify(groups);
      cache.set(groups, json);
    }
    return json;
  };
}

/**
 * Characters hashed per update() call: one call per entry costs more than the hashing itself,
 * and so does one ever-growing string (64K measured best at 100,000 entries, from 4K to 512K).
 */
const DIGEST_CHUNK = 64 * 1024;

/**
 * sha256 over the entries in the order given: for each, its id, DN and stored groups JSON, each
 * prefixed with its length, hashed as UTF-16 code units. Length prefixes make the text
 * unambiguous whatever the strings hold, and UTF-16 keeps even a lone surrogate distinct (UTF-8
 * would turn it into U+FFFD, which SQLite stores differently). The order matters: the same scope
 * read in another order only costs one full compare.
 */
function scopeDigest(entries: readonly ScopeEntry[], json: (groups: readonly string[]) => string): string {
  const hash = createHash('sha256');
  let chunk = 'scope v1:';
  for (const e of entries) {
    const groups = json(e.groups);
    chunk += `${e.externalId.length}:${e.externalId}${e.dn.length}:${e.dn}${groups.length}:${groups}`;
    if (chunk.length >= DIGEST_CHUNK) {
      hash.update(chunk, 'utf16le');
      chunk = '';
    }
  }
  hash.update(chunk, 'utf16le');
  return hash.digest('base64');
}

export class ScopeStore {
  readonly #db: StateDb;

  constructor(db: StateDb) {
    this.#db = db;
  }

  all(): Map<string, ScopeEntry> {
    const scope = new Map<string, ScopeEntry>();
    // Most users share their group list with many others: each distinct list is parsed once.
    const lists = new Map<string, readonly string[]>();
    for (const [externalId, dn, json] of this.#rows()) {
      let groups = lists.get(json);
      if (!groups) {
        groups = Object.freeze(JSON.parse(json) as string[]);
        lists.set(json, groups);
      }
      scope.set(externalId, { externalId, dn, groups });
    }
    return scope;
  }

  #rows(): RawScopeRow[] {
    return this.#db.prepare<[], RawScopeRow>(ALL_RAW).raw(true).all();
  }

  mark(): ChangeMark | undefined {
    const row = this.#db
      .prepare<[], { server_id: string; mark: string }>('SELECT server_id, mark FROM directory_mark WHERE id = 1')
      .get();
    return row && { serverId: row.server_id, mark: row.mark };
  }

  /**
   * After a complete full read: the scope becomes exactly `entries`, in one transaction. Only
   * rows that differ are written: a full sync where nothing changed writes nothing. When the
   * entries hash to the digest the last replace stored, and no delta wrote since, the table
   * already holds them and is not even read back.
   */
  replace(entries: Iterable<ScopeEntry>, mark: ChangeMark | undefined): void {
    const list = Array.isArray(entries) ? (entries as readonly ScopeEntry[]) : [...entries];
    const json = groupsJson();
    const digest = scopeDigest(list, json);
    this.#db.transaction(() => {
      const stored = this.#db.prepare<[], { digest: string }>('SELECT digest FROM directory_scope_digest WHERE id = 1').get();
      if (stored?.digest !== digest) {
        this.#write(list, json);
        this.#db
          .prepare(
            `INSERT INTO directory_scope_digest (id, digest) VALUES (1, ?)
             ON CONFLICT(id) DO UPDATE SET digest = excluded.digest`,
          )
          .run(digest);
      }
      this.#setMark(mark);
    })();
  }

  /** Makes the table exactly `entries`, reading it back to write only the rows that differ. */
  #write(entries: readonly ScopeEntry[], json: (groups: readonly string[]) => string): void {
    const upsert = this.#db.prepare(
      `INSERT INTO directory_scope (external_id, dn, groups) VALUES (?, ?, ?)
       ON CONFLICT(external_id) DO UPDATE SET dn = excluded.dn, groups = excluded.groups`,
    );
    const remove = this.#db.prepare('DELETE FROM directory_scope WHERE external_id = ?');
    const current = new Map<string, RawScopeRow>();
    for (const row of this.#rows()) current.set(row[0], row);
    for (const e of entries) {
      const groups = json(e.groups);
      const row = current.get(e.externalId);
      current.delete(e.externalId);
      if (row && row[1] === e.dn && row[2] === groups) continue;
      upsert.run(e.externalId, e.dn, groups);
    }
    for (const gone of current.keys()) remove.run(gone);
  }

  /** After a complete delta: changed entries only; an entry with no groups left scope. */
  update(entries: Iterable<ScopeEntry>, mark: ChangeMark | undefined): void {
    const upsert = this.#db.prepare(
      `INSERT INTO directory_scope (external_id, dn, groups) VALUES (?, ?, ?)
       ON CONFLICT(external_id) DO UPDATE SET dn = excluded.dn, groups = excluded.groups`,
    );
    const remove = this.#db.prepare('DELETE FROM directory_scope WHERE external_id = ?');
    const json = groupsJson();
    this.#db.transaction(() => {
      let wrote = false;
      for (const e of entries) {
        if (e.groups.length === 0) remove.run(e.externalId);
        else upsert.run(e.externalId, e.dn, json(e.groups));
        wrote = true;
      }
      // The table no longer holds what the digest describes: the next replace compares in full.
      if (wrote) this.#db.prepare('DELETE FROM directory_scope_digest').run();
      this.#setMark(mark);
    })();
  }

  #setMark(mark: ChangeMark | undefined): void {
    if (!mark) {
      this.#db.prepare('DELETE FROM directory_mark').run();
      return;
    }
    this.#db
      .prepare(
        `INSERT INTO directory_mark (id, server_id, mark, updated_at) VALUES (1, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET server_id = excluded.server_id, mark = excluded.mark, updated_at = excluded.updated_at`,
      )
      .run(mark.serverId, mark.mark, new Date().toISOString());
  }
}
