import type { LoadedConfig } from '../config/load';
import { DirsyncError, errorCode, errorMessage } from '../errors/codes';
import type { Logger } from '../log/logger';
import type { Operation, Plan } from '../model/plan';
import type { SnapshotUser } from '../model/user-state';
import type { SkippedUser } from '../model/skip';
import { buildPlan } from '../plan/build-plan';
import { splitUnchanged } from '../plan/unchanged';
import { summarizeSnapshot, type SnapshotSummary } from '../plan/frozen';
import { applyGuard, type Approval, type GuardCheck } from '../plan/guard';
import { buildDesiredState } from '../rules/desired';
import type { ScopeProblem } from '../directory/read';
import type { VendorKind } from '../directory/vendor';
import { openStateDb, type StateDb } from '../state/db';
import { RunStore, type RunMode, type RunOutcome } from '../state/runs';
import { SnapshotStore } from '../state/snapshot';
import type { ScimClient } from '../target/scim-client';
import { targetClientFor } from './target-client';
import { applyPlan, type OperationResult } from './apply';
import { runNow } from './clock';
import { HeapCeiling, collectAfterRead } from './heap';
import { explainUser, type Explanation } from './explain';
import { readLicenseHoldings, type LicenseHoldings } from './license-holdings';
import { resolveRunLicenses } from './licensing-step';
import { profileOptions, readDirectoryPass } from './directory-pass';
import { NOTHING_RESUMED, type ResumeSummary } from './resume';
import { openApplySession, type ApplySession } from './session';

export interface SyncOptions {
  readonly mode: RunMode;
  readonly logger: Logger;
  /** Releases the mass-change guard for this run (`sync --approve [N]`). */
  readonly approval?: Approval;
  /** Read only what changed since the last complete sync (falls back to full when it cannot). */
  readonly delta?: boolean;
  /** Aborted: send nothing after the operation in flight (the daemon is stopping). */
  readonly signal?: AbortSignal;
  /**
   * Fingerprint the whole snapshot for the report (needed by `plan --out`). Default true. A delta
   * without it reads only the snapshot rows of the users it touches.
   */
  readonly fingerprint?: boolean;
  /** Told how the run advances (a progress bar in a terminal); the daemon passes none. */
  readonly progress?: SyncProgress;
  /** The time the run plans at (staged deprovisioning). Default: DIRSYNC_NOW, else the clock. */
  readonly now?: Date;
  /** `dirsync explain`: a userName, email, DN or externalId to explain in the report. */
  readonly explain?: string;
}

/** What a run reports as it goes; every call is optional to honour. */
export interface SyncProgress {
  reading(source: string): void;
  /** Entries arrived from the directory (a page at a time), while it is read. */
  entries?(count: number): void;
  read(users: number, entries: number): void;
  sending(operations: number): void;
  /** Called once per operation when its outcome is known (done or failed). */
  settled(): void;
  stop(): void;
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
    /** full, or delta (only what changed since the last complete sync). */
    readonly kind: 'full' | 'delta';
    readonly vendor: VendorKind | 'csv';
    /** Bases and groups not read completely: deactivations and role changes were held. */
    readonly problems: readonly ScopeProblem[];
    readonly entriesRead: number;
    readonly inScope: number;
    readonly groupSizes: Record<string, number>;
  };
  readonly message?: string;
  /** The mass-change guard: its checks, and the operations it held back (would hold, in a plan). */
  readonly guard: { readonly checks: readonly GuardCheck[]; readonly stopped: readonly Operation[] };
  /** Operations of interrupted runs settled before this run planned. */
  readonly resumed: ResumeSummary;
  /** The snapshot the plan was computed against (frozen plans carry its fingerprint). */
  readonly snapshot: SnapshotSummary;
  /** License problems that did not stop the run (seat counts or holdings not read). */
  readonly licenseProblems: readonly string[];
  /** Set when SyncOptions.explain was. */
  readonly explanation?: Explanation;
}

