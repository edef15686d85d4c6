import type { SnapshotKeys, SnapshotUser } from '../model/user-state';
import type { StateDb } from './db';

interface SnapshotRow {
  external_id: string;
  target_id: string;
  dn: string;
  user_name: string;
  email: string;
  given_name: string;
  family_name: string;
  display_name: string;
  role: string;
  user_type: string;
  active: number;
  updated_at: string;
  licenses: string;
  target_groups: string;
  deactivated_at: string | null;
}

/** The columns of SnapshotRow, in that order. */
type RawSnapshotRow = [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  number,
  string,
  string,
  string,
  string | null,
];

/** A JSON array of strings as written by put(); anything else reads as empty, never as a crash. */
function parseList(text: string): readonly string[] {
  if (text === '[]') return EMPTY;
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : EMPTY;
  } catch {
    return EMPTY;
  }
}
const EMPTY: readonly string[] = Object.freeze([]);

/** A row to write, or the removal of one (an account deleted by staged deprovisioning). */
export type SnapshotChange = SnapshotUser | { readonly removed: string };

function fromRow(r: SnapshotRow): SnapshotUser {
  return {
    licenses: parseList(r.licenses),
    targetGroups: parseList(r.target_groups),
    deactivatedAt: r.deactivated_at ?? undefined,
    externalId: r.external_id,
    targetId: r.target_id,
    dn: r.dn,
    userName: r.user_name,
    email: r.email,
    givenName: r.given_name,
    familyName: r.family_name,
    displayName: r.display_name,
    role: r.role,
    userType: r.user_type,
    active: r.active === 1,
    updatedAt: r.updated_at,
  };
}

/** external_id, comparison key (null: always planned), active. */
type KeyRow = [string, string | null, number];

/** A chunk of keys in one row: its size, active rows, last id, then ids and keys joined by newlines. */
type KeyChunk = [number, number | null, string | null, string | null, string | null];

/**
 * Rows per step of a key reader: under a millisecond of work at a time. A chunk's keys come as
 * one string; at 500 typical keys it stays under V8's large-object size (128 KB), where a
 * 1,000-row chunk was allocated straight into the old generation and moved the read's
 * collections (measured: +15-20 MB peak RSS on a no-op of 100,000 users).
 */
const KEY_CHUNK = 500;

/** Every snapshot row's comparison key, in order of externalId, and the active rows counted. */
export interface SnapshotKeyRead extends SnapshotKeys {
  /** Active rows, readable or not. */
  readonly active: number;
}

export interface SnapshotKeyReader {
  /** Reads the next chunk; false once every row is read. */
  step(): boolean;
  /** Reads what is left and gives every row's key. */
  finish(): SnapshotKeyRead;
}

/** What the target confirmed, keyed by the directory's stable id. */
export class SnapshotStore {
  readonly #db: StateDb;
  readonly #upsert;
  readonly #remove;
  readonly #all;
  readonly #byId;
  readonly #keysFirst;
  readonly #keysAfter;
  readonly #chunkFirst;
  readonly #chunkAfter;

