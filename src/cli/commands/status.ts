import type { Command } from 'commander';
import { openStateDb } from '../../state/db';
import { RunStore } from '../../state/runs';
import { SnapshotStore } from '../../state/snapshot';
import { load, type GlobalOptions } from '../context';
import { EXIT } from '../exit-codes';
import { nonZeroCounts, table } from '../format';

interface StatusOptions {
  readonly json?: boolean;
  readonly limit: string;
}

export function registerStatusCommand(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  program
    .command('status')
    .description('show the last runs and how many users are managed')
    .option('--json', 'print as JSON')
    .option('-n, --limit <n>', 'how many runs to show', '10')
    .action((options: StatusOptions) =>
      run(async () => {
        const { config } = load(program.opts<GlobalOptions>());
        const db = openStateDb(config.state.path);
        try {
          const limit = Math.max(1, Number.parseInt(options.limit, 10) || 10);
          const runs = new RunStore(db).recent(limit);
          const snapshot = new SnapshotStore(db).all();
          const managed = { total: snapshot.length, active: snapshot.filter((u) => u.active).length };
          if (options.json) {
            process.stdout.write(`${JSON.stringify({ managed, runs }, null, 2)}\n`);
            return EXIT.ok;
          }
          process.stdout.write(
            `Managed users: ${managed.total} (${managed.active} active, ${managed.total - managed.active} inactive)\n`,
          );
          if (runs.length === 0) {
            process.stdout.write('No runs yet.\n');
            return EXIT.ok;
          }
          const rows = runs.map((r) => [
            r.id,
            r.mode,
            r.outcome,
            r.startedAt.replace('T', ' ').replace(/\..*$/, ''),
            r.message ?? nonZeroCounts(r.counts, ['create', 'update', 'reactivate', 'deactivate', 'failed', 'skipped']),
          ]);
          process.stdout.write(
            `\n${table(['RUN', 'MODE', 'OUTCOME', 'STARTED (UTC)', 'CHANGES'], rows, process.stdout.columns ?? 100)}\n`,
          );
          return EXIT.ok;
        } finally {
          db.close();
        }
      }),
    );
}
