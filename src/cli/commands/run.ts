import type { Command } from 'commander';
import { runSync } from '../../sync/run-sync';
import { cliLogger, load, type GlobalOptions } from '../context';
import { EXIT } from '../exit-codes';
import { reportJson, reportText } from '../report-view';

interface RunCommandOptions {
  readonly json?: boolean;
}

async function execute(mode: 'plan' | 'sync', global: GlobalOptions, options: RunCommandOptions): Promise<number> {
  const loaded = load(global);
  const logger = cliLogger({ ...global, quiet: global.quiet || options.json }, loaded.config.logging.level);
  const report = await runSync(loaded, { mode, logger });
  if (options.json) process.stdout.write(`${JSON.stringify(reportJson(report), null, 2)}\n`);
  else process.stdout.write(`${reportText(report, process.stdout.columns ?? 100)}\n`);
  if (report.directory.problems.length > 0) return EXIT.directory;
  return report.outcome === 'success' ? EXIT.ok : EXIT.partial;
}

export function registerRunCommands(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  program
    .command('plan')
    .description('dry run: read the directory and show what a sync would change, without sending anything')
    .option('--json', 'print the plan as JSON')
    .action((options: RunCommandOptions) => run(() => execute('plan', program.opts<GlobalOptions>(), options)));

  program
    .command('sync')
    .description('read the directory and push the changes to the target')
    .option('--json', 'print the run report as JSON')
    .action((options: RunCommandOptions) => run(() => execute('sync', program.opts<GlobalOptions>(), options)));
}
