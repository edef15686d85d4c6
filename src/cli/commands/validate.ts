import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError, errorMessage } from '../../errors/codes';
import { configPath, load, type GlobalOptions } from '../context';
import { EXIT, exitCodeFor } from '../exit-codes';
import { jsonText } from '../format';

/** One problem of `validate --json`: the setting's path (`directory.groups[0].dn`), '' for the file as a whole. */
export interface ValidateError {
  readonly path: string;
  readonly message: string;
}

/** What `dirsync validate --json` prints; `errors` is empty when `ok`. */
export interface ValidateJson {
  readonly ok: boolean;
  readonly file: string;
  readonly errors: readonly ValidateError[];
}

/**
 * The problems of a ConfigError as path and message. Settings problems read "path: message"
 * (load.ts formatIssues, resolveSecret); a missing or unparsable file has no setting path.
 */
export function validateErrors(err: ConfigError): ValidateError[] {
  const perSetting = err.code === 'CONFIG_INVALID' || err.code === 'SECRET_UNRESOLVED';
  return err.problems.map((problem) => {
    const at = perSetting ? problem.indexOf(': ') : -1;
    if (at <= 0) return { path: '', message: problem };
    const where = problem.slice(0, at);
    return { path: where === '(top level)' ? '' : where, message: problem.slice(at + 2) };
  });
}

export function registerValidateCommand(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  program
    .command('validate')
    .description('check the config file and that its secret references resolve; contacts no server')
    .option('--json', 'print { ok, file, errors: [{ path, message }] } (exit codes unchanged)')
    .action((options: { json?: boolean }) =>
      run(async () => {
        const global = program.opts<GlobalOptions>();
        if (options.json) {
          let result: ValidateJson;
          let code: number = EXIT.ok;
          try {
            result = { ok: true, file: load(global).file, errors: [] };
          } catch (err) {
            if (!(err instanceof ConfigError)) throw err;
            const file = typeof err.details.file === 'string' ? err.details.file : path.resolve(configPath(global));
            result = { ok: false, file, errors: validateErrors(err) };
            code = exitCodeFor(err);
            // The one-line reason every non-zero exit has; stdout stays the JSON alone.
            process.stderr.write(`dirsync: error: ${errorMessage(err)}\n`);
          }
          process.stdout.write(jsonText(result));
          return code;
        }
        const { config, file } = load(global);
        const groups = config.directory?.groups.length ?? config.source?.csv.groups?.length ?? 0;
        process.stdout.write(`${file}: valid (${groups} mapped group${groups === 1 ? '' : 's'}, target ${config.target.url})\n`);
        return EXIT.ok;
      }),
    );
}
