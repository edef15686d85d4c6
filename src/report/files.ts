import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { DirsyncError } from '../errors/codes';
import { csvLine } from './csv';
import { pruneOldFiles } from '../files/prune-old-files';

/**
 * Items built one at a time, as they are written: a report's 100,000 operations are never all
 * held as report objects at once. JSON.stringify sees an array (toJSON).
 */
export class LazyList<T> implements Iterable<T> {
  readonly length: number;
  readonly #at: (index: number) => T;

  constructor(length: number, at: (index: number) => T) {
    this.length = length;
    this.#at = at;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.length; i += 1) yield this.#at(i);
  }

  toJSON(): T[] {
    return [...this];
  }
}

/** The machine-readable run report (cli/report-view.ts reportJson) as written to disk. */
export interface ReportDocument {
  readonly runId: string;
  readonly operations?: readonly Record<string, unknown>[] | LazyList<Record<string, unknown>>;
  readonly skipped?: readonly {
    readonly dn: string;
    readonly reason: string;
    readonly message: string;
    readonly externalId?: string;
  }[];
  readonly held?: readonly string[];
  readonly directory?: { readonly problems?: readonly { scope: string; reason: string }[] };
  readonly [key: string]: unknown;
}

/** The license part of a report (model/plan.ts LicenseReport), as read back from JSON. */
interface LicenseSection {
  readonly shortfalls?: readonly { license: string; short: number; waiting: readonly string[] }[];
  readonly incompatible?: readonly { license: string; userName: string; dn: string; userType: string }[];
  readonly extra?: readonly { license: string; userName: string; removed: boolean }[];
}

export const CSV_HEADER = ['record', 'action', 'userName', 'dn', 'status', 'code', 'detail'] as const;

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v);
}

/** The CSV report's lines, one at a time (a report of 100,000 operations is written as it goes). */
function* reportCsvLines(doc: ReportDocument): Generator<string> {
  yield csvLine(CSV_HEADER);
  for (const op of doc.operations ?? []) {
    const changes = Array.isArray(op.changes) ? (op.changes as { field: string }[]).map((c) => c.field).join(' ') : '';
    yield csvLine([
      'operation',
      op.kind,
      op.userName,
      op.dn,
      op.status ?? 'planned',
      op.code ?? '',
      str(op.error || op.detail || changes || op.why || ''),
    ]);
  }
  for (const s of doc.skipped ?? []) yield csvLine(['skipped', '', '', s.dn, 'skipped', s.reason, s.message]);
  for (const p of doc.directory?.problems ?? [])
    yield csvLine(['problem', '', '', p.scope, 'incomplete', 'DIRECTORY_SCOPE', p.reason]);
  for (const h of doc.held ?? []) yield csvLine(['held', '', '', '', 'held', '', h]);
  const licenses = doc.licenses as LicenseSection | undefined;
  for (const f of licenses?.shortfalls ?? []) {
    yield csvLine([
      'license',
      '',
      '',
      '',
      'short',
      'LICENSE_SEATS_SHORT',
      `license ${f.license}: ${f.short} seat(s) short; waiting: ${f.waiting.join(' ')}`,
    ]);
  }
  for (const i of licenses?.incompatible ?? []) {
    yield csvLine([
      'license',
      '',
      i.userName,
      i.dn,
      'not-assigned',
      'LICENSE_INCOMPATIBLE',
      `license ${i.license} is not allowed for user type ${i.userType}`,
    ]);
  }
  for (const x of licenses?.extra ?? []) {
    yield csvLine([
      'license',
      '',
      x.userName,
      '',
      x.removed ? 'removed' : 'reported',
      'LICENSE_EXTRA',
      `license ${x.license} not granted by any group`,
    ]);
  }
}

/** One row per operation, skipped user, unreadable scope and held change: what an admin filters on. */
export function reportCsv(doc: ReportDocument): string {
  return `${[...reportCsvLines(doc)].join('\r\n')}\r\n`;
}

const RUN_ID = /^[0-9A-Za-z-]+$/;

export function reportPaths(dir: string, runId: string): { json: string; csv: string } {
  if (!RUN_ID.test(runId)) throw new DirsyncError('CONFIG_INVALID', `not a run id: ${runId}`);
  return { json: path.join(dir, `${runId}.json`), csv: path.join(dir, `${runId}.csv`) };
}

