import type { LoadedConfig } from '../config/load';
import { PlanFileError, errorCode, errorMessage } from '../errors/codes';
import type { Logger } from '../log/logger';
import { EMPTY_LICENSE_REPORT, revokedLicenses, type Operation, type Plan, type PlanSummary } from '../model/plan';
import { summarizeSnapshot, type FrozenPlan } from '../plan/frozen';
import { applyGuard } from '../plan/guard';
import { openStateDb, type StateDb } from '../state/db';
import { RunStore, type RunOutcome } from '../state/runs';
import { SnapshotStore } from '../state/snapshot';
import { targetClientFor } from './target-client';
import { applyPlan } from './apply';
import type { SyncReport } from './run-sync';
import { openApplySession, type ApplySession } from './session';

/** A frozen plan's run: like a sync's report, without a directory read. */
export type FrozenApplyReport = Omit<SyncReport, 'directory'> & { readonly planFile: string; readonly planCreatedAt: string };

function sameTarget(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

function summaryOf(operations: readonly Operation[]): PlanSummary {
  const count = (kind: Operation['kind']): number => operations.filter((o) => o.kind === kind).length;
  return {
    create: count('create'),
    update: count('update'),
    deactivate: count('deactivate'),
    reactivate: count('reactivate'),
    revoke: count('revoke'),
    delete: count('delete'),
    unchanged: 0,
    skipped: 0,
    licensesGranted: operations.reduce(
      (n, o) =>
        n +
        (o.kind === 'create'
          ? o.desired.licenses.length
          : o.kind === 'update' || o.kind === 'reactivate'
            ? o.grant.licenses.length
            : 0),
      0,
    ),
    licensesRevoked: operations.reduce((n, o) => n + revokedLicenses(o).length, 0),
  };
}

/**
 * `dirsync apply FILE`: sends exactly the operations of a frozen plan, journalled like a sync,
 * after the same lease and resume. Refuses (PLAN_STALE) when the snapshot is no longer the one
 * the plan was computed against: the plan would no longer be what the admin reviewed.
 * Applying a plan approves its deactivations, whatever the guard says.
 */
export async function applyFrozenPlan(
  loaded: LoadedConfig,
  frozen: FrozenPlan,
  options: { readonly logger: Logger; readonly file: string },
): Promise<FrozenApplyReport> {
  const { config } = loaded;
  if (!sameTarget(frozen.target, config.target.url)) {
    throw new PlanFileError(
      'PLAN_INVALID',
      `${options.file} was made for target ${frozen.target}, but the config's target.url is ${config.target.url}`,
    );
  }
  const client = targetClientFor(loaded);
  let db: StateDb;
  try {
    db = openStateDb(config.state.path);
  } catch (err) {
    await client.close();
    throw err;
  }
  const runs = new RunStore(db);
  const runId = runs.start('apply');
  const logger = options.logger.child({ runId });
  let session: ApplySession | undefined;
  try {
    logger.info('run started', { mode: 'apply', plan: options.file, planRun: frozen.planRunId });
    session = await openApplySession({ db, runId, runs, client, target: config.target, licensing: config.licensing, logger });
    const current = summarizeSnapshot(new SnapshotStore(db).all());
    if (current.fingerprint !== frozen.snapshot.fingerprint) {
      const resumed =
        session.resumed.operations > 0
          ? `; ${session.resumed.operations} operation(s) of an interrupted run were resumed first`
          : '';
      throw new PlanFileError(
        'PLAN_STALE',
        `${options.file} was planned at ${frozen.createdAt} against a snapshot of ${frozen.snapshot.users} users ` +
          `(${frozen.snapshot.fingerprint.slice(0, 19)}…); the snapshot has changed since (now ${current.users} users, ` +
          `${current.fingerprint.slice(0, 19)}…)${resumed}. Nothing was sent: make a new plan with "dirsync plan --out"`,
        { planned: frozen.snapshot.fingerprint, current: current.fingerprint },
      );
    }
    const operations = frozen.operations as readonly Operation[];
    const guard = applyGuard(operations, current.active, config.guard, { kind: 'frozen-plan' });
    for (const c of guard.checks.filter((c) => c.exceeded))
      logger.warn('mass-change guard released by the frozen plan', { detail: c.message });
    const { results, consolidation } =
      operations.length > 0 ? await applyPlan(await session.context(), operations) : { results: [], consolidation: [] };
    const failed = results.filter((r) => r.outcome.status === 'failed').length;
    const summary = summaryOf(operations);
    const counts: Record<string, number> = {
      ...summary,
      applied: results.filter((r) => r.outcome.status === 'done').length,
      failed,
      consolidation: consolidation.length,
      resumed: session.resumed.operations,
    };
    const outcome: Exclude<RunOutcome, 'running'> = failed > 0 || consolidation.length > 0 ? 'partial' : 'success';
    runs.finish(runId, outcome, counts);
    logger.info('run finished', { outcome, ...counts });
    const plan: Plan = { operations, skipped: [], summary, held: [], licenses: EMPTY_LICENSE_REPORT };
    return {
      runId,
      mode: 'apply',
      outcome,
      plan,
      results,
      skipped: consolidation,
      counts,
      guard: { checks: guard.checks, stopped: [] },
      resumed: session.resumed,
      snapshot: current,
      licenseProblems: [],
      planFile: options.file,
      planCreatedAt: frozen.createdAt,
    };
  } catch (err) {
    runs.finish(runId, 'failed', {}, errorMessage(err));
    logger.error('run failed', { code: errorCode(err), error: errorMessage(err) });
    throw err;
  } finally {
    session?.release();
    await client.close();
    db.close();
  }
}
