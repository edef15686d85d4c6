import type { LicenseReport, Operation } from '../model/plan';
import type { AccountAccess } from '../model/user-state';

/** Longest a column other than the last may grow before its values are cut with "…". */
const MAX_COLUMN = 40;

function cut(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

/** A plain aligned table; the last column takes what is left and is cut at `width`. */
export function table(headers: readonly string[], rawRows: readonly (readonly string[])[], width = 100): string {
  if (rawRows.length === 0) return '';
  const rows = rawRows.map((r) => r.map((c, i) => (i < r.length - 1 ? cut(c, MAX_COLUMN) : c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fixed = widths.slice(0, -1).reduce((a, b) => a + b + 2, 0);
  const lastMax = Math.max(20, width - fixed);
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => {
        if (i === cells.length - 1) return cut(c, lastMax);
        return c.padEnd(widths[i] ?? 0);
      })
      .join('  ')
      .trimEnd();
  return [line(headers), line(headers.map((h) => '-'.repeat(Math.min(h.length, 40)))), ...rows.map(line)].join('\n');
}

/** "+licenses A, B; -groups C": the access part of an operation, empty when there is none. */
export function describeAccess(grant: AccountAccess, revoke: AccountAccess): string {
  const parts: string[] = [];
  if (grant.licenses.length > 0) parts.push(`+licenses ${grant.licenses.join(', ')}`);
  if (revoke.licenses.length > 0) parts.push(`-licenses ${revoke.licenses.join(', ')}`);
  if (grant.targetGroups.length > 0) parts.push(`+groups ${grant.targetGroups.join(', ')}`);
  if (revoke.targetGroups.length > 0) parts.push(`-groups ${revoke.targetGroups.join(', ')}`);
  return parts.join('; ');
}

const NONE: AccountAccess = { licenses: [], targetGroups: [] };

export function describeOperation(op: Operation): string {
  switch (op.kind) {
    case 'create': {
      const access = describeAccess(op.desired, NONE);
      return `${op.desired.email}, role ${op.desired.role}, type ${op.desired.userType}${access ? `; ${access}` : ''}`;
    }
    case 'update':
    case 'reactivate': {
      const fields = op.changes.map((c) => `${c.field}: ${String(c.from)} -> ${String(c.to)}`);
      const access = describeAccess(op.grant, op.revoke);
      const parts = [...fields, ...(access ? [access] : [])];
      return parts.length === 0 ? 'active' : parts.join('; ');
    }
    case 'deactivate': {
      const why = op.why === 'disabled-in-directory' ? 'disabled in the directory' : 'no longer in a mapped group';
      const access = describeAccess(NONE, op.revoke);
      return access ? `${why}; ${access}` : why;
    }
    case 'revoke':
      return `${op.why === 'grace-period-over' ? 'inactive past the grace period' : 'access removed'}: ${describeAccess(NONE, op.revoke) || 'licenses no longer on the target'}`;
    case 'delete':
      return `inactive since ${op.previous.deactivatedAt ?? 'unknown'}: account deleted (licensing.deprovision.deleteAfterDays)`;
  }
}

/** The license lines of a plan or run: seat shortfalls first (what admins ask for), then the rest. */
export function describeLicenses(report: LicenseReport): string[] {
  const lines: string[] = [];
  for (const f of report.shortfalls) {
    const shown = f.waiting.slice(0, 10).join(', ');
    const more = f.waiting.length > 10 ? ` and ${f.waiting.length - 10} more` : '';
    lines.push(
      `license ${f.license}: ${f.short} seat(s) short (${f.wanted} users, ${f.seats} seat(s) free for them); waiting: ${shown}${more}`,
    );
  }
  for (const i of report.incompatible) {
    lines.push(`license ${i.license} not assigned to ${i.userName}: user type "${i.userType}" does not allow it (${i.dn})`);
  }
  for (const x of report.extra) {
    lines.push(
      `license ${x.license} on ${x.userName} was not granted by any group: ${x.removed ? 'removed (licensing.exclusive)' : 'left alone, reported'}`,
    );
  }
  for (const r of report.restored) lines.push(`license ${r.license} was removed from ${r.userName} on the target: granted again`);
  return lines;
}

/** "create 16, deactivate 1": only what is not zero. */
export function nonZeroCounts(counts: Readonly<Record<string, number>>, keys: readonly string[]): string {
  const parts = keys.filter((k) => (counts[k] ?? 0) > 0).map((k) => `${k} ${counts[k]}`);
  return parts.length > 0 ? parts.join(', ') : 'no changes';
}

/** What every `--json` prints on stdout: the value, indented, and a final newline. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
