#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError, errorMessage } from '../errors/codes';
import { registerApplyCommand } from './commands/apply';
import { registerDoctorCommand } from './commands/doctor';
import { registerDomainsCommand } from './commands/domains';
import { registerExportCommand } from './commands/export';
import { registerRunCommands } from './commands/run';
import { registerServiceCommand } from './commands/service';
import { registerStatusCommand } from './commands/status';
import { registerHistoryCommands } from './commands/history';
import { registerInitCommand } from './commands/init';
import { registerStartCommand } from './commands/start';
import { registerValidateCommand } from './commands/validate';
import { exitCodeFor } from './exit-codes';

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

export function buildProgram(): Command {
  const program = new Command('dirsync')
    .description('Sync users of directory groups (Active Directory, LDAP) to a SCIM 2.0 provisioning API')
    .option('-c, --config <file>', 'config file (default: $DIRSYNC_CONFIG or ./connector.yaml)')
    .option('-v, --verbose', 'debug logging')
    .option('-q, --quiet', 'errors only')
    .showHelpAfterError();
  registerInitCommand(program, run);
  registerValidateCommand(program, run);
  registerDoctorCommand(program, run);
  registerExportCommand(program, run);
  registerRunCommands(program, run);
  registerApplyCommand(program, run);
  registerStatusCommand(program, run);
  registerHistoryCommands(program, run);
  const report = program.commands.find((c) => c.name() === 'report');
  if (report) registerDomainsCommand(report, program, run);
  registerStartCommand(program, run);
  registerServiceCommand(program, run);
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`dirsync: error: ${errorMessage(err)}\n`);
      process.exitCode = 1;
    });
}
