import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { exportCsv } from '../../csv/export';
import { DirsyncError } from '../../errors/codes';
import { CSV_FORMATS, type CsvFormat, type IdentityType } from '../../csv/formats';
import { openStateDb } from '../../state/db';
import { SnapshotStore } from '../../state/snapshot';
import { load, type GlobalOptions } from '../context';
import { EXIT } from '../exit-codes';

/** `csv` is the product's built-in CSV format (the name the docs and issue use); the others name one variant. */
export const EXPORT_FORMATS = ['csv', ...CSV_FORMATS] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The product format a `--format` value writes. */
export function csvFormatOf(format: ExportFormat): CsvFormat {
  return format === 'csv' ? 'builtin' : format;
}

interface ExportOptions {
  readonly format: ExportFormat;
  readonly identityType?: IdentityType;
  readonly all?: boolean;
  readonly out?: string;
}

function identityType(value: string): IdentityType {
  const upper = value.toUpperCase();
  if (upper !== 'SAML' && upper !== 'OIDC') throw new InvalidArgumentError('must be SAML or OIDC');
  return upper;
}

export function registerExportCommand(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  program
    .command('export')
    .description("write the accounts dirsync manages as CSV, in one of the product's formats (never a password)")
    .addOption(
      new Option('--format <format>', 'csv (the built-in format), or a variant: builtin, adldap or saml')
        .choices(EXPORT_FORMATS)
        .default('csv'),
    )
    .option('--identity-type <type>', 'saml format: add the Identity Type column with SAML or OIDC', identityType)
    .option('--all', 'include inactive accounts (importing them as a source would reactivate them)')
    .option('--out <file>', 'write to FILE (mode 0600) instead of stdout')
    .action((options: ExportOptions) =>
      run(async () => {
        const format = csvFormatOf(options.format);
        if (options.identityType && format !== 'saml') {
          throw new DirsyncError('CONFIG_INVALID', '--identity-type goes with --format saml only');
        }
        const { config } = load(program.opts<GlobalOptions>());
        const db = openStateDb(config.state.path);
        let csv: string;
        try {
          csv = exportCsv(new SnapshotStore(db).all(), {
            format,
            ...(options.identityType ? { identityType: options.identityType } : {}),
            includeInactive: options.all === true,
          });
        } finally {
          db.close();
        }
        if (!options.out) {
          process.stdout.write(csv);
          return EXIT.ok;
        }
        const file = path.resolve(options.out);
        // Names and email addresses: readable by the owner only, like the run reports.
        writeFileSync(file, csv, { mode: 0o600 });
        chmodSync(file, 0o600);
        process.stderr.write(`wrote ${file} (${csv.split('\r\n').length - 2} account(s), ${format} format)\n`);
        return EXIT.ok;
      }),
    );
}
