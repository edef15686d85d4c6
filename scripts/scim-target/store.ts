/**
 * Persistent storage for the SCIM test target.
 *
 * Resources live in memory (maps by id, plus a userName index so the uniqueness check is not a
 * scan) and in a SQLite file, one row per resource. A transaction collects its changes in an
 * overlay; on commit they are written in one SQLite transaction (WAL), so the change is in the
 * file before the response is sent, and only then become visible in memory.
 * A crash leaves either the previous or the next state, never a torn one. Each write costs
 * O(resources changed), not O(data set): the earlier JSON document rewritten whole on every
 * mutation made an ingest of 100k users quadratic, which a benchmark baseline cannot be.
 *
 * A data file still holding the earlier JSON format is converted once, atomically (a new SQLite
 * file beside it, then rename). `readStoreFile` gives the persisted state for tests and debugging.
 *
 * A `<dataFile>.lock` file holding the owner's PID keeps two live servers from interleaving
 * writes to the same file (each would silently overwrite the other's changes).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Database from 'better-sqlite3';
// Every handle through openSqlite: one left to the GC aborts Node 24 with better-sqlite3 12.
import { openSqlite } from '../../src/state/sqlite';
import { z } from 'zod';

export type ResourceKind = 'User' | 'Group';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface StoredResource {
  readonly id: string;
  /** ISO-8601 timestamps. */
  readonly created: string;
  readonly lastModified: string;
  /** Incremented on every write; exposed as meta.version. */
  readonly revision: number;
  /** SCIM attributes as the server would return them, without id, meta and computed attributes. */
  readonly attributes: JsonObject;
}

const LEGACY_FORMAT_VERSION = 1;
const SCHEMA = `CREATE TABLE IF NOT EXISTS resources (
  seq           INTEGER PRIMARY KEY,
  id            TEXT NOT NULL UNIQUE,
  kind          TEXT NOT NULL,
  created       TEXT NOT NULL,
  last_modified TEXT NOT NULL,
  revision      INTEGER NOT NULL,
  attributes    TEXT NOT NULL
) STRICT`;

const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

const storedResourceSchema = z.strictObject({
  id: z.string().min(1),
  created: z.iso.datetime(),
  lastModified: z.iso.datetime(),
  revision: z.number().int().positive(),
  attributes: z.record(z.string(), jsonValue),
});

const legacyDocumentSchema = z.strictObject({
  formatVersion: z.literal(LEGACY_FORMAT_VERSION),
  users: z.array(storedResourceSchema),
  groups: z.array(storedResourceSchema),
});

const attributesSchema = z.record(z.string(), jsonValue);

interface ResourceRow {
  id: string;
  kind: string;
  created: string;
  last_modified: string;
  revision: number;
  attributes: string;
}

/** In-memory state; Map order is insertion order, so listings keep creation order. */
interface StoreState {
  readonly users: Map<string, StoredResource>;
  readonly groups: Map<string, StoredResource>;
  /** userName -> user id. */
  readonly userNames: Map<string, string>;
}

function collection(state: StoreState, kind: ResourceKind): Map<string, StoredResource> {
  return kind === 'User' ? state.users : state.groups;
}

function userNameOf(resource: StoredResource): string | undefined {
  const name = resource.attributes['userName'];
  return typeof name === 'string' ? name : undefined;
}

type Change = { readonly kind: ResourceKind; readonly resource: StoredResource | null; readonly isNew: boolean };

/**
 * Mutable view handed to `ResourceStore.transaction`. Changes become visible (and durable) only
 * when the callback returns; if it throws, nothing is written.
 */
export class StoreTransaction {
  /** id -> the resource as this transaction leaves it (null: deleted). */
  readonly changes = new Map<string, Change>();

  constructor(
    private readonly state: StoreState,
    private readonly now: string,
  ) {}

  list(kind: ResourceKind): readonly StoredResource[] {
    const result: StoredResource[] = [];
    for (const [id, resource] of collection(this.state, kind)) {
      const change = this.changes.get(id);
      if (change === undefined) result.push(resource);
      else if (change.resource !== null) result.push(change.resource);
    }
    for (const change of this.changes.values()) {
      if (change.isNew && change.kind === kind && change.resource !== null) result.push(change.resource);
    }
    return result;
  }

  get(kind: ResourceKind, id: string): StoredResource | undefined {
    const change = this.changes.get(id);
    if (change !== undefined) return change.kind === kind ? (change.resource ?? undefined) : undefined;
    return collection(this.state, kind).get(id);
  }

