import { loadConfig } from '../config/load';
import { errorCode, errorMessage } from '../errors/codes';
import type { Logger } from '../log/logger';
import { reportJson, saveReport } from '../cli/report-view';
import { openStateDb } from '../state/db';
import { SnapshotStore } from '../state/snapshot';
import { runSync, type SyncReport } from '../sync/run-sync';
import type { RunEvent, RunKind } from './events';
import type { RunCycle } from './daemon';

export interface CycleOptions {
  readonly configFile: string;
  readonly logger: Logger;
  /** Overrides daemon.staging from the config (the --staging flag). */
  readonly staging?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Accounts in the snapshot once the run is over: what dirsync manages on the target now. The
 * report's snapshot summary is taken before the run sent anything, and a failed run has none,
 * so neither may stand for it. Undefined when the state database cannot be read.
 */
function managedAfterRun(statePath: string | undefined): number | undefined {
  if (statePath === undefined) return undefined;
  try {
    const db = openStateDb(statePath);
    try {
      return new SnapshotStore(db).count();
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}

export function eventOf(
  staging: boolean,
  report: SyncReport,
  started: Date,
  usersManaged: number | undefined,
  finished: Date = new Date(),
): RunEvent {
  // 'stopped' (the guard held operations back) is not a failure: everything else was sent.
  const outcome = report.outcome === 'success' ? 'success' : report.outcome === 'failed' ? 'failed' : 'partial';
  return {
    runId: report.runId,
    kind: report.directory.kind,
    staging,
    outcome,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    counts: report.counts,
    guardStops: report.guard.stopped.length,
    licenseShortfalls: report.plan.licenses.shortfalls.length,
    directoryProblems: report.directory.problems.map((p) => `${p.scope}: ${p.reason}`),
    apiRetries: report.counts.apiRetries ?? 0,
    ...(usersManaged !== undefined ? { usersManaged } : {}),
  };
}

/** A run that threw: failed, unless the daemon's own shutdown stopped it (see below). */
export function eventOfError(
  err: unknown,
  kind: RunKind,
  staging: boolean,
  started: Date,
  usersManaged: number | undefined,
  stoppedByShutdown: boolean,
  finished: Date = new Date(),
): RunEvent {
  const runId = (err as { runId?: unknown } | undefined)?.runId;
  const reason = `${errorCode(err)}: ${errorMessage(err)}`;
  return {
    runId: typeof runId === 'string' ? runId : `failed-${started.getTime()}`,
    kind,
    staging,
    // Stopped on purpose (SIGTERM/SIGINT) after the operation in flight: nothing is wrong, the
    // rest waits in the journal for the next start. Not an incident to page anyone about.
    outcome: stoppedByShutdown ? 'partial' : 'failed',
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    counts: {},
    guardStops: 0,
    licenseShortfalls: 0,
    directoryProblems: [],
    apiRetries: 0,
    ...(usersManaged !== undefined ? { usersManaged } : {}),
    ...(stoppedByShutdown ? {} : { error: reason, errorCode: errorCode(err) }),
  };
}

/**
 * One scheduled run, from a freshly read config (an admin's edit applies at the next run
 * without a restart). Never throws: a failure becomes a failed event for the observers.
 */
export function makeRunCycle(options: CycleOptions): RunCycle {
  return async (kind, signal) => {
    const started = new Date();
    let staging = options.staging ?? false;
    let statePath: string | undefined;
    try {
      const loaded = loadConfig(options.configFile, options.env);
      statePath = loaded.config.state.path;
      staging = options.staging ?? loaded.config.daemon.staging;
      const report = await runSync(loaded, {
        mode: staging ? 'plan' : 'sync',
        logger: options.logger,
        delta: kind === 'delta' && !staging,
        fingerprint: false,
        signal,
      });
      // A staging run is a plan: the report says so, and what it would have sent.
      saveReport(loaded.config.reports, { ...reportJson(report), ...(staging ? { staging: true } : {}) }, options.logger);
      return eventOf(staging, report, started, managedAfterRun(statePath));
    } catch (err) {
      if (errorCode(err) === 'RUN_IN_PROGRESS') {
        options.logger.warn('another process is running a sync on this state database: this run is skipped', {
          error: errorMessage(err),
        });
        return 'skipped';
      }
      const stoppedByShutdown = signal.aborted && errorCode(err) === 'RUN_STOPPED';
      if (stoppedByShutdown)
        options.logger.info('run stopped for the shutdown; what was not sent stays in the journal', { kind });
      return eventOfError(err, kind, staging, started, managedAfterRun(statePath), stoppedByShutdown);
    }
  };
}
