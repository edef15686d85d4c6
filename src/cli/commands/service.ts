import path from 'node:path';
import type { Command } from 'commander';
import {
  defaultServiceDeps,
  installService,
  serviceStatus,
  uninstallService,
  type ServiceDeps,
  type ServiceOptions,
} from '../../service/manage';
import { execRunner } from '../../service/runner';
import { configPath, type GlobalOptions } from '../context';

interface ServiceCommandOptions {
  readonly user?: string;
  readonly dryRun?: boolean;
  readonly envFile?: string;
  readonly winsw?: string;
  readonly json?: boolean;
}

type Action = (options: ServiceOptions, deps: ServiceDeps) => Promise<number>;

/**
 * `dirsync service install|uninstall|status`: a systemd unit on Linux, a WinSW wrapper on
 * Windows. `deps` is swapped in tests so they never touch the real systemctl or /etc.
 */
export function registerServiceCommand(
  program: Command,
  run: (fn: () => Promise<number>) => Promise<void>,
  deps: ServiceDeps = {
    ...defaultServiceDeps(execRunner),
    out: (text) => process.stdout.write(text),
    note: (text) => process.stderr.write(`${text.endsWith('\n') ? text : `${text}\n`}`),
  },
): void {
  const service = program
    .command('service')
    .description('install dirsync as a system service (systemd on Linux, WinSW on Windows)');
  const action = (fn: Action) => (options: ServiceCommandOptions) =>
    run(() => {
      const configFile = path.resolve(configPath(program.opts<GlobalOptions>()));
      return fn({ ...options, configFile }, deps);
    });

  service
    .command('install')
    .description('write the service definition and enable and start the service (Linux: /etc/systemd/system/dirsync.service)')
    .option('--user <name>', 'account the service runs as (Linux default: dirsync; Windows default: LocalService)')
    .option('--dry-run', 'print the unit (or WinSW XML) and the steps, change nothing')
    .option('--env-file <file>', 'Linux: file with the secrets as KEY=value (default: dirsync.env next to the config)')
    .option('--winsw <exe>', 'Windows: the WinSW exe, renamed (default: dirsync-service.exe in the dirsync folder)')
    .action(action(installService));

  service
    .command('uninstall')
    .description('stop and disable the service and remove its definition; config, state and reports are kept')
    .option('--dry-run', 'print what would be done, change nothing')
    .option('--winsw <exe>', 'Windows: the WinSW exe')
    .action(action(uninstallService));

  service
    .command('status')
    .description('whether the service is installed, enabled and running')
    .option('--json', 'print as JSON')
    .option('--winsw <exe>', 'Windows: the WinSW exe')
    .action(action(serviceStatus));
}
