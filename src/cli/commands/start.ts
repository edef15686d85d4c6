import path from 'node:path';
import type { Command } from 'commander';
import { Daemon } from '../../daemon/daemon';
import { makeRunCycle } from '../../daemon/cycle';
import { nodeCron, validateCron } from '../../daemon/cron';
import type { LastRun } from '../../daemon/health';
import { buildObservers } from '../../daemon/observers';
import { RunStore } from '../../state/runs';
import { openStateDb } from '../../state/db';
import { ScopeStore } from '../../state/scope';
import { configPath, load, type GlobalOptions } from '../context';
import { createLogger } from '../../log/logger';
import { EXIT, exitCodeOf } from '../exit-codes';

interface StartOptions {
  readonly once?: boolean;
  readonly full?: boolean;
  readonly staging?: boolean;
}

/** The newest finished run, so /healthz does not say "starting" after every restart. */
function lastFinishedRun(stateDb: string): LastRun | undefined {
  const db = openStateDb(stateDb);
  try {
    const last = new RunStore(db).recent(20).find((r) => r.finishedAt && r.outcome !== 'running' && r.outcome !== 'interrupted');
    if (!last?.finishedAt) return undefined;
    const outcome = last.outcome === 'success' ? 'success' : last.outcome === 'failed' ? 'failed' : 'partial';
    return { id: last.id, outcome, finishedAt: last.finishedAt };
  } finally {
    db.close();
  }
}

export function registerStartCommand(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  program
    .command('start')
    .description('run as a daemon: delta syncs on daemon.schedule, full syncs on daemon.fullSchedule, until stopped')
    .option('--once', 'run one cycle (a delta, or a full sync when due) and exit with its result')
    .option('--full', 'with --once: a full sync')
    .option('--staging', 'standby mode: read and plan on schedule, never send changes')
    .action((options: StartOptions) =>
      run(async () => {
        const global = program.opts<GlobalOptions>();
        const file = path.resolve(configPath(global));
        const loaded = load(global);
        const { daemon: settings, logging } = loaded.config;
        validateCron(settings.schedule, 'daemon.schedule');
        validateCron(settings.fullSchedule, 'daemon.fullSchedule');
        const logger = createLogger({ level: global.verbose ? 'debug' : logging.level, file: logging.file });
        const needsFull = (): boolean => {
          const db = openStateDb(loaded.config.state.path);
          try {
            return new ScopeStore(db).mark() === undefined;
          } finally {
            db.close();
          }
        };
        const lastRun = lastFinishedRun(loaded.config.state.path);
        const { observers, close } = await buildObservers(loaded, { logger, ...(lastRun ? { lastRun } : {}) });
        const daemon = new Daemon({
          cron: nodeCron,
          schedule: settings.schedule,
          fullSchedule: settings.fullSchedule,
          timezone: settings.timezone,
          runCycle: makeRunCycle({ configFile: file, logger, ...(options.staging ? { staging: true } : {}) }),
          needsFull,
          observers,
          logger,
        });
        if (options.once) {
          const result = await daemon.tick(options.full ? 'full' : 'delta');
          await close();
          if (typeof result === 'string') return result === 'skipped' ? EXIT.ok : EXIT.internal;
          // The same codes as `dirsync sync` (README, exit codes).
          if (result.outcome === 'failed') return exitCodeOf(result.errorCode ?? '');
          if (result.guardStops > 0 && !result.staging) return EXIT.guardStopped;
          if (result.directoryProblems.length > 0) return EXIT.directory;
          return result.outcome === 'success' ? EXIT.ok : EXIT.partial;
        }
        daemon.start();
        await new Promise<void>((resolve) => {
          const shutdown = (signal: string): void => {
            logger.info('signal received', { signal });
            void daemon.stop().then(resolve);
          };
          process.once('SIGTERM', () => shutdown('SIGTERM'));
          process.once('SIGINT', () => shutdown('SIGINT'));
        });
        await close();
        return EXIT.ok;
      }),
    );
}
