import type { Operation } from '../model/plan';

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

export function describeOperation(op: Operation): string {
  switch (op.kind) {
    case 'create':
      return `${op.desired.email}, role ${op.desired.role}, type ${op.desired.userType}`;
    case 'update':
    case 'reactivate':
      return op.changes.length === 0
        ? 'active'
        : op.changes.map((c) => `${c.field}: ${String(c.from)} -> ${String(c.to)}`).join('; ');
    case 'deactivate':
      return op.why === 'disabled-in-directory' ? 'disabled in the directory' : 'no longer in a mapped group';
  }
}

/** "create 16, deactivate 1": only what is not zero. */
export function nonZeroCounts(counts: Readonly<Record<string, number>>, keys: readonly string[]): string {
  const parts = keys.filter((k) => (counts[k] ?? 0) > 0).map((k) => `${k} ${counts[k]}`);
  return parts.length > 0 ? parts.join(', ') : 'no changes';
}
