import path from 'node:path';
import type { Command } from 'commander';
import { applyFrozenPlan } from '../../sync/run-frozen';
import { cliLogger, load, type GlobalOptions } from '../context';
import { EXIT } from '../exit-codes';
import { readPlanFile } from '../plan-file';
import { outputWidth } from '../tty';
import { reportJson, reportText } from '../report-view';
import { writeReportJson } from '../../report/files';

interface ApplyOptions {
  readonly json?: boolean;
}

export function registerApplyCommand(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  program
    .command('apply')
    .description('send exactly the operations of a plan written by `dirsync plan --out` (approves its deactivations)')
    .argument('<plan-file>', 'the frozen plan')
    .option('--json', 'print the run report as JSON')
    .action((file: string, options: ApplyOptions) =>
      run(async () => {
        const global = program.opts<GlobalOptions>();
        const loaded = load(global);
        const logger = cliLogger(
          { ...global, quiet: global.quiet || options.json },
          loaded.config.logging.level,
          loaded.config.logging.file,
        );
        const planFile = path.resolve(file);
        const frozen = readPlanFile(planFile);
        const report = await applyFrozenPlan(loaded, frozen, { logger, file: planFile });
        if (options.json) {
          writeReportJson((text) => process.stdout.write(text), {
            ...reportJson(report),
            planFile,
            planCreatedAt: frozen.createdAt,
          });
        } else {
          process.stdout.write(`Applying ${planFile} (planned ${frozen.createdAt}):\n\n${reportText(report, outputWidth())}\n`);
        }
        return report.outcome === 'success' ? EXIT.ok : EXIT.partial;
      }),
    );
}
