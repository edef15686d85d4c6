import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { freezePlan } from '../../plan/frozen';
import type { Approval } from '../../plan/guard';
import { createLogger } from '../../log/logger';
import { runSync } from '../../sync/run-sync';
import { cliLogger, load, type GlobalOptions } from '../context';
import { EXIT } from '../exit-codes';
import { writePlanFile } from '../plan-file';
import { progressFor } from '../progress';
import { colourEnabled } from '../tty';
import { outputWidth } from '../tty';
import { reportJson, reportText, saveReport } from '../report-view';
import { writeReportJson } from '../../report/files';
import { registerExplainCommand } from './explain';

interface RunCommandOptions {
  readonly json?: boolean;
  /** sync: true, or the most deactivations the admin approves. */
  readonly approve?: true | number;
  /** plan: where to write the frozen plan. */
  readonly out?: string;
  /** Read only what changed since the last complete sync. */
  readonly delta?: boolean;
}

function approveCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number of deactivations');
  return Number.parseInt(value, 10);
}

function approvalOf(options: RunCommandOptions): Approval {
  if (options.approve === undefined) return { kind: 'none' };
  return options.approve === true ? { kind: 'flag' } : { kind: 'flag', max: options.approve };
}

async function execute(mode: 'plan' | 'sync', global: GlobalOptions, options: RunCommandOptions): Promise<number> {
  const loaded = load(global);
  const progress = progressFor(process.stderr, options.json === true, colourEnabled(process.stderr));
  const logger =
    progress && !global.verbose && !global.quiet
      ? // The progress lines say what the info lines would; warnings (skipped users) still show.
        createLogger({
          level: loaded.config.logging.level,
          silent: false,
          file: loaded.config.logging.file,
          consoleLevel: 'warn',
        })
      : cliLogger({ ...global, quiet: global.quiet || options.json }, loaded.config.logging.level, loaded.config.logging.file);
  const report = await runSync(loaded, {
    mode,
    logger,
    approval: approvalOf(options),
    delta: options.delta ?? false,
    // Only a frozen plan needs the whole snapshot's fingerprint; a delta then reads less.
    fingerprint: mode === 'plan' && options.out !== undefined,
    ...(progress ? { progress } : {}),
  });
  const doc = reportJson(report);
  saveReport(loaded.config.reports, doc, logger);
  let planFile: string | undefined;
  if (mode === 'plan' && options.out) {
    planFile = path.resolve(options.out);
    writePlanFile(
      planFile,
      freezePlan({
        operations: report.plan.operations,
        snapshot: report.snapshot,
        target: loaded.config.target.url,
        planRunId: report.runId,
        createdAt: new Date(),
        guardExceeded: report.guard.checks.filter((c) => c.exceeded).map((c) => c.message),
      }),
    );
  }
  // Written in chunks: a 100,000-operation report is never one string.
  if (options.json) writeReportJson((text) => process.stdout.write(text), { ...doc, ...(planFile ? { planFile } : {}) });
  else process.stdout.write(`${reportText(report, outputWidth())}\n`);
  if (planFile && !options.json) {
    process.stdout.write(
      `\nPlan written to ${planFile} (${report.plan.operations.length} operations). To send exactly this: dirsync apply ${planFile}\n`,
    );
  }
  if (mode === 'sync' && report.guard.stopped.length > 0) return EXIT.guardStopped;
  if (report.directory.problems.length > 0) return EXIT.directory;
  return report.outcome === 'success' ? EXIT.ok : EXIT.partial;
}

export function registerRunCommands(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  registerExplainCommand(program, run);
  program
    .command('plan')
    .description('dry run: read the directory and show what a sync would change, without sending anything')
    .option('--json', 'print the plan as JSON')
    .option('--out <file>', 'also write the exact operations to FILE, for `dirsync apply FILE`')
    .option('--delta', 'read only what changed since the last complete sync (a full read when there is none)')
    .action((options: RunCommandOptions) => run(() => execute('plan', program.opts<GlobalOptions>(), options)));

  program
    .command('sync')
    .description('read the directory and push the changes to the target')
    .option('--json', 'print the run report as JSON')
    .option('--delta', 'read only what changed since the last complete sync (a full read when there is none)')
    .option(
      '--approve [count]',
      'release the mass-change guard for this run (at most COUNT deactivations, when given)',
      approveCount,
    )
    .action((options: RunCommandOptions) => run(() => execute('sync', program.opts<GlobalOptions>(), options)));
}
