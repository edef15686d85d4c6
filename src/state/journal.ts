import type { Operation } from '../model/plan';
import type { SnapshotUser } from '../model/user-state';
import type { StateDb } from './db';
import type { SnapshotStore } from './snapshot';

export type JournalStatus = 'pending' | 'done' | 'failed';

/**
 * The outbox (invariant 2): every operation is written here before it is sent, and marked
 * done in the same transaction that records the target's answer in the snapshot.
 */
export class Journal {
  readonly #db: StateDb;
  readonly #snapshot: SnapshotStore;

  constructor(db: StateDb, snapshot: SnapshotStore) {
    this.#db = db;
    this.#snapshot = snapshot;
  }

  record(runId: string, operations: readonly Operation[]): void {
    const insert = this.#db.prepare(
      `INSERT INTO journal (run_id, seq, kind, external_id, operation, status, updated_at)
       VALUES (?, ?, ?, ?, ?, 'pending', ?)`,
    );
    const now = new Date().toISOString();
    this.#db.transaction(() => {
      operations.forEach((op, seq) => insert.run(runId, seq, op.kind, op.externalId, JSON.stringify(op), now));
    })();
  }

  /** The target confirmed: snapshot and journal change together or not at all. */
  complete(runId: string, seq: number, confirmed: SnapshotUser): void {
    this.#db.transaction(() => {
      this.#snapshot.put(confirmed);
      this.#mark(runId, seq, 'done');
    })();
  }

  fail(runId: string, seq: number, error: string): void {
    this.#mark(runId, seq, 'failed', error);
  }

  #mark(runId: string, seq: number, status: Exclude<JournalStatus, 'pending'>, error?: string): void {
    this.#db
      .prepare('UPDATE journal SET status = ?, error = ?, updated_at = ? WHERE run_id = ? AND seq = ?')
      .run(status, error ?? null, new Date().toISOString(), runId, seq);
  }

  pendingCount(): number {
    return (this.#db.prepare(`SELECT count(*) AS n FROM journal WHERE status = 'pending'`).get() as { n: number }).n;
  }
}