  constructor(db: StateDb) {
    this.#db = db;
    this.#upsert = db.prepare(
      `INSERT INTO snapshot (external_id, target_id, dn, user_name, email, given_name, family_name,
         display_name, role, user_type, active, updated_at, licenses, target_groups, deactivated_at)
       VALUES (@externalId, @targetId, @dn, @userName, @email, @givenName, @familyName,
         @displayName, @role, @userType, @active, @updatedAt, @licenses, @targetGroups, @deactivatedAt)
       ON CONFLICT(external_id) DO UPDATE SET target_id = excluded.target_id, dn = excluded.dn,
         user_name = excluded.user_name, email = excluded.email, given_name = excluded.given_name,
         family_name = excluded.family_name, display_name = excluded.display_name,
         role = excluded.role, user_type = excluded.user_type, active = excluded.active,
         updated_at = excluded.updated_at, licenses = excluded.licenses,
         target_groups = excluded.target_groups, deactivated_at = excluded.deactivated_at`,
    );
    this.#remove = db.prepare<[string]>('DELETE FROM snapshot WHERE external_id = ?');
    // Raw rows (arrays, not objects): a full sync reads every row, and building a keyed row
    // object per user only to copy it into another one doubled the cost of this read.
    this.#all = db
      .prepare<[], RawSnapshotRow>(
        `SELECT external_id, target_id, dn, user_name, email, given_name, family_name, display_name,
           role, user_type, active, updated_at, licenses, target_groups, deactivated_at
         FROM snapshot ORDER BY external_id`,
      )
      .raw(true);
    this.#byId = db.prepare<[string], SnapshotRow>('SELECT * FROM snapshot WHERE external_id = ?');
    const key = `CASE WHEN active = 1 AND json_valid(licenses) AND json_valid(target_groups)
             THEN json_array(user_name, email, given_name, family_name, display_name, role, user_type,
               json(licenses), json(target_groups))
           END`;
    const keyRows = (where: string): string =>
      `SELECT external_id, ${key} AS k, active FROM snapshot ${where} ORDER BY external_id LIMIT ?`;
    this.#keysFirst = db.prepare<[number], KeyRow>(keyRows('')).raw(true);
    this.#keysAfter = db.prepare<[string, number], KeyRow>(keyRows('WHERE external_id > ?')).raw(true);
    // The same rows, as one row of text: a row per account costs better-sqlite3 an array and
    // three values, and that was most of a no-op's snapshot read. JSON text holds no raw newline;
    // an id that does shows as a count that does not match, and that chunk is read by rows.
    const chunkOf = (where: string): string =>
      `SELECT count(*), sum(active = 1), max(external_id), group_concat(external_id, char(10)), group_concat(coalesce(k, ''), char(10))
       FROM (${keyRows(where)})`;
    this.#chunkFirst = db.prepare<[number], KeyChunk>(chunkOf('')).raw(true);
    this.#chunkAfter = db.prepare<[string, number], KeyChunk>(chunkOf('WHERE external_id > ?')).raw(true);
  }

  all(): SnapshotUser[] {
    const users: SnapshotUser[] = [];
    for (const r of this.#all.all()) {
      users.push({
        externalId: r[0],
        targetId: r[1],
        dn: r[2],
        userName: r[3],
        email: r[4],
        givenName: r[5],
        familyName: r[6],
        displayName: r[7],
        role: r[8],
        userType: r[9],
        active: r[10] === 1,
        updatedAt: r[11],
        licenses: parseList(r[12]),
        targetGroups: parseList(r[13]),
        deactivatedAt: r[14] ?? undefined,
      });
    }
    return users;
  }

  /**
   * Every row's comparison key (plan/unchanged.ts comparisonKey, computed here in SQL) in order
   * of externalId, null for an inactive row or one whose lists are not valid JSON: those are
   * always planned. Far cheaper than all() at 100k rows, which is what lets a no-op skip loading
   * the snapshot; `active` counts the active rows on the way.
   */
  comparisonKeys(): SnapshotKeyRead {
    return this.keyReader().finish();
  }

  /**
   * comparisonKeys, read a chunk at a time by step() (a full sync steps while it waits for the
   * directory's next page), the rest by finish(). Between steps another process may change a
   * row; a sync holds the lease, so only a plan can see rows of two moments, each one true.
   */
  keyReader(chunk = KEY_CHUNK): SnapshotKeyReader {
    const ids: string[] = [];
    const keys: (string | null)[] = [];
    let active = 0;
    let done = false;
    let last: string | undefined;
    const step = (): boolean => {
      if (done) return false;
      const [count, activeRows, lastId, idText, keyText] = (
        last === undefined ? this.#chunkFirst.get(chunk) : this.#chunkAfter.get(last, chunk)
      ) as KeyChunk;
      const chunkIds = count > 0 ? (idText ?? '').split('\n') : [];
      const chunkKeys = count > 0 ? (keyText ?? '').split('\n') : [];
      if (chunkIds.length === count && chunkKeys.length === count) {
        for (let i = 0; i < count; i += 1) {
          ids.push(chunkIds[i] as string);
          // A key is a JSON array, never empty text: empty is an inactive or unreadable row.
          keys.push(chunkKeys[i] || null);
        }
        active += activeRows ?? 0;
      } else {
        const rows = last === undefined ? this.#keysFirst.all(chunk) : this.#keysAfter.all(last, chunk);
        for (const [id, k, isActive] of rows) {
          ids.push(id);
          keys.push(k);
          if (isActive === 1) active += 1;
        }
      }
      if (lastId !== null) last = lastId;
      done = count < chunk;
      return !done;
    };
    return {
      step,
      finish: () => {
        while (step());
        return { ids, keys, active };
      },
    };
  }

  get(externalId: string): SnapshotUser | undefined {
    const row = this.#byId.get(externalId);
    return row && fromRow(row);
  }

  /**
   * The rows of these ids (absent ones left out). One lookup each while they are a small part
   * of `total` rows, else one read of every row: both cost about the same per row.
   */
  rows(ids: ReadonlySet<string>, total = Number.POSITIVE_INFINITY): SnapshotUser[] {
    if (ids.size * 2 > total) return this.all().filter((u) => ids.has(u.externalId));
    const rows: SnapshotUser[] = [];
    for (const id of ids) {
      const row = this.get(id);
      if (row) rows.push(row);
    }
    return rows;
  }

  put(user: SnapshotUser): void {
    this.#upsert.run({
      externalId: user.externalId,
      targetId: user.targetId,
      dn: user.dn,
      userName: user.userName,
      email: user.email,
      givenName: user.givenName,
      familyName: user.familyName,
      displayName: user.displayName,
      role: user.role,
      userType: user.userType,
      active: user.active ? 1 : 0,
      updatedAt: user.updatedAt,
      licenses: JSON.stringify([...user.licenses].sort()),
      targetGroups: JSON.stringify([...user.targetGroups].sort()),
      deactivatedAt: user.deactivatedAt ?? null,
    });
  }

  apply(change: SnapshotChange): void {
    if ('removed' in change) this.#remove.run(change.removed);
    else this.put(change);
  }

  /** How many managed accounts hold each license (by the snapshot), for seat counting. */
  licenseHolders(): Map<string, number> {
    const rows = this.#db
      .prepare<[], { license: string; n: number }>(
        `SELECT j.value AS license, count(*) AS n FROM snapshot s, json_each(s.licenses) j GROUP BY j.value`,
      )
      .all();
    return new Map(rows.map((r) => [r.license, r.n]));
  }

  activeCount(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM snapshot WHERE active = 1').get() as { n: number }).n;
  }

  count(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM snapshot').get() as { n: number }).n;
  }
}
