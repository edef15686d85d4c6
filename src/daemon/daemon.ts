import { errorMessage } from '../errors/codes';
import type { Logger } from '../log/logger';
import type { CronScheduler } from './cron';
import type { RunEvent, RunKind, RunObserver } from './events';

/** One scheduled cycle; resolves with its event, or 'skipped' when another process holds the lease. */
export type RunCycle = (kind: RunKind, signal: AbortSignal) => Promise<RunEvent | 'skipped'>;

export interface DaemonOptions {
  readonly cron: CronScheduler;
  readonly schedule: string;
  readonly fullSchedule: string;
  readonly timezone?: string;
  readonly runCycle: RunCycle;
  /** True while no successful full sync exists (a delta then has nothing to start from). */
  readonly needsFull: () => boolean;
  readonly observers: readonly RunObserver[];
  readonly logger: Logger;
}

export type TickResult = RunEvent | 'skipped' | 'busy' | 'stopping';

/**
 * The long-running loop: delta syncs on `schedule`, full syncs on `fullSchedule`, never two at
 * once (a tick that finds a run going is skipped, not queued), every failure caught and logged
 * so the daemon keeps going, and a stop that lets the current operation finish.
 */
export class Daemon {
  readonly #o: DaemonOptions;
  readonly #jobs: { stop(): void }[] = [];
  #current: Promise<TickResult> | undefined;
  #abort = new AbortController();
  #stopping = false;

  constructor(options: DaemonOptions) {
    this.#o = options;
  }

  start(): void {
    this.#jobs.push(this.#o.cron.schedule(this.#o.schedule, () => void this.tick('delta'), this.#o.timezone));
    this.#jobs.push(this.#o.cron.schedule(this.#o.fullSchedule, () => void this.tick('full'), this.#o.timezone));
    this.#o.logger.info('daemon started', {
      schedule: this.#o.schedule,
      fullSchedule: this.#o.fullSchedule,
      timezone: this.#o.timezone,
    });
  }

  get running(): boolean {
    return this.#current !== undefined;
  }

  async tick(requested: RunKind): Promise<TickResult> {
    if (this.#stopping) return 'stopping';
    if (this.#current) {
      this.#o.logger.warn('previous run still going: this scheduled run is skipped', { kind: requested });
      return 'busy';
    }
    const kind: RunKind = requested === 'delta' && this.#o.needsFull() ? 'full' : requested;
    this.#current = this.#cycle(kind);
    try {
      return await this.#current;
    } finally {
      this.#current = undefined;
    }
  }

  async #cycle(kind: RunKind): Promise<TickResult> {
    let result: RunEvent | 'skipped';
    try {
      result = await this.#o.runCycle(kind, this.#abort.signal);
    } catch (err) {
      // runCycle reports its own failures as events; this is a bug or a broken environment.
      this.#o.logger.error('scheduled run crashed', { kind, error: errorMessage(err) });
      return 'skipped';
    }
    if (result === 'skipped') return result;
    for (const observer of this.#o.observers) {
      try {
        await observer.onRunFinished(result);
      } catch (err) {
        this.#o.logger.error('run observer failed', { error: errorMessage(err) });
      }
    }
    return result;
  }

  /** Stops the schedules and asks the current run to stop after its operation in flight. */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const job of this.#jobs.splice(0)) job.stop();
    if (this.#current) {
      this.#o.logger.info('stopping: finishing the operation in flight');
      this.#abort.abort();
      await this.#current;
    }
    this.#o.logger.info('daemon stopped');
  }
}
