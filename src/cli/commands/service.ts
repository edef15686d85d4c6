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
import { DirsyncError, errorMessage } from '../../errors/codes';
import { configPath, type GlobalOptions } from '../context';
import { exitCodeFor } from '../exit-codes';
import { jsonText } from '../format';

interface ServiceCommandOptions {
  readonly user?: string;
  readonly dryRun?: boolean;
  readonly envFile?: string;
  readonly winsw?: string;
  readonly json?: boolean;
}

type Action = (options: ServiceOptions, deps: ServiceDeps) => Promise<number>;

/** What `dirsync service install|uninstall --json` prints: what the command did, recorded as it did it. */
export interface ServiceActionJson {
  readonly ok: boolean;
  readonly action: 'install' | 'uninstall';
  readonly platform: NodeJS.Platform;
  readonly dryRun: boolean;
  readonly configFile: string;
  /** Files written: the systemd unit or the WinSW XML. */
  readonly written: readonly string[];
  /** Files removed: the unit on uninstall. */
  readonly removed: readonly string[];
  /** Writable folders (state, reports, logs) created for the service account. */
  readonly createdFolders: readonly string[];
  /** Every program run, in order, with its exit code (id, chown, systemctl ...). */
  readonly commands: readonly { readonly command: string; readonly exitCode: number }[];
  /** The service was enabled (systemctl enable --now succeeded); on Windows the printed steps do it. */
  readonly enabled: boolean;
  /** The service was disabled (systemctl disable --now succeeded). */
  readonly disabled: boolean;
  /** systemctl is-active after the install (active, activating, failed ...); null when not asked. */
  readonly active: string | null;
  /** The text output: the unit or XML in a dry run, else the summary or the steps to run (Windows). */
  readonly output: string;
  /** What the text mode writes on stderr: steps of a dry run, the secrets file to fill, warnings. */
  readonly notes: readonly string[];
  readonly error?: { readonly code: string; readonly message: string };
}

/**
 * Runs install or uninstall with deps that record what they are asked to do, then prints that
 * as JSON. On a service error the JSON still says what was done before it (ok false, error).
 */
export async function serviceActionJson(
  action: 'install' | 'uninstall',
  fn: Action,
  options: ServiceOptions,
  deps: ServiceDeps,
): Promise<number> {
  const written: string[] = [];
  const removed: string[] = [];
  const createdFolders: string[] = [];
  const commands: { command: string; exitCode: number; stdout: string }[] = [];
  const notes: string[] = [];
  let output = '';
  const recording: ServiceDeps = {
    ...deps,
    files: {
      ...deps.files,
      write: (file, text, mode) => {
        deps.files.write(file, text, mode);
        written.push(file);
      },
      remove: (file) => {
        deps.files.remove(file);
        removed.push(file);
      },
      mkdir: (dir) => {
        deps.files.mkdir(dir);
        createdFolders.push(dir);
      },
    },
    run: async (file, args) => {
      const result = await deps.run(file, args);
      commands.push({ command: [file, ...args].join(' '), exitCode: result.code, stdout: result.stdout });
      return result;
    },
    out: (text) => (output += text),
    note: (text) => notes.push(text.replace(/\n$/, '')),
  };
  let error: ServiceActionJson['error'];
  let code: number;
  try {
    code = await fn(options, recording);
  } catch (err) {
    if (!(err instanceof DirsyncError)) throw err;
    error = { code: err.code, message: err.message };
    code = exitCodeFor(err);
    deps.note(`dirsync: error: ${errorMessage(err)}`);
  }
  const succeeded = (prefix: string): boolean => commands.some((c) => c.command.startsWith(prefix) && c.exitCode === 0);
  const isActive = commands.filter((c) => c.command.startsWith('systemctl is-active ')).at(-1);
  const result: ServiceActionJson = {
    ok: error === undefined,
    action,
    platform: deps.platform,
    dryRun: options.dryRun === true,
    configFile: options.configFile,
    written,
    removed,
    createdFolders,
    commands: commands.map(({ command, exitCode }) => ({ command, exitCode })),
    enabled: succeeded('systemctl enable '),
    disabled: succeeded('systemctl disable '),
    active: isActive ? isActive.stdout.trim() || 'unknown' : null,
    output,
    notes,
    ...(error ? { error } : {}),
  };
  deps.out(jsonText(result));
  return code;
}

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
  const action = (fn: Action, name?: 'install' | 'uninstall') => (options: ServiceCommandOptions) =>
    run(() => {
      const configFile = path.resolve(configPath(program.opts<GlobalOptions>()));
      if (name && options.json) return serviceActionJson(name, fn, { ...options, configFile }, deps);
      return fn({ ...options, configFile }, deps);
    });

  service
    .command('install')
    .description('write the service definition and enable and start the service (Linux: /etc/systemd/system/dirsync.service)')
    .option('--user <name>', 'account the service runs as (Linux default: dirsync; Windows default: LocalService)')
    .option('--dry-run', 'print the unit (or WinSW XML) and the steps, change nothing')
    .option('--env-file <file>', 'Linux: file with the secrets as KEY=value (default: dirsync.env next to the config)')
    .option('--winsw <exe>', 'Windows: the WinSW exe, renamed (default: dirsync-service.exe in the dirsync folder)')
    .option('--json', 'print what was written, created, run and enabled as JSON')
    .action(action(installService, 'install'));

  service
    .command('uninstall')
    .description('stop and disable the service and remove its definition; config, state and reports are kept')
    .option('--dry-run', 'print what would be done, change nothing')
    .option('--winsw <exe>', 'Windows: the WinSW exe')
    .option('--json', 'print what was removed and run as JSON')
    .action(action(uninstallService, 'uninstall'));

  service
    .command('status')
    .description('whether the service is installed, enabled and running')
    .option('--json', 'print as JSON')
    .option('--winsw <exe>', 'Windows: the WinSW exe')
    .action(action(serviceStatus));
}
