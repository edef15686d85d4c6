import { loadConfig } from '../config/load';
import { errorCode, errorMessage } from '../errors/codes';
import type { Logger } from '../log/logger';
import { reportJson, saveReport } from '../cli/report-view';
import { runSync, type SyncReport } from '../sync/run-sync';
import type { RunEvent } from './events';
import type { RunCycle } from './daemon';

export interface CycleOptions {
  readonly configFile: string;
  readonly logger: Logger;
  /** Overrides daemon.staging from the config (the --staging flag). */
  readonly staging?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

function eventOf(staging: boolean, report: SyncReport, started: Date): RunEvent {
  const finished = new Date();
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
    usersManaged: report.snapshot.users,
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
    try {
      const loaded = loadConfig(options.configFile, options.env);
      staging = options.staging ?? loaded.config.daemon.staging;
      const report = await runSync(loaded, {
        mode: staging ? 'plan' : 'sync',
        logger: options.logger,
        delta: kind === 'delta' && !staging,
        fingerprint: false,
        signal,
      });
      saveReport(loaded.config.reports, reportJson(report), options.logger);
      return eventOf(staging, report, started);
    } catch (err) {
      if (errorCode(err) === 'RUN_IN_PROGRESS') {
        options.logger.warn('another process is running a sync on this state database: this run is skipped', {
          error: errorMessage(err),
        });
        return 'skipped';
      }
      const finished = new Date();
      const runId = (err as { runId?: unknown }).runId;
      return {
        runId: typeof runId === 'string' ? runId : `failed-${started.getTime()}`,
        kind,
        staging,
        outcome: 'failed',
        startedAt: started.toISOString(),
        finishedAt: finished.toISOString(),
        durationMs: finished.getTime() - started.getTime(),
        counts: {},
        guardStops: 0,
        licenseShortfalls: 0,
        directoryProblems: [],
        apiRetries: 0,
        usersManaged: 0,
        error: `${errorCode(err)}: ${errorMessage(err)}`,
      };
    }
  };
}
