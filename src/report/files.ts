import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DirsyncError } from '../errors/codes';
import { csvLine } from './csv';

/** The machine-readable run report (cli/report-view.ts reportJson) as written to disk. */
export interface ReportDocument {
  readonly runId: string;
  readonly operations?: readonly Record<string, unknown>[];
  readonly skipped?: readonly Record<string, unknown>[];
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

/** One row per operation, skipped user, unreadable scope and held change: what an admin filters on. */
export function reportCsv(doc: ReportDocument): string {
  const lines = [csvLine(CSV_HEADER)];
  for (const op of doc.operations ?? []) {
    const changes = Array.isArray(op.changes) ? (op.changes as { field: string }[]).map((c) => c.field).join(' ') : '';
    lines.push(
      csvLine([
        'operation',
        op.kind,
        op.userName,
        op.dn,
        op.status ?? 'planned',
        op.code ?? '',
        str(op.error || op.detail || changes || op.why || ''),
      ]),
    );
  }
  for (const s of doc.skipped ?? []) lines.push(csvLine(['skipped', '', '', s.dn, 'skipped', s.reason, s.message]));
  for (const p of doc.directory?.problems ?? [])
    lines.push(csvLine(['problem', '', '', p.scope, 'incomplete', 'DIRECTORY_SCOPE', p.reason]));
  for (const h of doc.held ?? []) lines.push(csvLine(['held', '', '', '', 'held', '', h]));
  const licenses = doc.licenses as LicenseSection | undefined;
  for (const f of licenses?.shortfalls ?? []) {
    lines.push(
      csvLine([
        'license',
        '',
        '',
        '',
        'short',
        'LICENSE_SEATS_SHORT',
        `license ${f.license}: ${f.short} seat(s) short; waiting: ${f.waiting.join(' ')}`,
      ]),
    );
  }
  for (const i of licenses?.incompatible ?? []) {
    lines.push(
      csvLine([
        'license',
        '',
        i.userName,
        i.dn,
        'not-assigned',
        'LICENSE_INCOMPATIBLE',
        `license ${i.license} is not allowed for user type ${i.userType}`,
      ]),
    );
  }
  for (const x of licenses?.extra ?? []) {
    lines.push(
      csvLine([
        'license',
        '',
        x.userName,
        '',
        x.removed ? 'removed' : 'reported',
        'LICENSE_EXTRA',
        `license ${x.license} not granted by any group`,
      ]),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

const RUN_ID = /^[0-9A-Za-z-]+$/;

export function reportPaths(dir: string, runId: string): { json: string; csv: string } {
  if (!RUN_ID.test(runId)) throw new DirsyncError('CONFIG_INVALID', `not a run id: ${runId}`);
  return { json: path.join(dir, `${runId}.json`), csv: path.join(dir, `${runId}.csv`) };
}

/** Writes <run>.json and <run>.csv, readable by the owner only (they name people and DNs). */
export function writeReport(dir: string, doc: ReportDocument): { json: string; csv: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const paths = reportPaths(dir, doc.runId);
  writeFileSync(paths.json, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  writeFileSync(paths.csv, reportCsv(doc), { mode: 0o600 });
  // mode applies only to new files; a rewritten one keeps the old bits otherwise.
  chmodSync(paths.json, 0o600);
  chmodSync(paths.csv, 0o600);
  return paths;
}

export function readReport(dir: string, runId: string): ReportDocument | undefined {
  const { json } = reportPaths(dir, runId);
  try {
    return JSON.parse(readFileSync(json, 'utf8')) as ReportDocument;
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
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  const cutoff = now.getTime() - keepDays * 86_400_000;
  for (const name of names) {
    if (!REPORT_FILE.test(name)) continue;
    const file = path.join(dir, name);
    try {
      const stat = statSync(file);
      if (!stat.isFile() || stat.mtimeMs >= cutoff) continue;
      unlinkSync(file);
      removed += 1;
    } catch {
      // Gone meanwhile (another process pruned it): nothing to do.
    }
  }
  return removed;
}
