import type { Command } from 'commander';
import { readReport, reportCsv, reportPaths } from '../../report/files';
import { openStateDb } from '../../state/db';
import { RunStore } from '../../state/runs';
import { load, type GlobalOptions } from '../context';
import { EXIT } from '../exit-codes';
import { nonZeroCounts, table } from '../format';
import { DirsyncError } from '../../errors/codes';

interface HistoryOptions {
  readonly json?: boolean;
  readonly limit: string;
}

interface ReportOptions {
  readonly json?: boolean;
  readonly csv?: boolean;
}

export function registerHistoryCommands(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  program
    .command('history')
    .description('list past runs with their outcome, duration and changes')
    .option('--json', 'print as JSON')
    .option('-n, --limit <n>', 'how many runs', '50')
    .action((options: HistoryOptions) =>
      run(async () => {
        const { config } = load(program.opts<GlobalOptions>());
        const db = openStateDb(config.state.path);
        try {
          const runs = new RunStore(db).recent(Math.max(1, Number.parseInt(options.limit, 10) || 50));
          if (options.json) {
            process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
            return EXIT.ok;
          }
          if (runs.length === 0) {
            process.stdout.write('No runs yet.\n');
            return EXIT.ok;
          }
          const rows = runs.map((r) => {
            const seconds = r.finishedAt ? ((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1) : '-';
            return [
              r.id,
              r.mode,
              r.outcome,
              r.startedAt.replace('T', ' ').replace(/\..*$/, ''),
              `${seconds}s`,
              r.message ??
                nonZeroCounts(r.counts, ['create', 'update', 'reactivate', 'deactivate', 'failed', 'skipped', 'guardStopped']),
            ];
          });
          process.stdout.write(
            `${table(['RUN', 'MODE', 'OUTCOME', 'STARTED (UTC)', 'TOOK', 'CHANGES'], rows, process.stdout.columns ?? 100)}\n`,
          );
          return EXIT.ok;
        } finally {
          db.close();
        }
      }),
    );

  program
    .command('report <run>')
    .description('print the report of one run (from the reports folder): every operation, skipped user and held change')
    .option('--json', 'the JSON report')
    .option('--csv', 'the CSV report')
    .action((runId: string, options: ReportOptions) =>
      run(async () => {
        const { config } = load(program.opts<GlobalOptions>());
        const doc = readReport(config.reports.dir, runId);
        if (!doc) {
          throw new DirsyncError(
            'CONFIG_NOT_FOUND',
            `no report for run ${runId} in ${config.reports.dir} (see dirsync history; reports older than reports.keepDays are deleted)`,
          );
        }
        if (options.json) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
        else if (options.csv) process.stdout.write(reportCsv(doc));
        else {
          const ops = (doc.operations ?? []).map((o) => [
            String(o.kind),
            String(o.userName),
            String(o.status ?? 'planned'),
            String(o.error ?? o.code ?? ''),
          ]);
          const lines = [
            `Run ${doc.runId} (${String(doc.mode)}, ${String(doc.outcome)}) — ${reportPaths(config.reports.dir, runId).json}`,
          ];
          if (ops.length > 0)
            lines.push('', table(['ACTION', 'USERNAME', 'RESULT', 'DETAILS'], ops, process.stdout.columns ?? 100));
          for (const s of doc.skipped ?? []) lines.push(`  skipped ${String(s.dn)}: ${String(s.reason)} ${String(s.message)}`);
          for (const p of doc.directory?.problems ?? []) lines.push(`  not read completely: ${p.scope}: ${p.reason}`);
          for (const h of doc.held ?? []) lines.push(`  held: ${h}`);
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        return EXIT.ok;
      }),
    );
}
