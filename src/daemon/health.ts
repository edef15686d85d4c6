import type { RunEvent, RunObserver } from './events';

export type HealthStatus = 'ok' | 'failing' | 'stale' | 'starting';

export interface LastRun {
  readonly id: string;
  readonly outcome: RunEvent['outcome'];
  /** ISO 8601. */
  readonly finishedAt: string;
}

export interface HealthReport {
  readonly status: HealthStatus;
  readonly lastRun: (LastRun & { readonly ageSeconds: number }) | null;
}

export interface HealthTrackerOptions {
  /** A last run older than this makes the daemon 'stale'. */
  readonly maxAgeSeconds: number;
  /** Milliseconds since the epoch; injected by tests. */
  readonly now?: () => number;
  /** The last run recorded before this process started (from the runs table), if any. */
  readonly lastRun?: LastRun;
}

/**
 * What /healthz answers. A monitor should page on 'failing' (the last run failed) and 'stale'
 * (no run finished for maxAgeSeconds: the scheduler is stuck or the daemon hangs). A partial run
 * is 'ok': the daemon works, and the run's report says which users failed.
 */
export class HealthTracker implements RunObserver {
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #startedAt: number;
  #last: LastRun | undefined;

  constructor(options: HealthTrackerOptions) {
    this.#maxAgeMs = options.maxAgeSeconds * 1000;
    this.#now = options.now ?? Date.now;
    this.#startedAt = this.#now();
    this.#last = options.lastRun;
  }

  onRunFinished(event: RunEvent): void {
    this.#last = { id: event.runId, outcome: event.outcome, finishedAt: event.finishedAt };
  }

  check(): HealthReport {
    const now = this.#now();
    const last = this.#last;
    if (!last) {
      // A first run that never finishes must not read as 'starting' forever.
      return { status: now - this.#startedAt > this.#maxAgeMs ? 'stale' : 'starting', lastRun: null };
    }
    const finished = Date.parse(last.finishedAt);
    const ageMs = Number.isFinite(finished) ? Math.max(0, now - finished) : Number.POSITIVE_INFINITY;
    const ageSeconds = Number.isFinite(ageMs) ? Math.floor(ageMs / 1000) : -1;
    // Stale wins over failing: an old failure says less than "nothing has run since".
    const status: HealthStatus = ageMs > this.#maxAgeMs ? 'stale' : last.outcome === 'failed' ? 'failing' : 'ok';
    return { status, lastRun: { ...last, ageSeconds } };
  }
}

/** 'failing' and 'stale' are 503 so a plain HTTP check (load balancer, uptime probe) sees them. */
export function httpStatusOf(status: HealthStatus): 200 | 503 {
  return status === 'ok' || status === 'starting' ? 200 : 503;
}
