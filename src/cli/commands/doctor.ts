import type { Command } from 'commander';
import type { Check, CheckStatus } from '../../doctor/check';
import { runDoctor, type DoctorResult } from '../../doctor/run-doctor';
import { configPath, type GlobalOptions } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { colourEnabled, columnsOf, paint, wrap, type Colour } from '../tty';

const LABEL: Record<CheckStatus, [string, Colour]> = {
  pass: ['PASS', 'green'],
  warn: ['WARN', 'yellow'],
  fail: ['FAIL', 'red'],
  skip: ['SKIP', 'dim'],
};

const INDENT = '      ';

function checkLines(check: Check, width: number, colour: boolean): string[] {
  const [label, c] = LABEL[check.status];
  const [first, ...rest] = wrap(check.message, width - INDENT.length, '');
  const lines = [`${paint(label, c, colour)}  ${first ?? ''}`, ...rest.map((l) => `${INDENT}${l}`)];
  for (const d of check.details ?? []) lines.push(...wrap(`- ${d}`, width - INDENT.length, '  ').map((l) => `${INDENT}${l}`));
  if (check.fix) lines.push(...wrap(`fix: ${check.fix}`, width - INDENT.length, '     ').map((l) => `${INDENT}${l}`));
  return lines;
}

export function doctorText(result: DoctorResult, width: number, colour: boolean): string {
  const count = (s: CheckStatus): number => result.checks.filter((c) => c.status === s).length;
  const lines = result.checks.flatMap((c) => checkLines(c, width, colour));
  const summary = `${count('pass')} passed, ${count('warn')} warning(s), ${count('fail')} failed, ${count('skip')} not checked`;
  lines.push('', result.ok ? paint(`Ready: ${summary}.`, 'green', colour) : paint(`Not ready: ${summary}.`, 'red', colour));
  return lines.join('\n');
}

/** The area of the first failure decides the code, with the same meanings as a sync's. */
export function doctorExitCode(result: DoctorResult): ExitCode {
  const first = result.checks.find((c) => c.status === 'fail');
  if (!first) return EXIT.ok;
  if (first.area === 'config') return EXIT.config;
  if (first.area === 'directory') return EXIT.directory;
  return EXIT.target;
}

export function registerDoctorCommand(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  program
    .command('doctor')
    .description(
      'preflight checks: config, directory (reachable, TLS, bind, bases, groups), target (token, features), product preconditions',
    )
    .option('--json', 'print the checks as JSON')
    .action((options: { json?: boolean }) =>
      run(async () => {
        const result = await runDoctor(configPath(program.opts<GlobalOptions>()));
        if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else process.stdout.write(`${doctorText(result, columnsOf(process.stdout), colourEnabled(process.stdout))}\n`);
        return doctorExitCode(result);
      }),
    );
}
