import { readFileSync } from 'node:fs';
import type { CsvSourceConfig, RulesConfig } from '../config/schema';
import { DirectoryError, errorMessage } from '../errors/codes';
import { describeRowErrors, parseCsvSource, type CsvSourceResult } from './source';

export type CsvSourceRead = Extract<CsvSourceResult, { ok: true }>;

/** Reads and checks the CSV source; throws naming every bad row, so nothing is pushed from a bad file. */
export function readCsvSource(csv: CsvSourceConfig, rules: RulesConfig): CsvSourceRead {
  let text: string;
  try {
    text = readFileSync(csv.file, 'utf8');
  } catch (err) {
    throw new DirectoryError('DIRECTORY_CSV_INVALID', `cannot read source.csv.file ${csv.file}: ${errorMessage(err)}`, {
      file: csv.file,
    });
  }
  const result = parseCsvSource(text, { ...csv, username: rules });
  if (!result.ok) {
    const lines = describeRowErrors(result.errors);
    throw new DirectoryError(
      'DIRECTORY_CSV_INVALID',
      `${csv.file}: ${result.errors.length} bad row(s) of ${result.rows}, nothing was sent; fix or remove them:\n  ${lines.join('\n  ')}`,
      { file: csv.file, rows: lines },
    );
  }
  return result;
}
