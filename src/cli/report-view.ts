import type { Logger } from '../log/logger';
import { LazyList, pruneReports, writeReport, type ReportDocument } from '../report/files';
import type { Operation } from '../model/plan';
import type { SyncReport } from '../sync/run-sync';
import { describeLicenses, describeOperation, table } from './format';
import { fitLine } from './tty';

/** A sync or plan report, or a frozen plan's apply (which reads no directory). */
export type RunReport = Omit<SyncReport, 'directory'> & { readonly directory?: SyncReport['directory'] };

/** Sync and apply send; plan only shows. */
function sends(report: RunReport): boolean {
  return report.mode !== 'plan';
}

/**
 * An operation as the report shows it. Built key by key: V8 gives every object made by a
 * spread followed by new keys a hidden class of its own, which at 100,000 operations filled the
 * old generation faster than the report could be written.
 */
function operationJson(op: Operation): Record<string, unknown> {
  const json: Record<string, unknown> = {
    kind: op.kind,
    externalId: op.externalId,
    userName: op.userName,
    dn: op.dn,
    detail: describeOperation(op),
  };
  switch (op.kind) {
    case 'create':
      json['email'] = op.desired.email;
      json['role'] = op.desired.role;
      json['userType'] = op.desired.userType;
      json['licenses'] = op.desired.licenses;
      json['targetGroups'] = op.desired.targetGroups;
      break;
    case 'update':
    case 'reactivate':
      json['targetId'] = op.targetId;
      json['changes'] = op.changes;
      json['grant'] = op.grant;
      json['revoke'] = op.revoke;
      break;
    case 'deactivate':
    case 'revoke':
      json['targetId'] = op.targetId;
      json['why'] = op.why;
      json['revoke'] = op.revoke;
      break;
    case 'delete':
      json['targetId'] = op.targetId;
      json['deactivatedAt'] = op.previous.deactivatedAt;
      break;
  }
  return json;
}

/** The machine-readable form of a run, stable for scripts. */
export function reportJson(report: RunReport): ReportDocument {
  const outcomes = new Map(report.results.map((r) => [r.operation, r.outcome]));
  const stopped = new Set(report.guard.stopped);
  return {
    runId: report.runId,
    mode: report.mode,
    outcome: report.outcome,
    counts: report.counts,
    directory: report.directory,
    // Each built as it is written (report/files.ts LazyList), not 100,000 at once.
    operations: new LazyList(report.plan.operations.length, (i) => {
      const op = report.plan.operations[i] as Operation;
      const json = operationJson(op);
      const outcome = outcomes.get(op);
      if (outcome) {
        json['status'] = outcome.status;
        if (outcome.status === 'done') {
          json['targetId'] = outcome.targetId;
          if (outcome.warnings) json['warnings'] = outcome.warnings;
          if (stopped.has(op)) json['note'] = 'license revocations held by the guard';
        } else if (outcome.status === 'failed') {
          json['error'] = outcome.error;
          json['code'] = outcome.code;
        } else json['error'] = outcome.message;
      } else if (stopped.has(op)) json['status'] = sends(report) ? 'stopped-by-guard' : 'would-be-stopped-by-guard';
      return json;
    }),
    skipped: report.skipped,
    held: report.plan.held,
    licenses: report.plan.licenses,
    licenseProblems: report.licenseProblems,
    guard: report.guard.checks,
    resumed: report.resumed,
    snapshot: report.snapshot,
  };
}

/** A terminal lists this many operations that went well; the report files list them all. */
export const LISTED_OPERATIONS = 200;
/** ...and up to this many that need attention (failed, consolidation, stopped, not done). */
export const LISTED_ATTENTION = 2000;

/** The operations a text report lists, in plan order: those needing attention first in the quota. */
export function listedOperations<T>(operations: readonly T[], needsAttention: (op: T) => boolean): readonly T[] {
  if (operations.length <= LISTED_OPERATIONS) return operations;
  let plain = 0;
  let attention = 0;
  return operations.filter((op) =>
    needsAttention(op) ? (attention += 1) <= LISTED_ATTENTION : (plain += 1) <= LISTED_OPERATIONS,
  );
}

