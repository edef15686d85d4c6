import { Daemon, type RunCycle } from '../../../src/daemon/daemon';
import type { CronScheduler } from '../../../src/daemon/cron';
import type { RunEvent, RunKind } from '../../../src/daemon/events';
import { createLogger } from '../../../src/log/logger';

/** A cron that never fires by itself: the test fires the registered tasks. */
function fakeCron(): CronScheduler & { fire(expression: string): void; stopped: number } {
  const tasks = new Map<string, () => void>();
  const cron = {
    stopped: 0,
    schedule(expression: string, task: () => void) {
      tasks.set(expression, task);
      return { stop: () => void (cron.stopped += 1) };
    },
    fire(expression: string) {
      tasks.get(expression)?.();
    },
  };
  return cron;
}

function event(kind: RunKind, outcome: RunEvent['outcome'] = 'success'): RunEvent {
  return {
    runId: `r-${kind}`,
    kind,
    staging: false,
    outcome,
    startedAt: '2026-11-22T00:00:00Z',
    finishedAt: '2026-11-22T00:00:01Z',
    durationMs: 1000,
    counts: {},
    guardStops: 0,
    licenseShortfalls: 0,
    directoryProblems: [],
    apiRetries: 0,
    usersManaged: 0,
  };
}

const logger = createLogger({ level: 'error', silent: true });

function setup(runCycle: RunCycle, needsFull = false) {
  const cron = fakeCron();
  const seen: RunEvent[] = [];
  const daemon = new Daemon({
    cron,
    schedule: 'DELTA',
    fullSchedule: 'FULL',
    runCycle,
    needsFull: () => needsFull,
    observers: [{ onRunFinished: (e) => void seen.push(e) }],
    logger,
  });
  daemon.start();
  return { cron, daemon, seen };
}

describe('Daemon', () => {
  it('runs deltas and fulls on their schedules and tells the observers', async () => {
    const kinds: RunKind[] = [];
    const { daemon, seen } = setup(async (kind) => {
      kinds.push(kind);
      return event(kind);
    });
    await daemon.tick('delta');
    await daemon.tick('full');
    expect(kinds).toEqual(['delta', 'full']);
    expect(seen.map((e) => e.kind)).toEqual(['delta', 'full']);
  });

  it('makes the first run a full one when there is no baseline', async () => {
    const kinds: RunKind[] = [];
    const { daemon } = setup(async (kind) => {
      kinds.push(kind);
      return event(kind);
    }, true);
    await daemon.tick('delta');
    expect(kinds).toEqual(['full']);
  });

  it('never overlaps: a tick while a run is going is skipped, not queued', async () => {
    let release: () => void = () => undefined;
    let calls = 0;
    const { daemon } = setup(
      (kind) =>
        new Promise((resolve) => {
          calls += 1;
          release = () => resolve(event(kind));
        }),
    );
    const first = daemon.tick('delta');
    expect(await daemon.tick('full')).toBe('busy');
    expect(await daemon.tick('delta')).toBe('busy');
    release();
    await first;
    expect(calls).toBe(1);
    const next = daemon.tick('delta');
    release();
    expect(await next).toMatchObject({ kind: 'delta' });
    expect(calls).toBe(2);
  });

  it('keeps going after a run that throws and after an observer that throws', async () => {
    let n = 0;
    const cron = fakeCron();
    const daemon = new Daemon({
      cron,
      schedule: 'DELTA',
      fullSchedule: 'FULL',
      runCycle: async (kind) => {
        n += 1;
        if (n === 1) throw new Error('boom');
        return event(kind);
      },
      needsFull: () => false,
      observers: [
        {
          onRunFinished: () => {
            throw new Error('observer boom');
          },
        },
      ],
      logger,
    });
    expect(await daemon.tick('delta')).toBe('skipped');
    expect(await daemon.tick('delta')).toMatchObject({ kind: 'delta' });
  });

  it('stop() stops the schedules, aborts the run in flight and waits for it', async () => {
    let aborted = false;
    const { daemon, cron } = setup(
      (kind, signal) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve(event(kind, 'partial'));
          });
        }),
    );
    const running = daemon.tick('full');
    await daemon.stop();
    expect(aborted).toBe(true);
    expect(cron.stopped).toBe(2);
    expect(await running).toMatchObject({ outcome: 'partial' });
    expect(await daemon.tick('delta')).toBe('stopping');
  });

  it('fires from the scheduler it was given', async () => {
    const kinds: RunKind[] = [];
    const { cron, daemon } = setup(async (kind) => {
      kinds.push(kind);
      return event(kind);
    });
    cron.fire('FULL');
    await new Promise((r) => setImmediate(r));
    expect(kinds).toEqual(['full']);
    expect(daemon.running).toBe(false);
  });
});
