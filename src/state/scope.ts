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
   * rows that differ are written: a full sync where nothing changed writes nothing.
   */
  replace(entries: Iterable<ScopeEntry>, mark: ChangeMark | undefined): void {
    const upsert = this.#db.prepare(
      `INSERT INTO directory_scope (external_id, dn, groups) VALUES (?, ?, ?)
       ON CONFLICT(external_id) DO UPDATE SET dn = excluded.dn, groups = excluded.groups`,
    );
    const remove = this.#db.prepare('DELETE FROM directory_scope WHERE external_id = ?');
    const json = groupsJson();
    this.#db.transaction(() => {
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
      this.#setMark(mark);
    })();
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
      for (const e of entries) {
        if (e.groups.length === 0) remove.run(e.externalId);
        else upsert.run(e.externalId, e.dn, json(e.groups));
      }
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
