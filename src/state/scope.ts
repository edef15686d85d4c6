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

interface ScopeRow {
  external_id: string;
  dn: string;
  groups: string;
}

export class ScopeStore {
  readonly #db: StateDb;

  constructor(db: StateDb) {
    this.#db = db;
  }

  all(): Map<string, ScopeEntry> {
    const rows = this.#db.prepare<[], ScopeRow>('SELECT * FROM directory_scope').all();
    return new Map(
      rows.map((r) => [r.external_id, { externalId: r.external_id, dn: r.dn, groups: JSON.parse(r.groups) as string[] }]),
    );
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
    this.#db.transaction(() => {
      const current = new Map(
        this.#db
          .prepare<[], ScopeRow>('SELECT * FROM directory_scope')
          .all()
          .map((r) => [r.external_id, r] as const),
      );
      for (const e of entries) {
        const groups = JSON.stringify(e.groups);
        const row = current.get(e.externalId);
        current.delete(e.externalId);
        if (row && row.dn === e.dn && row.groups === groups) continue;
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
    this.#db.transaction(() => {
      for (const e of entries) {
        if (e.groups.length === 0) remove.run(e.externalId);
        else upsert.run(e.externalId, e.dn, JSON.stringify(e.groups));
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