/**
 * Characters joined into one string before they are handed on. (The old-generation garbage a
 * 100,000-operation report once left came from the operation objects' hidden classes, see
 * cli/report-view.ts, not from the size of these pieces: 8 KB, 64 KB and 1 MB measured alike.)
 */
const CHUNK_CHARS = 64 * 1024;

/** Text handed to `sink` in chunks of about 64 KB: a large report never exists as one string. */
class Chunked {
  readonly #sink: (text: string) => void;
  #parts: string[] = [];
  #size = 0;

  constructor(sink: (text: string) => void) {
    this.#sink = sink;
  }

  write(text: string): void {
    this.#parts.push(text);
    this.#size += text.length;
    if (this.#size >= CHUNK_CHARS) this.flush();
  }

  flush(): void {
    if (this.#parts.length > 0) this.#sink(this.#parts.join(''));
    this.#parts = [];
    this.#size = 0;
  }
}

/** A file written through Chunked, created readable by the owner only. */
class ChunkedFile extends Chunked {
  readonly #fd: number;

  constructor(file: string) {
    const fd = openSync(file, 'w', 0o600);
    super((text) => writeSync(fd, text));
    this.#fd = fd;
  }

  close(): void {
    try {
      this.flush();
    } finally {
      closeSync(this.#fd);
    }
  }
}

/** JSON.stringify(value, null, 2) of a member of a top-level object (indented by two more). */
const nested = (value: unknown, indent: string): string => JSON.stringify(value, null, 2).replace(/\n/g, `\n${indent}`);

/**
 * The same text as `JSON.stringify(doc, null, 2)`, written member by member and operation by
 * operation, so the report of a 100,000-user initial sync does not double the run's memory.
 */
function writeJson(out: Chunked, doc: ReportDocument): void {
  const keys = Object.keys(doc).filter((k) => doc[k] !== undefined && typeof doc[k] !== 'function');
  out.write('{');
  keys.forEach((key, i) => {
    out.write(`${i === 0 ? '' : ','}\n  ${JSON.stringify(key)}: `);
    const value = doc[key];
    if (key === 'operations' && (Array.isArray(value) || value instanceof LazyList) && value.length > 0) {
      out.write('[');
      let j = 0;
      for (const op of value as Iterable<unknown>) out.write(`${j++ === 0 ? '' : ','}\n    ${nested(op, '    ')}`);
      out.write('\n  ]');
    } else out.write(nested(value, '  '));
  });
  out.write(keys.length > 0 ? '\n}\n' : '}\n');
}

/**
 * The same text as `JSON.stringify(doc, null, 2)` and a newline, handed to `write` in chunks of
 * about 64 KB (`--json` on standard output).
 */
export function writeReportJson(write: (text: string) => void, doc: ReportDocument): void {
  const out = new Chunked(write);
  writeJson(out, doc);
  out.flush();
}

/** Writes <run>.json and <run>.csv, readable by the owner only (they name people and DNs). */
export function writeReport(dir: string, doc: ReportDocument): { json: string; csv: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const paths = reportPaths(dir, doc.runId);
  const json = new ChunkedFile(paths.json);
  try {
    writeJson(json, doc);
  } finally {
    json.close();
  }
  const csv = new ChunkedFile(paths.csv);
  try {
    for (const line of reportCsvLines(doc)) csv.write(`${line}\r\n`);
  } finally {
    csv.close();
  }
  // mode applies only to new files; a rewritten one keeps the old bits otherwise.
  chmodSync(paths.json, 0o600);
  chmodSync(paths.csv, 0o600);
  return paths;
}

/** A report read back from its file: plain JSON, its operations an array. */
export type StoredReport = ReportDocument & { readonly operations?: readonly Record<string, unknown>[] };

export function readReport(dir: string, runId: string): StoredReport | undefined {
  const { json } = reportPaths(dir, runId);
  try {
    return JSON.parse(readFileSync(json, 'utf8')) as StoredReport;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** `<run id>.json` / `.csv` as writeReport names them (run ids: state/runs.ts, `20260601T083000-9f8e7d6c`). */
const REPORT_FILE = /^\d{8}T\d{6}-[0-9A-Za-z]+\.(json|csv)$/;

/**
 * Deletes reports not written to for more than keepDays days (by modification time); returns how
 * many. Only files named like a run's report are candidates: `reports.dir` may be a folder the
 * admin also keeps other JSON or CSV files in, and those are never touched.
 */
export function pruneReports(dir: string, keepDays: number, now: Date = new Date()): number {
  return pruneOldFiles(dir, REPORT_FILE, keepDays, now);
}
