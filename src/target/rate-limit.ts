import { setTimeout as sleep } from 'node:timers/promises';

export interface Clock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const SYSTEM_CLOCK: Clock = { now: () => performance.now(), sleep: (ms) => sleep(ms) };

/**
 * A fixed-interval scheduler: every request start (retries included) gets its own slot, and
 * slots are exactly 1/requestsPerSecond apart. Unlike a token bucket it never bursts, so any
 * one-second window holds at most requestsPerSecond starts whatever the concurrency.
 */
export class RateLimiter {
  readonly #intervalMs: number;
  readonly #clock: Clock;
  #nextSlot = Number.NEGATIVE_INFINITY;
  #lastStart = Number.NEGATIVE_INFINITY;

  constructor(requestsPerSecond: number, clock: Clock = SYSTEM_CLOCK) {
    if (!(requestsPerSecond > 0)) throw new RangeError('requestsPerSecond must be positive');
    this.#intervalMs = 1000 / requestsPerSecond;
    this.#clock = clock;
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  /**
   * Resolves when this caller may start. Slots are handed out in call order, synchronously, so
   * concurrent callers never race for one.
   */
  async acquire(): Promise<void> {
    const now = this.#clock.now();
    const slot = Math.max(now, this.#nextSlot);
    this.#nextSlot = slot + this.#intervalMs;
    // Timers may fire a little early, or late when the event loop was busy: a start is never
    // closer than one interval to the previous real start, whichever slot it was given.
    for (let t = now; ; t = this.#clock.now()) {
      const due = Math.max(slot, this.#lastStart + this.#intervalMs);
      if (t >= due) {
        this.#lastStart = t;
        this.#nextSlot = Math.max(this.#nextSlot, t + this.#intervalMs);
        return;
      }
      await this.#clock.sleep(Math.ceil(due - t));
    }
  }
}
