import type { Operation } from '../model/plan';
import type { StateDb } from './db';
import type { SnapshotChange, SnapshotStore } from './snapshot';

export type JournalStatus = 'pending' | 'done' | 'failed';

/** A journal entry that was written but never settled: its run died while sending it. */
export interface PendingEntry {
  readonly runId: string;
  readonly seq: number;
  readonly kind: string;
  readonly externalId: string;
  /** The operation as it was journalled (JSON); parsed by the resumer, which may find it unreadable. */
  readonly operation: string;
}

interface PendingRow {
  run_id: string;
  seq: number;
  kind: string;
  external_id: string;
  operation: string;
}

/** Plan entries written per commit by recordInSteps. */
const RECORD_STEP = 1_000;

/** A plan whose journal entries are written as sending reaches them (Journal.recordInSteps). */
export interface RecordedPlan {
  /** Makes sure the entries up to `seq` are written (with the rest of their step). */
  through(seq: number): void;
  /** Writes every entry not written yet: what was never sent stays pending for the next run. */
  rest(): void;
}

/** Completions held before one transaction writes them all (see completeDeferred). */
const FLUSH_COUNT = 256;
const FLUSH_AFTER_MS = 1_000;

interface DeferredCompletion {
  readonly runId: string;
  readonly seq: number;
  readonly confirmed: SnapshotChange;
  readonly resumedBy: string | undefined;
}

/**
 * The outbox (invariant 2): every operation is written here before it is sent, and marked
 * done in the same transaction that records the target's answer in the snapshot.
 */
export class Journal {
  readonly #db: StateDb;
  readonly #snapshot: SnapshotStore;
  readonly #markStatement;
  #deferred: DeferredCompletion[] = [];
  #deferredSince = 0;

  constructor(db: StateDb, snapshot: SnapshotStore) {
    this.#db = db;
    this.#snapshot = snapshot;
    this.#markStatement = db.prepare<[string, string | null, string, string | null, string, number]>(
      'UPDATE journal SET status = ?, error = ?, updated_at = ?, resumed_by = coalesce(?, resumed_by) WHERE run_id = ? AND seq = ?',
    );
  }

  /**
   * Writes a plan's entries a step at a time, each step before any of its operations is sent:
   * the first request goes out after one step's commit instead of the whole plan's (a second
   * at 100,000 operations), and later steps are written while requests are in flight.
   */
  recordInSteps(runId: string, operations: readonly Operation[]): RecordedPlan {
    const now = new Date().toISOString();
    let written = 0;
    const write = (end: number): void => {
      if (end <= written) return;
      this.#insert(runId, operations, written, end, now);
      written = end;
    };
    return {
      through: (seq) => {
        if (seq >= written) write(Math.min(operations.length, Math.max(seq + 1, written + RECORD_STEP)));
      },
      rest: () => write(operations.length),
    };
  }

  #insert(runId: string, operations: readonly Operation[], from: number, to: number, now: string): void {
    const insert = this.#db.prepare(
      `INSERT INTO journal (run_id, seq, kind, external_id, operation, status, updated_at)
       VALUES (?, ?, ?, ?, ?, 'pending', ?)`,
    );
    // Sent right after: these entries must survive even a power cut (invariant 2), so each
    // step is committed with a full sync.
    this.#db.pragma('synchronous = FULL');
    try {
      this.#db.transaction(() => {
        for (let seq = from; seq < to; seq += 1) {
          const op = operations[seq] as Operation;
          insert.run(runId, seq, op.kind, op.externalId, JSON.stringify(op), now);
        }
      })();
    } finally {
      this.#db.pragma('synchronous = NORMAL');
    }
  }

  /**
   * The target confirmed: snapshot and journal change together or not at all. `resumedBy` names
   * the run that re-drove an entry its own run left pending.
   */
  complete(runId: string, seq: number, confirmed: SnapshotChange, resumedBy?: string): void {
    this.#db.transaction(() => {
      this.#snapshot.apply(confirmed);
      this.#mark(runId, seq, 'done', undefined, resumedBy);
    })();
  }

  /**
   * Like complete, but held and written with others in one transaction (every FLUSH_COUNT
   * completions, after FLUSH_AFTER_MS, or at flush()): one commit per operation cost more than
   * the bookkeeping itself. Still only after the target confirmed (invariant 2). A crash before
   * the flush leaves these entries pending, which costs nothing that matters: resume looks each
   * account up before acting (a create is adopted, a PATCH is sent again, idempotently).
   */
  completeDeferred(runId: string, seq: number, confirmed: SnapshotChange, resumedBy?: string): void {
    if (this.#deferred.length === 0) this.#deferredSince = Date.now();
    this.#deferred.push({ runId, seq, confirmed, resumedBy });
    if (this.#deferred.length >= FLUSH_COUNT || Date.now() - this.#deferredSince >= FLUSH_AFTER_MS) this.flush();
  }

  /** Writes the completions held by completeDeferred. */
  flush(): void {
    if (this.#deferred.length === 0) return;
    const batch = this.#deferred;
    this.#deferred = [];
    this.#db.transaction(() => {
      for (const c of batch) {
        this.#snapshot.apply(c.confirmed);
        this.#mark(c.runId, c.seq, 'done', undefined, c.resumedBy);
      }
    })();
  }

  fail(runId: string, seq: number, error: string, resumedBy?: string): void {
    this.#mark(runId, seq, 'failed', error, resumedBy);
  }

  #mark(runId: string, seq: number, status: Exclude<JournalStatus, 'pending'>, error?: string, resumedBy?: string): void {
    this.#markStatement.run(status, error ?? null, new Date().toISOString(), resumedBy ?? null, runId, seq);
  }

  /** Entries never settled, oldest run first, in the order they were planned. */
  pending(): PendingEntry[] {
    return this.#db
      .prepare<[], PendingRow>(
        `SELECT j.run_id, j.seq, j.kind, j.external_id, j.operation FROM journal j JOIN runs r ON r.id = j.run_id
         WHERE j.status = 'pending' ORDER BY r.started_at, j.run_id, j.seq`,
      )
      .all()
      .map((r) => ({ runId: r.run_id, seq: r.seq, kind: r.kind, externalId: r.external_id, operation: r.operation }));
  }

  pendingCount(): number {
    return (this.#db.prepare(`SELECT count(*) AS n FROM journal WHERE status = 'pending'`).get() as { n: number }).n;
  }
}
