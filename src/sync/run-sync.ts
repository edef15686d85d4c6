import type { LoadedConfig } from '../config/load';
import { DirsyncError, errorCode, errorMessage } from '../errors/codes';
import type { Logger } from '../log/logger';
import type { Plan } from '../model/plan';
import type { SkippedUser } from '../model/skip';
import { buildPlan } from '../plan/build-plan';
import { buildDesiredState } from '../rules/desired';
import type { ScopeProblem } from '../directory/read';
import { readConfiguredDirectory } from '../directory/session';
import type { VendorKind } from '../directory/vendor';
import { openStateDb, type StateDb } from '../state/db';
import { Journal } from '../state/journal';
import { RunStore, type RunMode, type RunOutcome } from '../state/runs';
import { SnapshotStore } from '../state/snapshot';
import { ScimClient } from '../target/scim-client';
import { applyPlan, type OperationResult } from './apply';

export interface SyncOptions {
  readonly mode: RunMode;
  readonly logger: Logger;
}

export interface SyncReport {
  readonly runId: string;
  readonly mode: RunMode;
  readonly outcome: Exclude<RunOutcome, 'running'>;
  readonly plan: Plan;
  readonly results: readonly OperationResult[];
  /** Skipped by the rules, plus users found to need consolidation while applying. */
  readonly skipped: readonly SkippedUser[];
  readonly counts: Record<string, number>;
  readonly directory: {
    readonly server: string;
    readonly vendor: VendorKind;
    /** Bases and groups not read completely: deactivations and role changes were held. */
    readonly problems: readonly ScopeProblem[];
    readonly entriesRead: number;
    readonly inScope: number;
    readonly groupSizes: Record<string, number>;
  };
  readonly message?: string;
}

export class RunFailedError extends DirsyncError {
  override readonly name = 'RunFailedError';
  readonly runId: string;

  constructor(runId: string, cause: unknown) {
    super(errorCode(cause), errorMessage(cause), { runId }, { cause });
    this.runId = runId;
  }
}

/**
 * One run: read -> rules -> plan -> (sync only) journal + apply -> record. A failure before
 * apply changes nothing on the target; the run is recorded as failed either way.
 */
export async function runSync(loaded: LoadedConfig, options: SyncOptions): Promise<SyncReport> {
  const { config } = loaded;
  // Built first in a sync, so a target setting that would be refused fails before any read.
  const client =
    options.mode === 'sync'
      ? new ScimClient({
          url: config.target.url,
          token: loaded.token,
          caFile: config.target.caFile,
          allowInsecure: config.target.allowInsecure,
          timeoutMs: config.target.timeoutMs,
        })
      : undefined;
  let db: StateDb;
  try {
    db = openStateDb(config.state.path);
  } catch (err) {
    await client?.close();
    throw err;
  }
  const runs = new RunStore(db);
  const runId = runs.start(options.mode);
  const logger = options.logger.child({ runId });
  try {
    logger.info('run started', { mode: options.mode, config: loaded.file });
    const { read: directoryRead, server, settings } = await readConfiguredDirectory(config.directory, loaded.bindPassword);
    logger.info('directory read', {
      server,
      vendor: directoryRead.vendor,
      entries: directoryRead.entriesRead,
      inScope: directoryRead.users.length,
    });
    for (const p of directoryRead.problems)
      logger.error('directory scope not read completely', { scope: p.scope, reason: p.reason });

    const desired = buildDesiredState(directoryRead.users, {
      usernameTemplate: settings.usernameTemplate,
      attributes: config.directory.attributes,
      groups: config.directory.groups,
      foldAccents: config.rules.foldAccents,
      usernameCase: config.rules.usernameCase,
    });
    const snapshot = new SnapshotStore(db);
    const absenceUntrusted = directoryRead.problems.map((p) => `${p.scope} could not be read (${p.reason})`);
    if (desired.entriesWithoutId > 0) {
      absenceUntrusted.push(
        `${desired.entriesWithoutId} in-scope entr(y/ies) have no ${settings.idAttribute}, so absence cannot be told from a changed id`,
      );
    }
    const plan = buildPlan({
      desired: desired.users,
      skipped: desired.skipped,
      held: desired.held,
      snapshot: snapshot.all(),
      absenceUntrusted,
      // A missing group may be the one that gave a user their role: do not downgrade anyone.
      holdAccessChanges: directoryRead.problems.length > 0,
    });
    for (const s of plan.skipped) logger.warn('user skipped', { dn: s.dn, reason: s.reason, detail: s.message });
    for (const h of plan.held) logger.warn('deactivations held', { detail: h });

    let results: readonly OperationResult[] = [];
    let consolidation: readonly SkippedUser[] = [];
    if (client && plan.operations.length > 0) {
      ({ results, consolidation } = await applyPlan(
        { runId, client, journal: new Journal(db, snapshot), logger, concurrency: config.target.concurrency },
        plan.operations,
      ));
    }
    const failed = results.filter((r) => r.outcome.status === 'failed').length;
    const counts: Record<string, number> = {
      ...plan.summary,
      applied: results.filter((r) => r.outcome.status === 'done').length,
      failed,
      consolidation: consolidation.length,
      entriesRead: directoryRead.entriesRead,
      inScope: directoryRead.users.length,
      directoryProblems: directoryRead.problems.length,
    };
    const outcome = failed > 0 || consolidation.length > 0 || directoryRead.problems.length > 0 ? 'partial' : 'success';
    runs.finish(runId, outcome, counts);
    logger.info('run finished', { outcome, ...counts });
    return {
      runId,
      mode: options.mode,
      outcome,
      plan,
      results,
      skipped: [...plan.skipped, ...consolidation],
      counts,
      directory: {
        server,
        vendor: directoryRead.vendor,
        problems: directoryRead.problems,
        entriesRead: directoryRead.entriesRead,
        inScope: directoryRead.users.length,
        groupSizes: directoryRead.groupSizes,
      },
    };
  } catch (err) {
    runs.finish(runId, 'failed', {}, errorMessage(err));
    logger.error('run failed', { code: errorCode(err), error: errorMessage(err) });
    throw new RunFailedError(runId, err);
  } finally {
    await client?.close();
    db.close();
  }
}