  /** The id of the user holding this userName, as this transaction sees it. */
  userIdByName(userName: string): string | undefined {
    for (const [id, change] of this.changes) {
      if (change.kind === 'User' && change.resource !== null && userNameOf(change.resource) === userName) return id;
    }
    const id = this.state.userNames.get(userName);
    if (id === undefined) return undefined;
    const change = this.changes.get(id);
    // Renamed or deleted in this transaction: the name is free.
    return change === undefined ? id : undefined;
  }

  create(kind: ResourceKind, attributes: JsonObject): StoredResource {
    const resource: StoredResource = {
      id: randomUUID(),
      created: this.now,
      lastModified: this.now,
      revision: 1,
      attributes,
    };
    this.changes.set(resource.id, { kind, resource, isNew: true });
    return resource;
  }

  /** Returns undefined when no resource has this id. */
  replace(kind: ResourceKind, id: string, attributes: JsonObject): StoredResource | undefined {
    const previous = this.get(kind, id);
    if (previous === undefined) return undefined;
    const next: StoredResource = {
      ...previous,
      lastModified: this.now,
      revision: previous.revision + 1,
      attributes,
    };
    this.changes.set(id, { kind, resource: next, isNew: this.changes.get(id)?.isNew ?? false });
    return next;
  }

  delete(kind: ResourceKind, id: string): boolean {
    if (this.get(kind, id) === undefined) return false;
    if (this.changes.get(id)?.isNew) this.changes.delete(id);
    else this.changes.set(id, { kind, resource: null, isNew: false });
    return true;
  }
}

export class ResourceStore {
  private readonly state: StoreState;
  private closed = false;
  private readonly insert: Database.Statement<[string, string, string, string, number, string]>;
  private readonly update: Database.Statement<[string, number, string, string]>;
  private readonly remove: Database.Statement<[string]>;
  /** Listings are asked for on every GET of a collection; rebuilt only after a write. */
  private readonly listCache = new Map<ResourceKind, StoredResource[]>();

