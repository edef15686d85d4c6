/**
 * Persistent storage for the SCIM test target.
 *
 * Persistence is a single JSON document, rewritten atomically (temp file, fsync, rename, fsync of
 * the directory) on every committed transaction. JSON rather than SQLite because the data set is
 * tiny (tests and demos hold tens to a few thousand resources), the file is meant to be read by
 * humans while debugging the connector or during the demo, and rename(2) gives whole-document
 * atomicity for free: a crash leaves either the previous or the next state, never a torn one.
 * The price is O(size) work per write, which is irrelevant at this scale.
 *
 * A `<dataFile>.lock` file holding the owner's PID keeps two live servers from interleaving
 * writes to the same document (each would silently overwrite the other's changes).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
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

const FORMAT_VERSION = 1;

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

const documentSchema = z.strictObject({
  formatVersion: z.literal(FORMAT_VERSION),
  users: z.array(storedResourceSchema),
  groups: z.array(storedResourceSchema),
});

interface StoreState {
  users: StoredResource[];
  groups: StoredResource[];
}

function collection(state: StoreState, kind: ResourceKind): StoredResource[] {
  return kind === 'User' ? state.users : state.groups;
}

/**
 * Mutable view handed to `ResourceStore.transaction`. Changes become visible (and durable) only
 * when the callback returns; if it throws, nothing is written.
 */
export class StoreTransaction {
  constructor(
    private readonly state: StoreState,
    private readonly now: string,
  ) {}

  list(kind: ResourceKind): readonly StoredResource[] {
    return collection(this.state, kind);
  }

  get(kind: ResourceKind, id: string): StoredResource | undefined {
    return collection(this.state, kind).find((r) => r.id === id);
  }

  create(kind: ResourceKind, attributes: JsonObject): StoredResource {
    const resource: StoredResource = {
      id: randomUUID(),
      created: this.now,
      lastModified: this.now,
      revision: 1,
      attributes,
    };
    collection(this.state, kind).push(resource);
    return resource;
  }

  /** Returns undefined when no resource has this id. */
  replace(kind: ResourceKind, id: string, attributes: JsonObject): StoredResource | undefined {
    const items = collection(this.state, kind);
    const index = items.findIndex((r) => r.id === id);
    const previous = items[index];
    if (previous === undefined) return undefined;
    const next: StoredResource = {
      ...previous,
      lastModified: this.now,
      revision: previous.revision + 1,
      attributes,
    };
    items[index] = next;
    return next;
  }

  delete(kind: ResourceKind, id: string): boolean {
    const items = collection(this.state, kind);
    const index = items.findIndex((r) => r.id === id);
    if (index < 0) return false;
    items.splice(index, 1);
    return true;
  }
}

export class ResourceStore {
  private state: StoreState;
  private closed = false;

  private constructor(
    readonly file: string,
    private readonly lockFile: string,
    state: StoreState,
  ) {
    this.state = state;
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
      const existing = readDocument(absolute);
      const store = new ResourceStore(absolute, lockFile, existing ?? { users: [], groups: [] });
      if (existing === undefined) store.persist(store.state);
      return store;
    } catch (error) {
      releaseLock(lockFile);
      throw error;
    }
  }

  list(kind: ResourceKind): readonly StoredResource[] {
    return collection(this.state, kind);
  }

  get(kind: ResourceKind, id: string): StoredResource | undefined {
    return collection(this.state, kind).find((r) => r.id === id);
  }

  /**
   * Runs `fn` against a copy of the state, then writes the copy to disk and swaps it in. The
   * callback is synchronous on purpose: with no await inside, transactions cannot interleave.
   */
  transaction<T>(fn: (tx: StoreTransaction) => T): T {
    if (this.closed) throw new Error('ResourceStore is closed');
    const draft: StoreState = structuredClone(this.state);
    const result = fn(new StoreTransaction(draft, new Date().toISOString()));
    this.persist(draft);
    this.state = draft;
    return result;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    releaseLock(this.lockFile);
  }

  private persist(state: StoreState): void {
    const document = { formatVersion: FORMAT_VERSION, users: state.users, groups: state.groups };
    writeFileAtomic(this.file, `${JSON.stringify(document, null, 2)}\n`);
  }
}

function readDocument(file: string): StoreState | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`SCIM target data file ${file} is not valid JSON: ${String(error)}`);
  }
  const parsed = documentSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`SCIM target data file ${file} has an unexpected shape: ${parsed.error.message}`);
  }
  return { users: parsed.data.users, groups: parsed.data.groups };
}

let tempCounter = 0;

function writeFileAtomic(file: string, contents: string): void {
  tempCounter += 1;
  const temp = `${file}.${process.pid}.${tempCounter}.tmp`;
  const fd = fs.openSync(temp, 'w', 0o600);
  try {
    fs.writeFileSync(fd, contents);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  fsyncDirectory(path.dirname(file));
}

// The rename itself is only durable once the directory entry is flushed.
function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some platforms/filesystems refuse fsync on directories; the write is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
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