/** Whether this run reads what the target holds (drift), per licensing.reconcile. */
function reconcileDue(reconcile: 'full' | 'always' | 'never', kind: 'full' | 'delta'): boolean {
  return reconcile === 'always' || (reconcile === 'full' && kind === 'full');
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
  const now = options.now ?? runNow();
  // Built first in a sync, so a target setting that would be refused fails before any read.
  const client = options.mode === 'sync' ? targetClientFor(loaded) : undefined;
  /** A plan only reads the target when licensing needs it (drift, seat counts). */
  let readClient: ScimClient | undefined;
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
  let session: ApplySession | undefined;
  try {
    logger.info('run started', { mode: options.mode, config: loaded.file });
    // Lease, then the journals of dead runs, before anything new is planned (invariant 2).
    if (client)
      session = await openApplySession({ db, runId, runs, client, target: config.target, licensing: config.licensing, logger });
    options.progress?.reading(config.source?.csv.file ?? 'the directory');
    const licensing = config.licensing;
    const seatsLimited = licensing.licenses.some((l) => l.seats !== undefined);
    // A full read that needs no snapshot row for anything else (fingerprint, seats, drift,
    // explain) compares keys first and loads only the rows of users who may change. The keys are
    // read a chunk per directory page, while the server works, unless a delta was asked for.
    const keysSuffice =
      options.fingerprint === false &&
      !seatsLimited &&
      !(licensing.licenses.length > 0 && reconcileDue(licensing.reconcile, 'full')) &&
      options.explain === undefined;
    const keyReader = keysSuffice && !options.delta ? new SnapshotStore(db).keyReader() : undefined;
    const onProgress = options.progress?.entries?.bind(options.progress);
    const onEntries =
      keyReader || onProgress
        ? (count: number): void => {
            onProgress?.(count);
            keyReader?.step();
          }
        : undefined;
    const directoryRead = await readDirectoryPass(loaded, db, options.delta ?? false, onEntries, options.explain !== undefined);
    options.progress?.read(directoryRead.inScope, directoryRead.entriesRead);
    collectAfterRead(directoryRead.entriesRead);
    const { server, rules: settings } = directoryRead;
    if (directoryRead.fallback) logger.info('full read instead of a delta', { reason: directoryRead.fallback });
    logger.info('directory read', {
      server,
      kind: directoryRead.kind,
      vendor: directoryRead.vendor,
      entries: directoryRead.entriesRead,
      inScope: directoryRead.inScope,
    });
    for (const p of directoryRead.problems)
      logger.error('directory scope not read completely', { scope: p.scope, reason: p.reason });

    const desired = buildDesiredState(directoryRead.users, {
      ...profileOptions(settings, config.rules),
      groups: settings.groups,
    });
    // The entries' attributes are not needed past this point (but by explain): let them go.
    if (options.explain === undefined) directoryRead.release();
    const snapshot = new SnapshotStore(db);
    const absenceUntrusted = directoryRead.problems.map((p) => `${p.scope} could not be read (${p.reason})`);
    if (desired.entriesWithoutId > 0) {
      absenceUntrusted.push(
        `${desired.entriesWithoutId} in-scope entr(y/ies) have no ${settings.idAttribute}, so absence cannot be told from a changed id`,
      );
    }
    if (desired.entriesWithDuplicateId > 0) {
      absenceUntrusted.push(
        `${desired.entriesWithDuplicateId} in-scope entries share a ${settings.idAttribute} with another, so ids cannot be trusted`,
      );
    }
    // A delta plans over the users it read; everyone else is unchanged by definition. Scarce
    // seats are counted over every managed account, so they need all rows too.
    const readHolders = licensing.licenses.length > 0 && reconcileDue(licensing.reconcile, directoryRead.kind);
    const affected = directoryRead.affected;
    // Keys are compared on a full read (no affected set) whose every scope was read: with a
    // problem, held access needs the rows.
    const keyed = keysSuffice && !affected && directoryRead.problems.length === 0;
    const confirmedUsers = !keyed && (!affected || options.fingerprint !== false || seatsLimited) ? snapshot.all() : undefined;
    let planSnapshot: readonly SnapshotUser[] = !affected
      ? (confirmedUsers ?? [])
      : confirmedUsers
        ? confirmedUsers.filter((u) => affected.has(u.externalId))
        : snapshot.rows(affected);
    // Keyed: every row's comparison key, and the counts on the way.
    const keys = keyed ? (keyReader ?? snapshot.keyReader()).finish() : undefined;
    const activeManaged = confirmedUsers
      ? confirmedUsers.filter((u) => u.active).length
      : (keys?.active ?? snapshot.activeCount());
    // Only a frozen plan (plan --out) needs the fingerprint: hashing every row is not free.
    const snapshotSummary =
      confirmedUsers && options.fingerprint !== false
        ? summarizeSnapshot(confirmedUsers)
        : { fingerprint: '', users: confirmedUsers?.length ?? keys?.ids.length ?? snapshot.count(), active: activeManaged };

    // Licenses: what the target holds (drift, seat counts), then who gets what.
    let holdings: LicenseHoldings | undefined;
    if (readHolders || licensing.licenses.some((l) => l.seats === 'target')) {
      readClient = client ?? targetClientFor(loaded);
      const managed = new Map((confirmedUsers ?? planSnapshot).map((u: SnapshotUser) => [u.targetId, u.externalId]));
      holdings = await readLicenseHoldings({ client: readClient, licensing, managed, readHolders });
      logger.info('target licenses read', {
        accounts: holdings.observed?.size ?? 0,
        unmanagedHolders: [...holdings.unmanaged.values()].reduce((a, b) => a + b, 0),
      });
    }
    const licensed = resolveRunLicenses({
      licensing,
      users: desired.users,
      // Made only if seats are resolved (the step returns early without a catalog).
      get priorities() {
        return desired.priorities;
      },
      snapshot: confirmedUsers ?? planSnapshot,
      holdings,
      now,
      absenceTrusted: absenceUntrusted.length === 0,
      holdAccessChanges: directoryRead.problems.length > 0,
      ...(affected ? { planned: affected } : {}),
    });
    const licenseProblems = [...(holdings?.problems ?? []), ...licensed.problems];
    for (const p of licenseProblems) logger.error('license data not read completely', { detail: p });
    const { resolution } = licensed;
    let planDesired = resolution.users;
    let setAside = 0;
    if (keys) {
      const split = splitUnchanged(resolution.users, keys);
      planDesired = split.changed;
      setAside = split.unchanged;
      planSnapshot = snapshot.rows(split.rows, keys.ids.length);
    }
    const built = buildPlan({
      desired: planDesired,
      skipped: desired.skipped,
      held: desired.held,
      snapshot: planSnapshot,
      absenceUntrusted,
      // A missing group may be the one that gave a user their role or a license: take nothing away.
      holdAccessChanges: directoryRead.problems.length > 0,
      licensing: {
        now,
        revokeAfterDays: licensing.deprovision.revokeLicensesAfterDays,
        deleteAfterDays: licensing.deprovision.deleteAfterDays,
        exclusive: licensing.exclusive,
        ...(holdings?.observed ? { observed: holdings.observed } : {}),
        resolved: { shortfalls: resolution.shortfalls, incompatible: resolution.incompatible, seats: resolution.seats },
      },
    });
    const plan =
      setAside === 0 ? built : { ...built, summary: { ...built.summary, unchanged: built.summary.unchanged + setAside } };
    for (const f of plan.licenses.shortfalls)
      logger.warn('license seats short', { license: f.license, short: f.short, seats: f.seats, waiting: f.waiting.slice(0, 20) });
    for (const i of plan.licenses.incompatible)
      logger.warn('license not allowed for user type', {
        dn: i.dn,
        userName: i.userName,
        license: i.license,
        userType: i.userType,
      });
    for (const x of plan.licenses.extra)
      logger.warn('license found that no group grants', { userName: x.userName, license: x.license, removed: x.removed });
    for (const r of plan.licenses.restored)
      logger.warn('license removed on the target: granted again', { userName: r.userName, license: r.license });
    for (const s of plan.skipped) logger.warn('user skipped', { dn: s.dn, reason: s.reason, detail: s.message });
    for (const h of plan.held) logger.warn('deactivations held', { detail: h });
    const guard = applyGuard(plan.operations, activeManaged, config.guard, options.approval ?? { kind: 'none' });
    for (const c of guard.checks.filter((c) => c.exceeded)) {
      if (c.released) logger.warn('mass-change guard released', { change: c.change, count: c.count, limit: c.limit });
      else
        logger.error('mass-change guard stopped changes', {
          change: c.change,
          count: c.count,
          limit: c.limit,
          detail: c.message,
        });
    }

    let results: OperationResult[] = [];
    let consolidation: readonly SkippedUser[] = [];
    if (session && guard.allowed.length > 0) {
      const ctx = await session.context();
      options.progress?.sending(guard.allowed.length);
      const heap = HeapCeiling.forSend(guard.allowed.length);
      const stopReason = (): string | undefined => (options.signal?.aborted ? 'dirsync is stopping' : ctx.stopReason?.());
      const onSettled = (): void => {
        options.progress?.settled();
        heap?.tick();
      };
      // An injected time (DIRSYNC_NOW) also stamps what is confirmed: deactivation dates stay consistent.
      const injected = options.now !== undefined || process.env['DIRSYNC_NOW'] ? { now: () => now } : {};
      const applied = await applyPlan({ ...ctx, ...injected, stopReason, onSettled }, guard.allowed);
      // Report against the plan's operations, also where the guard sent a copy without its revocations.
      results = applied.results.map((r) => ({ ...r, operation: guard.trimmed.get(r.operation) ?? r.operation }));
      consolidation = applied.consolidation;
      // Closed before the run's last log lines, which would otherwise land on the bar's line.
      options.progress?.stop();
    }
    const failed = results.filter((r) => r.outcome.status === 'failed').length;
    const membershipFailures = results.reduce(
      (n, r) => n + (r.outcome.status === 'done' ? (r.outcome.warnings?.length ?? 0) : 0),
      0,
    );
    const counts: Record<string, number> = {
      ...plan.summary,
      applied: results.filter((r) => r.outcome.status === 'done').length,
      failed,
      consolidation: consolidation.length,
      entriesRead: directoryRead.entriesRead,
      inScope: directoryRead.inScope,
      directoryProblems: directoryRead.problems.length,
      guardStopped: guard.stopped.length,
      membershipFailures,
      licensesShort: plan.licenses.shortfalls.reduce((n, f) => n + f.short, 0),
      licensesIncompatible: plan.licenses.incompatible.length,
      licenseProblems: licenseProblems.length,
      resumed: session?.resumed.operations ?? 0,
      apiRequests: client?.stats.requests ?? 0,
      apiRetries: client?.stats.retries ?? 0,
    };
    const outcome: Exclude<RunOutcome, 'running'> =
      session && guard.stopped.length > 0
        ? 'stopped'
        : failed > 0 ||
            consolidation.length > 0 ||
            directoryRead.problems.length > 0 ||
            membershipFailures > 0 ||
            licenseProblems.length > 0
          ? 'partial'
          : 'success';
    // The next delta starts from here only if everything this one saw was applied.
    if (session && outcome === 'success') directoryRead.commit();
    runs.finish(runId, outcome, counts);
    logger.info('run finished', { outcome, kind: directoryRead.kind, ...counts });
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
        kind: directoryRead.kind,
        vendor: directoryRead.vendor,
        problems: directoryRead.problems,
        entriesRead: directoryRead.entriesRead,
        inScope: directoryRead.inScope,
        groupSizes: directoryRead.groupSizes,
      },
      guard: { checks: guard.checks, stopped: guard.stopped },
      resumed: session?.resumed ?? NOTHING_RESUMED,
      snapshot: snapshotSummary,
      licenseProblems,
      ...(options.explain !== undefined
        ? {
            explanation: explainUser(options.explain, {
              entries: directoryRead.users,
              desired: desired.users,
              skipped: plan.skipped,
              resolution,
              snapshot: confirmedUsers ?? planSnapshot,
              plan,
              mappings: settings.groups,
              observed: holdings?.observed,
            }),
          }
        : {}),
    };
  } catch (err) {
    runs.finish(runId, 'failed', {}, errorMessage(err));
    logger.error('run failed', { code: errorCode(err), error: errorMessage(err) });
    throw new RunFailedError(runId, err);
  } finally {
    options.progress?.stop();
    session?.release();
    await client?.close();
    if (readClient !== client) await readClient?.close();
    db.close();
  }
}