  private constructor(
    readonly file: string,
    private readonly lockFile: string,
    private readonly db: Database.Database,
  ) {
    this.state = load(db);
    this.insert = db.prepare(
      'INSERT INTO resources (id, kind, created, last_modified, revision, attributes) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.update = db.prepare('UPDATE resources SET last_modified = ?, revision = ?, attributes = ? WHERE id = ?');
    this.remove = db.prepare('DELETE FROM resources WHERE id = ?');
  }

  /**
   * Opens (creating if absent) the data file and takes its lock. A corrupt or unrecognised file is
   * an error rather than being reset, so a bug never silently discards test fixtures.
   */
  static open(file: string): ResourceStore {
    const absolute = path.resolve(file);
    fs.mkdirSync(path.dirname(absolute), { recursive: true });
    const lockFile = `${absolute}.lock`;
    acquireLock(lockFile);
    try {
      convertLegacyJson(absolute);
      return new ResourceStore(absolute, lockFile, openDatabase(absolute));
    } catch (error) {
      releaseLock(lockFile);
      throw error;
    }
  }

  list(kind: ResourceKind): readonly StoredResource[] {
    let cached = this.listCache.get(kind);
    if (cached === undefined) {
      cached = [...collection(this.state, kind).values()];
      this.listCache.set(kind, cached);
    }
    return cached;
  }

  get(kind: ResourceKind, id: string): StoredResource | undefined {
    return collection(this.state, kind).get(id);
  }

  userIdByName(userName: string): string | undefined {
    return this.state.userNames.get(userName);
  }

  /**
   * Runs `fn`, writes its changes to disk, then makes them visible. The callback is synchronous
   * on purpose: with no await inside, transactions cannot interleave.
   */
  transaction<T>(fn: (tx: StoreTransaction) => T): T {
    if (this.closed) throw new Error('ResourceStore is closed');
    const tx = new StoreTransaction(this.state, new Date().toISOString());
    const result = fn(tx);
    if (tx.changes.size === 0) return result;
    this.db.transaction(() => {
      for (const [id, change] of tx.changes) {
        const r = change.resource;
        if (r === null) this.remove.run(id);
        else if (change.isNew)
          this.insert.run(r.id, change.kind, r.created, r.lastModified, r.revision, JSON.stringify(r.attributes));
        else this.update.run(r.lastModified, r.revision, JSON.stringify(r.attributes), id);
      }
    })();
    for (const [id, change] of tx.changes) this.apply(id, change);
    this.listCache.clear();
    return result;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
    releaseLock(this.lockFile);
  }

  private apply(id: string, change: Change): void {
    const items = collection(this.state, change.kind);
    const previous = items.get(id);
    if (change.kind === 'User' && previous !== undefined) {
      const name = userNameOf(previous);
      if (name !== undefined && this.state.userNames.get(name) === id) this.state.userNames.delete(name);
    }
    if (change.resource === null) {
      items.delete(id);
      return;
    }
    items.set(id, change.resource);
    const name = change.kind === 'User' ? userNameOf(change.resource) : undefined;
    if (name !== undefined) this.state.userNames.set(name, id);
  }
}

function openDatabase(file: string): Database.Database {
  let db: Database.Database;
  try {
    // Not shared: a data file in the old JSON format is replaced under this name after a failed open.
    db = openSqlite(file, undefined, false);
    db.pragma('journal_mode = WAL');
    // NORMAL: each commit is in the WAL file (the OS's cache) before the response goes out, so
    // it survives a killed target, which is the failure the tests inject. Not fsynced per write:
    // surviving a power cut does not matter for a test target, and an fsync per write would make
    // the disk, not the SCIM server, what the ingest baseline measures.
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
  } catch (error) {
    throw new Error(`SCIM target data file ${file} cannot be opened as a SQLite database: ${String(error)}`);
  }
  return db;
}

function toResource(row: ResourceRow): StoredResource {
  const parsed = attributesSchema.safeParse(JSON.parse(row.attributes));
  if (!parsed.success) throw new Error(`resource ${row.id} has unexpected attributes: ${parsed.error.message}`);
  return {
    id: row.id,
    created: row.created,
    lastModified: row.last_modified,
    revision: row.revision,
    attributes: parsed.data,
  };
}

function load(db: Database.Database): StoreState {
  const state: StoreState = { users: new Map(), groups: new Map(), userNames: new Map() };
  const rows = db.prepare<[], ResourceRow>(
    'SELECT id, kind, created, last_modified, revision, attributes FROM resources ORDER BY seq',
  );
  // all(), not iterate(): a StatementIterator left to the GC aborts Node 24 (see openSqlite).
  for (const row of rows.all()) {
    if (row.kind !== 'User' && row.kind !== 'Group') throw new Error(`resource ${row.id} has unknown kind ${row.kind}`);
    const resource = toResource(row);
    collection(state, row.kind).set(resource.id, resource);
    const name = row.kind === 'User' ? userNameOf(resource) : undefined;
    if (name !== undefined) state.userNames.set(name, resource.id);
  }
  return state;
}

/** The persisted state of a data file (not locked: for tests and debugging). */
export function readStoreFile(file: string): { users: StoredResource[]; groups: StoredResource[] } {
  const db = openSqlite(file, { readonly: true });
  try {
    const state = load(db);
    return { users: [...state.users.values()], groups: [...state.groups.values()] };
  } finally {
    db.close();
  }
}

/** A data file in the earlier JSON format becomes a SQLite file with the same resources. */
function convertLegacyJson(file: string): void {
  let head: string;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(16);
      head = buffer.subarray(0, fs.readSync(fd, buffer, 0, 16, 0)).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw error;
  }
  if (!head.trimStart().startsWith('{')) return;
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`SCIM target data file ${file} is not valid JSON: ${String(error)}`);
  }
  const parsed = legacyDocumentSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`SCIM target data file ${file} has an unexpected shape: ${parsed.error.message}`);
  }
  const temp = `${file}.${process.pid}.convert`;
  fs.rmSync(temp, { force: true });
  const db = openSqlite(temp, undefined, false);
  try {
    db.exec(SCHEMA);
    const insert = db.prepare(
      'INSERT INTO resources (id, kind, created, last_modified, revision, attributes) VALUES (?, ?, ?, ?, ?, ?)',
    );
    db.transaction(() => {
      for (const [kind, list] of [
        ['User', parsed.data.users],
        ['Group', parsed.data.groups],
      ] as const) {
        for (const r of list) insert.run(r.id, kind, r.created, r.lastModified, r.revision, JSON.stringify(r.attributes));
      }
    })();
  } finally {
    db.close();
  }
  fs.renameSync(temp, file);
}

function acquireLock(lockFile: string): void {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      fs.writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return;
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error;
    }
    const owner = readLockOwner(lockFile);
    if (owner !== undefined && isProcessAlive(owner)) {
      throw new Error(
        `SCIM target data file is in use by process ${owner} (lock ${lockFile}); ` +
          'stop that server first or use another data file',
      );
    }
    // Stale lock from a crashed process: take it over.
    fs.rmSync(lockFile, { force: true });
  }
  throw new Error(`Could not acquire lock ${lockFile}`);
}

function releaseLock(lockFile: string): void {
  if (readLockOwner(lockFile) === process.pid) fs.rmSync(lockFile, { force: true });
}

function readLockOwner(lockFile: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(lockFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM means the process exists but belongs to someone else.
    return errnoCode(error) === 'EPERM';
  }
}

// Duck-typed rather than `instanceof Error`: errors from Node's core modules come from another
// realm under Jest's module sandbox, where instanceof checks fail.
function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}