export function reportText(report: RunReport, width: number): string {
  const parts: string[] = [];
  const outcomes = new Map(report.results.map((r) => [r.operation, r.outcome]));
  const stopped = new Set(report.guard.stopped);
  const r = report.resumed;
  if (r.operations > 0) {
    parts.push(
      `Resumed first: ${r.operations} unfinished operation(s) of interrupted run(s) ${r.runs.join(', ') || '(earlier runs)'}: ` +
        `${r.done} done, ${r.failed} failed, ${r.consolidation} need consolidation.`,
      '',
    );
  }
  const all = report.plan.operations;
  if (all.length > 0) {
    const ops = listedOperations(all, (op) => {
      const outcome = outcomes.get(op);
      return stopped.has(op) || (outcome !== undefined && (outcome.status !== 'done' || outcome.warnings !== undefined));
    });
    const rows = ops.map((op) => {
      const outcome = outcomes.get(op);
      const status = !outcome
        ? stopped.has(op)
          ? 'STOPPED'
          : ''
        : outcome.status === 'done'
          ? 'ok'
          : outcome.status === 'failed'
            ? 'FAILED'
            : 'CONSOLIDATE';
      const detail =
        outcome && outcome.status !== 'done'
          ? outcome.status === 'failed'
            ? outcome.error
            : outcome.message
          : outcome?.warnings
            ? `${describeOperation(op)}; NOT DONE: ${outcome.warnings.join('; ')}`
            : outcome && stopped.has(op)
              ? `${describeOperation(op)} (license revocations held by the guard)`
              : describeOperation(op);
      if (!sends(report)) return [op.kind, op.userName, stopped.has(op) ? `${detail} (guard: would be stopped)` : detail];
      return [op.kind, op.userName, status, detail];
    });
    const headers = sends(report) ? ['ACTION', 'USERNAME', 'RESULT', 'DETAILS'] : ['ACTION', 'USERNAME', 'DETAILS'];
    parts.push(table(headers, rows, width));
    if (ops.length < all.length) {
      parts.push(
        `... and ${all.length - ops.length} more operation(s) not listed here (every failure and stop is): ` +
          `dirsync report ${report.runId} --csv, or the run's report files, list them all.`,
      );
    }
  } else {
    parts.push('No changes: the target matches the directory.');
  }
  if (report.skipped.length > 0) {
    // DNs can be hundreds of characters long: one user per two lines stays readable at 80 columns.
    parts.push('', `Skipped users (${report.skipped.length}):`);
    const shown = report.skipped.slice(0, LISTED_ATTENTION);
    for (const s of shown) parts.push(`  ${s.dn}`, `      ${s.reason}: ${s.message}`);
    if (shown.length < report.skipped.length)
      parts.push(`  ... and ${report.skipped.length - shown.length} more: dirsync report ${report.runId} --csv lists them all.`);
  }
  for (const p of report.directory?.problems ?? []) parts.push('', `Not read completely: ${p.scope}: ${p.reason}`);
  for (const h of report.plan.held) parts.push('', `Held: ${h}`);
  const licenseLines = describeLicenses(report.plan.licenses);
  if (licenseLines.length > 0) parts.push('', 'Licenses:', ...licenseLines.map((l) => `  ${l}`));
  for (const p of report.licenseProblems) parts.push('', `License data not read completely: ${p}`);
  for (const g of report.guard.checks.filter((c) => c.exceeded)) {
    const head = g.released
      ? 'Guard released'
      : sends(report)
        ? 'STOPPED by the mass-change guard'
        : 'The mass-change guard would stop this';
    parts.push('', `${head}: ${g.message}`);
  }
  const c = report.counts;
  const verb = report.mode === 'plan' ? 'would' : 'did';
  parts.push(
    '',
    `Run ${report.runId} (${report.mode}, ${report.outcome}): ${verb} create ${c.create ?? 0}, update ${c.update ?? 0}, ` +
      `reactivate ${c.reactivate ?? 0}, deactivate ${(c.deactivate ?? 0) - (sends(report) ? report.guard.stopped.filter((o) => o.kind === 'deactivate').length : 0)}` +
      ((c.revoke ?? 0) > 0 ? `, release licenses of ${c.revoke}` : '') +
      ((c.delete ?? 0) > 0 ? `, delete ${c.delete}` : '') +
      ((c.licensesGranted ?? 0) + (c.licensesRevoked ?? 0) > 0
        ? `; licenses +${c.licensesGranted ?? 0} -${c.licensesRevoked ?? 0}`
        : '') +
      `; unchanged ${c.unchanged ?? 0}, skipped ${report.skipped.length}` +
      (sends(report) ? `, failed ${c.failed ?? 0}` : '') +
      (report.guard.stopped.length > 0 ? `, stopped by the guard ${report.guard.stopped.length}` : '') +
      (report.directory ? `. Read ${report.directory.entriesRead} entries, ${report.directory.inScope} in scope.` : '.'),
  );
  // Tables already fit; the prose lines are wrapped at spaces so nothing runs past the terminal.
  return parts.flatMap((part) => part.split('\n').flatMap((line) => fitLine(line, width))).join('\n');
}

/** Every run leaves its report in reports.dir (JSON and CSV); old ones are pruned. */
export function saveReport(settings: { dir: string; keepDays: number }, doc: ReportDocument, logger: Logger): void {
  const files = writeReport(settings.dir, doc);
  const pruned = pruneReports(settings.dir, settings.keepDays);
  logger.info('report written', { json: files.json, csv: files.csv, pruned });
}
