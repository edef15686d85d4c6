import { hostname } from 'node:os';
import { StateError } from '../errors/codes';
import type { StateDb } from './db';

export interface LeaseHolder {
  readonly owner: string;
  readonly host: string;
  readonly pid: number;
  readonly acquiredAt: string;
  readonly expiresAt: string;
}

interface LeaseRow {
  owner: string;
  host: string;
  pid: number;
  acquired_at: string;
  expires_at: string;
}

export interface LeaseOptions {
  /** How long a holder that stopped renewing keeps the lease (a hung process, another host). */
  readonly ttlMs?: number;
  readonly now?: () => Date;
  readonly host?: string;
  readonly pid?: number;
  /** Whether a process on this host is still alive; a dead holder's lease is taken over at once. */
  readonly isAlive?: (pid: number) => boolean;
}

export const DEFAULT_LEASE_TTL_MS = 60_000;

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A named lease in the state database, so that two runs that send changes (sync, apply, later
 * the daemon) never do so at once on the same snapshot. The holder renews it while it works; a
 * holder killed with kill -9 on this host is detected by its PID and replaced at once, one on
 * another host (a shared disk) once its lease expires.
 */
export class Lease {
  readonly #db: StateDb;
  readonly #name: string;
  readonly #ttlMs: number;
  readonly #now: () => Date;
  readonly #host: string;
  readonly #pid: number;
  readonly #isAlive: (pid: number) => boolean;
  #owner: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lost: string | undefined;

  constructor(db: StateDb, name: string, options: LeaseOptions = {}) {
    this.#db = db;
    this.#name = name;
    this.#ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.#now = options.now ?? (() => new Date());
    this.#host = options.host ?? hostname();
    this.#pid = options.pid ?? process.pid;
    this.#isAlive = options.isAlive ?? processAlive;
  }

  holder(): LeaseHolder | undefined {
    const row = this.#db.prepare<[string], LeaseRow>('SELECT * FROM lease WHERE name = ?').get(this.#name);
    return row && { owner: row.owner, host: row.host, pid: row.pid, acquiredAt: row.acquired_at, expiresAt: row.expires_at };
  }

  /** Takes the lease for `owner` (a run id) or throws RUN_IN_PROGRESS naming the holder. */
  acquire(owner: string): void {
    // IMMEDIATE: the read and the write happen under one write lock, so two processes that
    // start at the same instant cannot both see the lease free.
    this.#db
      .transaction(() => {
        const current = this.holder();
        if (current && current.owner !== owner && this.#isHeld(current)) {
          throw new StateError(
            'RUN_IN_PROGRESS',
            `another run (${current.owner}, pid ${current.pid} on ${current.host}) is applying changes to this state database; ` +
              `try again when it has finished (its lease expires at ${current.expiresAt} if it stops renewing it)`,
            { holder: current.owner },
          );
        }
        const now = this.#now();
        this.#db
          .prepare(
            `INSERT INTO lease (name, owner, host, pid, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid,
               acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`,
          )
          .run(this.#name, owner, this.#host, this.#pid, now.toISOString(), this.#expiry(now));
      })
      .immediate();
    this.#owner = owner;
    this.#lost = undefined;
  }

  /** Renews every third of the TTL until released; a timer that never keeps the process alive. */
  keepAlive(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.renew(), Math.max(1000, Math.floor(this.#ttlMs / 3)));
    this.#timer.unref();
  }

  /** False (and `lost()` says why) when another run took the lease over after it expired. */
  renew(): boolean {
    if (!this.#owner) return false;
    const changed = this.#db
      .prepare('UPDATE lease SET expires_at = ? WHERE name = ? AND owner = ?')
      .run(this.#expiry(this.#now()), this.#name, this.#owner).changes;
    if (changed === 0) this.#lost = `the lease "${this.#name}" was taken over by another run`;
    return changed > 0;
  }

  lost(): string | undefined {
    return this.#lost;
  }

  release(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (!this.#owner) return;
    this.#db.prepare('DELETE FROM lease WHERE name = ? AND owner = ?').run(this.#name, this.#owner);
    this.#owner = undefined;
  }

  #isHeld(h: LeaseHolder): boolean {
    if (Date.parse(h.expiresAt) <= this.#now().getTime()) return false;
    if (h.host === this.#host && !this.#isAlive(h.pid)) return false;
    return true;
  }

  #expiry(now: Date): string {
    return new Date(now.getTime() + this.#ttlMs).toISOString();
  }
}
