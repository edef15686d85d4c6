import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventOf, eventOfError, makeRunCycle } from '../../../src/daemon/cycle';
import { DirsyncError } from '../../../src/errors/codes';
import { createLogger } from '../../../src/log/logger';
import { incidentsOf } from '../../../src/notify/incidents';
import { RunFailedError, type SyncReport } from '../../../src/sync/run-sync';

const started = new Date('2026-06-01T08:30:00Z');
const finished = new Date('2026-06-01T08:30:05Z');

/** The parts of a SyncReport the daemon's event is made of. */
function report(overrides: { outcome: SyncReport['outcome']; stopped?: number; shortfalls?: number }): SyncReport {
  const partial = {
    runId: '20260601T083000-9f8e7d6c',
    mode: 'sync',
    outcome: overrides.outcome,
    counts: { create: 2, deactivate: 12, applied: 2, apiRetries: 3 },
    directory: { kind: 'delta', problems: [{ scope: 'group cn=staff', reason: 'no such object' }] },
    guard: { checks: [], stopped: Array.from({ length: overrides.stopped ?? 0 }, () => ({})) },
    plan: { licenses: { shortfalls: Array.from({ length: overrides.shortfalls ?? 0 }, () => ({})) } },
    snapshot: { fingerprint: '', users: 10, active: 10 },
  };
  return partial as unknown as SyncReport;
}

describe('eventOf: a run report as the observers see it', () => {
  it('a guard stop is a partial run with its stopped operations counted: a guard_stop incident', () => {
    const event = eventOf(false, report({ outcome: 'stopped', stopped: 12 }), started, 12, finished);
    expect(event).toMatchObject({
      runId: '20260601T083000-9f8e7d6c',
      kind: 'delta',
      outcome: 'partial',
      guardStops: 12,
      apiRetries: 3,
      durationMs: 5000,
      directoryProblems: ['group cn=staff: no such object'],
    });
    expect(event.error).toBeUndefined();
    expect(incidentsOf(event).map((i) => i.kind)).toEqual(['guard_stop', 'directory_problem']);
  });

  it('counts the users managed after the run, not the snapshot before it', () => {
    // The report's snapshot summary (10) was taken before the two creates were sent.
    expect(eventOf(false, report({ outcome: 'success' }), started, 12, finished).usersManaged).toBe(12);
    expect(eventOf(false, report({ outcome: 'success' }), started, undefined, finished).usersManaged).toBeUndefined();
  });

  it('carries staging and license shortfalls', () => {
    const event = eventOf(true, report({ outcome: 'success', shortfalls: 1 }), started, 10, finished);
    expect(event).toMatchObject({ staging: true, outcome: 'success', licenseShortfalls: 1 });
  });
});

describe('eventOfError', () => {
  it('a failed run names its error code and reason: a run_failed incident', () => {
    const err = new RunFailedError('20260601T083000-aaaaaaaa', new DirsyncError('DIRECTORY_BIND', 'invalid credentials'));
    const event = eventOfError(err, 'delta', false, started, 10, false, finished);
    expect(event).toMatchObject({
      runId: '20260601T083000-aaaaaaaa',
      outcome: 'failed',
      error: 'DIRECTORY_BIND: invalid credentials',
      usersManaged: 10,
    });
    expect(incidentsOf(event).map((i) => i.kind)).toEqual(['run_failed']);
  });

  it('a run stopped by the daemon shutdown (SIGTERM/SIGINT) is no incident', () => {
    const err = new RunFailedError('20260601T083000-bbbbbbbb', new DirsyncError('RUN_STOPPED', 'stopped sending'));
    const event = eventOfError(err, 'full', false, started, 10, true, finished);
    expect(event.outcome).toBe('partial');
    expect(event.error).toBeUndefined();
    expect(incidentsOf(event)).toEqual([]);
  });
});

describe('makeRunCycle', () => {
  const logger = createLogger({ level: 'error', silent: true });

  it('never throws: a config that cannot be read is a failed run for the observers', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dirsync-cycle-'));
    const cycle = makeRunCycle({ configFile: path.join(dir, 'missing.yaml'), logger });
    const result = await cycle('delta', new AbortController().signal);
    expect(result).not.toBe('skipped');
    if (result === 'skipped') return;
    expect(result.outcome).toBe('failed');
    expect(result.error).toMatch(/^CONFIG_/);
    expect(result.usersManaged).toBeUndefined();
  });

  it('a shutdown that stops a run before it fails for another reason still reports the failure', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dirsync-cycle-'));
    const abort = new AbortController();
    abort.abort();
    const cycle = makeRunCycle({ configFile: path.join(dir, 'missing.yaml'), logger });
    const result = await cycle('delta', abort.signal);
    expect(result !== 'skipped' && result.outcome).toBe('failed');
  });
});
