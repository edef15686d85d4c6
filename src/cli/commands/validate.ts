import type { Command } from 'commander';
import { load, type GlobalOptions } from '../context';
import { EXIT } from '../exit-codes';

export function registerValidateCommand(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  program
    .command('validate')
    .description('check the config file and that its secret references resolve; contacts no server')
    .action(() =>
      run(async () => {
        const global = program.opts<GlobalOptions>();
        const { config, file } = load(global);
        const groups = config.directory?.groups.length ?? config.source?.csv.groups?.length ?? 0;
        process.stdout.write(`${file}: valid (${groups} mapped group${groups === 1 ? '' : 's'}, target ${config.target.url})\n`);
        return EXIT.ok;
      }),
    );
}
