import type { Operation } from '../model/plan';
import type { SyncReport } from '../sync/run-sync';
import { describeOperation, table } from './format';

function operationJson(op: Operation): Record<string, unknown> {
  const base = { kind: op.kind, externalId: op.externalId, userName: op.userName, dn: op.dn };
  switch (op.kind) {
    case 'create':
      return { ...base, email: op.desired.email, role: op.desired.role, userType: op.desired.userType };
    case 'update':
    case 'reactivate':
      return { ...base, targetId: op.targetId, changes: op.changes };
    case 'deactivate':
      return { ...base, targetId: op.targetId, why: op.why };
  }
}

/** The machine-readable form of a run, stable for scripts. */
export function reportJson(report: SyncReport): Record<string, unknown> {
  const outcomes = new Map(report.results.map((r) => [r.operation, r.outcome]));
  return {
    runId: report.runId,
    mode: report.mode,
    outcome: report.outcome,
    counts: report.counts,
    directory: report.directory,
    operations: report.plan.operations.map((op) => {
      const outcome = outcomes.get(op);
      return {
        ...operationJson(op),
        ...(outcome
          ? {
              status: outcome.status,
              ...(outcome.status === 'done' ? { targetId: outcome.targetId } : {}),
              ...(outcome.status === 'failed' ? { error: outcome.error, code: outcome.code } : {}),
              ...(outcome.status === 'consolidation' ? { error: outcome.message } : {}),
            }
          : {}),
      };
    }),
    skipped: report.skipped,
    held: report.plan.held,
  };
}

export function reportText(report: SyncReport, width: number): string {
  const parts: string[] = [];
  const outcomes = new Map(report.results.map((r) => [r.operation, r.outcome]));
  const ops = report.plan.operations;
  if (ops.length > 0) {
    const rows = ops.map((op) => {
      const outcome = outcomes.get(op);
      const status = !outcome ? '' : outcome.status === 'done' ? 'ok' : outcome.status === 'failed' ? 'FAILED' : 'CONSOLIDATE';
      const detail =
        outcome && outcome.status !== 'done'
          ? outcome.status === 'failed'
            ? outcome.error
            : outcome.message
          : describeOperation(op);
      return report.mode === 'sync' ? [op.kind, op.userName, status, detail] : [op.kind, op.userName, detail];
    });
    const headers = report.mode === 'sync' ? ['ACTION', 'USERNAME', 'RESULT', 'DETAILS'] : ['ACTION', 'USERNAME', 'DETAILS'];
    parts.push(table(headers, rows, width));
  } else {
    parts.push('No changes: the target matches the directory.');
  }
  if (report.skipped.length > 0) {
    // DNs can be hundreds of characters long: one user per two lines stays readable at 80 columns.
    parts.push('', `Skipped users (${report.skipped.length}):`);
    for (const s of report.skipped) parts.push(`  ${s.dn}`, `      ${s.reason}: ${s.message}`);
  }
  for (const p of report.directory.problems) parts.push('', `Not read completely: ${p.scope}: ${p.reason}`);
  for (const h of report.plan.held) parts.push('', `Held: ${h}`);
  const c = report.counts;
  const verb = report.mode === 'plan' ? 'would' : 'did';
  parts.push(
    '',
    `Run ${report.runId} (${report.mode}, ${report.outcome}): ${verb} create ${c.create ?? 0}, update ${c.update ?? 0}, ` +
      `reactivate ${c.reactivate ?? 0}, deactivate ${c.deactivate ?? 0}; unchanged ${c.unchanged ?? 0}, skipped ${report.skipped.length}` +
      (report.mode === 'sync' ? `, failed ${c.failed ?? 0}` : '') +
      `. Read ${report.directory.entriesRead} entries, ${report.directory.inScope} in scope.`,
  );
  return parts.join('\n');
}
