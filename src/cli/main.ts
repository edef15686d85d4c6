#!/usr/bin/env node
import './compile-cache';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { ConfigError, errorMessage } from '../errors/codes';
import { EXIT, exitCodeFor } from './exit-codes';

type Runner = (fn: () => Promise<number>) => Promise<void>;
/** A command module, loaded only when its command runs (see MODULES). */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy loading is the point
const load = (module: string): unknown => require(module);
type Register = (program: Command, run: Runner) => void;

/** Runs a command body and turns any error into a one-line reason and a documented exit code. */
async function run(fn: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await fn();
  } catch (err) {
    const lines = err instanceof ConfigError && err.problems.length > 1 ? ['', ...err.problems.map((p) => `  - ${p}`)] : [];
    const head =
      err instanceof ConfigError && lines.length > 0
        ? `${err.details.file ?? 'config'}: invalid configuration:`
        : errorMessage(err);
    process.stderr.write(`dirsync: error: ${head}${lines.join('\n')}\n`);
    process.exitCode = exitCodeFor(err);
  }
}

/**
 * Each command module, loaded when asked for: a sync does not load the daemon, the doctor, the
 * mailer or the metrics (and their packages), which took a fifth of a small run's time. In the
 * order `dirsync --help` lists them.
 */
const MODULES: readonly { readonly commands: readonly string[]; readonly load: () => Register }[] = [
  { commands: ['init'], load: () => (load('./commands/init') as typeof import('./commands/init')).registerInitCommand },
  {
    commands: ['validate'],
    load: () => (load('./commands/validate') as typeof import('./commands/validate')).registerValidateCommand,
  },
  { commands: ['doctor'], load: () => (load('./commands/doctor') as typeof import('./commands/doctor')).registerDoctorCommand },
  { commands: ['export'], load: () => (load('./commands/export') as typeof import('./commands/export')).registerExportCommand },
  {
    commands: ['explain', 'plan', 'sync'],
    load: () => (load('./commands/run') as typeof import('./commands/run')).registerRunCommands,
  },
  { commands: ['apply'], load: () => (load('./commands/apply') as typeof import('./commands/apply')).registerApplyCommand },
  { commands: ['status'], load: () => (load('./commands/status') as typeof import('./commands/status')).registerStatusCommand },
  {
    commands: ['history', 'report'],
    load: () => {
      const { registerHistoryCommands } = load('./commands/history') as typeof import('./commands/history');
      const { registerDomainsCommand } = load('./commands/domains') as typeof import('./commands/domains');
      return (program, run) => {
        registerHistoryCommands(program, run);
        const report = program.commands.find((c) => c.name() === 'report');
        if (report) registerDomainsCommand(report, program, run);
      };
    },
  },
  { commands: ['start'], load: () => (load('./commands/start') as typeof import('./commands/start')).registerStartCommand },
  {
    commands: ['service'],
    load: () => (load('./commands/service') as typeof import('./commands/service')).registerServiceCommand,
  },
];

/**
 * The command an argument list runs, when it can be told without commander: the first word
 * after the global options. Undefined for anything else (help, an unknown or combined flag, no
 * command), and then every command is registered, so help and suggestions stay complete.
 */
export function commandOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (arg === '-c' || arg === '--config') i += 1;
    else if (arg.startsWith('--config=') || ['-v', '--verbose', '-q', '--quiet'].includes(arg)) continue;
    else return arg.startsWith('-') ? undefined : arg;
  }
  return undefined;
}

/** dirsync's version, from its package.json (above src/cli, or above dist/src/cli). */
function packageVersion(): string {
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'dirsync' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here: look one folder up
    }
  }
  return 'unknown';
}

/**
 * Usage errors (unknown command or option, a value outside an option's choices, a missing
 * argument) exit 2, like any other configuration error, with the one-line reason commander gives
 * (it names the option) and where to look, instead of commander's exit 1 (which the README
 * reserves for internal errors) and its whole usage block. `--help` and `--version` exit 0.
 * Set before the commands are registered: each command copies these settings from the program.
 */
function usageErrors(program: Command, help: string): void {
  program
    .showHelpAfterError(false)
    .configureOutput({
      outputError: (message, write) => write(`dirsync: ${message.trim().replace(/\s*\n\s*/g, ' ')} (see ${help})\n`),
    })
    .exitOverride((err) => {
      throw err.exitCode === 0 ? err : new CommanderError(EXIT.config, err.code, err.message);
    });
}

/**
 * The CLI. `command`: register only the module of that command (what a run from the shell
 * does, see commandOf); without it, or for a name no module has, every command.
 */
export function buildProgram(command?: string): Command {
  const program = new Command('dirsync')
    .description('Sync users of directory groups (Active Directory, LDAP) to a SCIM 2.0 provisioning API')
    .option('-c, --config <file>', 'config file (default: $DIRSYNC_CONFIG or ./connector.yaml)')
    .option('-v, --verbose', 'debug logging')
    .option('-q, --quiet', 'errors only')
    .version(packageVersion(), '-V, --version', 'print the version');
  const only = MODULES.find((m) => command !== undefined && m.commands.includes(command));
  usageErrors(program, only ? `dirsync ${command} --help` : 'dirsync --help');
  for (const m of only ? [only] : MODULES) m.load()(program, run);
  return program;
}

if (require.main === module) {
  buildProgram(commandOf(process.argv.slice(2)))
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      // Commander already printed its one line (or the help, or the version): see usageErrors.
      if (err instanceof CommanderError) {
        process.exitCode = err.exitCode;
        return;
      }
      process.stderr.write(`dirsync: error: ${errorMessage(err)}\n`);
      process.exitCode = 1;
    });
}
