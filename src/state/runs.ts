import { randomUUID } from 'node:crypto';
import type { StateDb } from './db';

export type RunMode = 'plan' | 'sync' | 'apply';
/**
 * stopped: the mass-change guard held deactivations back, the rest was applied.
 * interrupted: the process died while running; a later run resumed its journal.
 */
export type RunOutcome = 'running' | 'success' | 'partial' | 'failed' | 'stopped' | 'interrupted';

export interface RunRecord {
  readonly id: string;
  readonly mode: RunMode;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly outcome: RunOutcome;
  readonly counts: Record<string, number>;
  readonly message: string | null;
}

interface RunRow {
  id: string;
  mode: string;
  started_at: string;
  finished_at: string | null;
  outcome: string;
  counts: string;
  message: string | null;
}

function fromRow(r: RunRow): RunRecord {
  return {
    id: r.id,
    mode: r.mode as RunMode,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    outcome: r.outcome as RunOutcome,
    counts: JSON.parse(r.counts) as Record<string, number>,
    message: r.message,
  };
}

export class RunStore {
  readonly #db: StateDb;

  constructor(db: StateDb) {
    this.#db = db;
  }

  start(mode: RunMode, now: Date = new Date()): string {
    const id = `${now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomUUID().slice(0, 8)}`;
    this.#db
      .prepare(`INSERT INTO runs (id, mode, started_at, outcome) VALUES (?, ?, ?, 'running')`)
      .run(id, mode, now.toISOString());
    return id;
  }

  finish(id: string, outcome: Exclude<RunOutcome, 'running'>, counts: Record<string, number>, message?: string): void {
    this.#db
      .prepare(`UPDATE runs SET finished_at = ?, outcome = ?, counts = ?, message = ? WHERE id = ?`)
      .run(new Date().toISOString(), outcome, JSON.stringify(counts), message ?? null, id);
  }

  /**
   * Runs that send changes and are still marked running, other than `exceptId`. Called by the
   * lease holder: no other such run can be alive, so these died (kill -9, power cut).
   */
  deadApplyingRuns(exceptId: string): string[] {
    return this.#db
      .prepare<[string], { id: string }>(
        `SELECT id FROM runs WHERE outcome = 'running' AND mode IN ('sync', 'apply') AND id <> ? ORDER BY started_at, id`,
      )
      .all(exceptId)
      .map((r) => r.id);
  }

  markInterrupted(id: string, message: string): void {
    this.#db
      .prepare(`UPDATE runs SET finished_at = ?, outcome = 'interrupted', message = ? WHERE id = ? AND outcome = 'running'`)
      .run(new Date().toISOString(), message, id);
  }

  recent(limit: number): RunRecord[] {
    return this.#db
      .prepare<[number], RunRow>('SELECT * FROM runs ORDER BY started_at DESC, id DESC LIMIT ?')
      .all(limit)
      .map(fromRow);
  }
}
