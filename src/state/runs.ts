import { randomUUID } from 'node:crypto';
import type { StateDb } from './db';

export type RunMode = 'plan' | 'sync';
export type RunOutcome = 'running' | 'success' | 'partial' | 'failed';

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

  recent(limit: number): RunRecord[] {
    return this.#db
      .prepare<[number], RunRow>('SELECT * FROM runs ORDER BY started_at DESC, id DESC LIMIT ?')
      .all(limit)
      .map(fromRow);
  }
}
