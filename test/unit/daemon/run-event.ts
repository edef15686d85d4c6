import type { RunEvent } from '../../../src/daemon/events';

let seq = 0;

/** A RunEvent that finished at `finishedAtMs` (default: 2026-01-01T00:00:00Z), clean unless told otherwise. */
export function runEvent(overrides: Partial<RunEvent> & { finishedAtMs?: number } = {}): RunEvent {
  const { finishedAtMs = Date.parse('2026-01-01T00:00:00Z'), ...rest } = overrides;
  const durationMs = rest.durationMs ?? 12_000;
  seq += 1;
  return {
    runId: `run-${seq}`,
    kind: 'delta',
    staging: false,
    outcome: 'success',
    startedAt: new Date(finishedAtMs - durationMs).toISOString(),
    finishedAt: new Date(finishedAtMs).toISOString(),
    durationMs,
    counts: {},
    guardStops: 0,
    licenseShortfalls: 0,
    directoryProblems: [],
    apiRetries: 0,
    usersManaged: 0,
    ...rest,
  };
}

/** A clock tests move by hand. */
export class FakeClock {
  constructor(public ms: number = Date.parse('2026-01-01T00:00:00Z')) {}

  readonly now = (): number => this.ms;

  advance(ms: number): number {
    this.ms += ms;
    return this.ms;
  }
}
