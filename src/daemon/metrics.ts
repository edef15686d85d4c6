import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RunEvent, RunKind, RunObserver } from './events';

const RUN_KINDS: readonly RunKind[] = ['full', 'delta'];
const RUN_OUTCOMES: readonly RunEvent['outcome'][] = ['success', 'partial', 'failed'];

/** Planned operations are counted per kind from `event.counts[kind]`. */
export const OPERATION_KINDS = ['create', 'update', 'reactivate', 'deactivate'] as const;

/**
 * Counts the run gives only as totals over every kind (the event has no per-kind outcome), so
 * they are exported with kind="all". `consolidation` happens only to creates.
 */
const TOTAL_COUNTS: readonly { key: string; kind: string; outcome: string }[] = [
  { key: 'applied', kind: 'all', outcome: 'done' },
  { key: 'failed', kind: 'all', outcome: 'failed' },
  { key: 'consolidation', kind: 'create', outcome: 'consolidation' },
];

/** Runs last from seconds (a delta with nothing to do) to an hour (a first full sync of a big directory). */
const DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600];

export interface RunMetricsOptions {
  /** Process metrics (CPU, memory, event loop lag, handles) of prom-client. Default: on. */
  readonly processMetrics?: boolean;
}

/**
 * Keeps the daemon's Prometheus metrics. It owns its registry, never prom-client's global one,
 * so two instances (tests, or a library user) never collide on metric names.
 */
export class RunMetrics implements RunObserver {
  readonly registry = new Registry();
  readonly #duration: Histogram<'kind' | 'outcome'>;
  readonly #runs: Counter<'kind' | 'outcome'>;
  readonly #operations: Counter<'kind' | 'outcome'>;
  readonly #guardStops: Counter;
  readonly #apiRetries: Counter;
  readonly #usersManaged: Gauge;
  readonly #lastRun: Gauge;
  readonly #lastSuccess: Gauge;
  readonly #lastOutcome: Gauge<'outcome'>;
  readonly #licenseShortfalls: Gauge;
  readonly #directoryProblems: Gauge;
  readonly #staging: Gauge;

  constructor(options: RunMetricsOptions = {}) {
    const registers = [this.registry];
    this.#duration = new Histogram({
      name: 'dirsync_run_duration_seconds',
      help: 'Duration of scheduled runs, by kind (full, delta) and outcome.',
      labelNames: ['kind', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#runs = new Counter({
      name: 'dirsync_runs_total',
      help: 'Scheduled runs finished, by kind and outcome.',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.#operations = new Counter({
      name: 'dirsync_operations_total',
      help: 'Operations by kind and outcome: planned per kind; done and failed over all kinds (kind="all").',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.#guardStops = new Counter({
      name: 'dirsync_guard_stops_total',
      help: 'Operations held back by the mass-change guard.',
      registers,
    });
    this.#apiRetries = new Counter({
      name: 'dirsync_api_retries_total',
      help: 'Retries the SCIM client made (429, 5xx, timeouts).',
      registers,
    });
    this.#usersManaged = new Gauge({
      name: 'dirsync_users_managed',
      help: 'Accounts dirsync manages on the target, after the last run.',
      registers,
    });
    this.#lastRun = new Gauge({
      name: 'dirsync_last_run_timestamp_seconds',
      help: 'When the last run finished (Unix time).',
      registers,
    });
    this.#lastSuccess = new Gauge({
      name: 'dirsync_last_success_timestamp_seconds',
      help: 'When the last successful run finished (Unix time).',
      registers,
    });
    this.#lastOutcome = new Gauge({
      name: 'dirsync_last_run_outcome',
      help: 'Outcome of the last run: 1 for its outcome, 0 for the others.',
      labelNames: ['outcome'],
      registers,
    });
    this.#licenseShortfalls = new Gauge({
      name: 'dirsync_license_shortfalls',
      help: 'Licenses short of seats in the last run.',
      registers,
    });
    this.#directoryProblems = new Gauge({
      name: 'dirsync_directory_problems',
      help: 'Directory scopes not read completely in the last run.',
      registers,
    });
    this.#staging = new Gauge({
      name: 'dirsync_staging',
      help: '1 when the last run was a staging run (read and planned only, nothing sent).',
      registers,
    });
    // Series exist with 0 from the start, so rate() and absent() alerts work before the first incident.
    for (const kind of RUN_KINDS) {
      for (const outcome of RUN_OUTCOMES) this.#runs.inc({ kind, outcome }, 0);
    }
    for (const kind of OPERATION_KINDS) this.#operations.inc({ kind, outcome: 'planned' }, 0);
    for (const t of TOTAL_COUNTS) this.#operations.inc({ kind: t.kind, outcome: t.outcome }, 0);
    this.#guardStops.inc(0);
    this.#apiRetries.inc(0);
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  onRunFinished(event: RunEvent): void {
    const labels = { kind: event.kind, outcome: event.outcome };
    this.#duration.observe(labels, Math.max(0, event.durationMs) / 1000);
    this.#runs.inc(labels);
    for (const kind of OPERATION_KINDS) this.#operations.inc({ kind, outcome: 'planned' }, countOf(event, kind));
    for (const t of TOTAL_COUNTS) this.#operations.inc({ kind: t.kind, outcome: t.outcome }, countOf(event, t.key));
    this.#guardStops.inc(nonNegative(event.guardStops));
    this.#apiRetries.inc(nonNegative(event.apiRetries));
    if (event.usersManaged !== undefined) this.#usersManaged.set(nonNegative(event.usersManaged));
    const finished = Date.parse(event.finishedAt) / 1000;
    if (Number.isFinite(finished)) {
      this.#lastRun.set(finished);
      if (event.outcome === 'success') this.#lastSuccess.set(finished);
    }
    for (const outcome of RUN_OUTCOMES) this.#lastOutcome.set({ outcome }, outcome === event.outcome ? 1 : 0);
    this.#licenseShortfalls.set(nonNegative(event.licenseShortfalls));
    this.#directoryProblems.set(event.directoryProblems.length);
    this.#staging.set(event.staging ? 1 : 0);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}

/** The Prometheus text exposition of the metrics (what GET /metrics answers). */
export function renderMetrics(metrics: RunMetrics): Promise<string> {
  return metrics.render();
}

function countOf(event: RunEvent, key: string): number {
  return nonNegative(event.counts[key] ?? 0);
}

/** A counter only goes up: a negative or non-numeric count from a buggy producer must not throw. */
function nonNegative(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}
