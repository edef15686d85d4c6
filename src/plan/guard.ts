import { revokedLicenses, type Operation, type UpdateOperation, type DeactivateOperation } from '../model/plan';

export interface GuardLimits {
  /** More than this many in one run stops them (0: every one waits for approval). */
  readonly maxCount: number;
  /** More than this percentage of the active managed users stops them. */
  readonly maxPercent: number;
}

export interface GuardSettings {
  readonly deactivations: GuardLimits;
  /** Users losing at least one license in one run (staged releases of deactivated accounts excepted). */
  readonly licenseRevocations?: GuardLimits;
  /** Accounts deleted (staged deprovisioning) in one run. */
  readonly deletions?: GuardLimits;
}

/**
 * An admin's release of the guard for one run. `max` bounds it: "--approve 40" releases a run
 * that deactivates at most 40 users, so a directory that broke further since the admin looked
 * is still stopped.
 */
export type Approval =
  { readonly kind: 'none' } | { readonly kind: 'flag'; readonly max?: number } | { readonly kind: 'frozen-plan' };

/** The kinds of change the guard counts. */
export type GuardedChange = 'deactivate' | 'revoke-licenses' | 'delete';

export interface GuardCheck {
  readonly change: GuardedChange;
  readonly count: number;
  /** The most this run may do without approval. */
  readonly limit: number;
  readonly managedActive: number;
  readonly exceeded: boolean;
  /** Exceeded, and an approval covers it: the changes go. */
  readonly released: boolean;
  /** One line an admin can act on; empty when nothing was exceeded. */
  readonly message: string;
}

export interface GuardResult {
  /** What may be sent. */
  readonly allowed: readonly Operation[];
  /**
   * What the guard holds back until an admin approves: whole operations, or operations whose
   * license revocations were held while the rest of them (field changes, grants) goes.
   */
  readonly stopped: readonly Operation[];
  readonly checks: readonly GuardCheck[];
  /** An allowed operation that is a trimmed copy of a plan operation -> that plan operation. */
  readonly trimmed: ReadonlyMap<Operation, Operation>;
}

/**
 * The limit is the smaller of maxCount and maxPercent of the active users dirsync manages;
 * the percentage alone never stops a single deactivation (a 3-person organisation losing one
 * person is not a mass change), but maxCount 0 stops every one.
 */
export function guardLimit(limits: GuardLimits, managedActive: number): number {
  const byPercent = Math.max(1, Math.floor((managedActive * limits.maxPercent) / 100));
  return Math.min(limits.maxCount, byPercent);
}

const CHANGE_WORDS: Record<GuardedChange, { what: string; setting: string }> = {
  deactivate: { what: 'deactivations', setting: 'guard.deactivations' },
  'revoke-licenses': { what: 'users losing licenses', setting: 'guard.licenseRevocations' },
  delete: { what: 'deletions', setting: 'guard.deletions' },
};

function describe(check: Omit<GuardCheck, 'message'>, limits: GuardLimits, approval: Approval): string {
  if (!check.exceeded) return '';
  const words = CHANGE_WORDS[check.change];
  const what =
    `${check.count} ${words.what} exceed the guard (at most ${check.limit}: ${words.setting}.maxCount ${limits.maxCount}, ` +
    `maxPercent ${limits.maxPercent}% of ${check.managedActive} active managed users)`;
  if (check.released) {
    return approval.kind === 'frozen-plan'
      ? `${what}; released: the frozen plan being applied approves them`
      : `${what}; released by --approve`;
  }
  if (approval.kind === 'flag' && approval.max !== undefined) {
    return `${what}; --approve ${approval.max} does not cover ${check.count}: none of them were sent`;
  }
  return `${what}: none of them were sent. Check the directory; if they are intended, run "dirsync sync --approve" or apply a reviewed plan ("dirsync plan --out FILE", then "dirsync apply FILE")`;
}

const DEFAULT_LIMITS: GuardLimits = { maxCount: 10, maxPercent: 5 };

/** Counted as a revocation: a license taken from an account the guard has not already let go. */
function revokesGuarded(op: Operation): boolean {
  if (op.kind === 'revoke' && op.why === 'grace-period-over') return false; // its deactivation was guarded
  return revokedLicenses(op).length > 0;
}

/** The operation without its license revocations; undefined when nothing else is left to send. */
function withoutRevocations(op: Operation): Operation | undefined {
  switch (op.kind) {
    case 'update':
    case 'reactivate': {
      const kept: UpdateOperation = {
        ...op,
        revoke: { ...op.revoke, licenses: [] },
        desired: { ...op.desired, licenses: [...new Set([...op.desired.licenses, ...op.revoke.licenses])].sort() },
      };
      const empty =
        op.kind === 'update' &&
        kept.changes.length === 0 &&
        kept.grant.licenses.length === 0 &&
        kept.grant.targetGroups.length === 0 &&
        kept.revoke.targetGroups.length === 0;
      return empty ? undefined : kept;
    }
    case 'deactivate': {
      const kept: DeactivateOperation = { ...op, revoke: { ...op.revoke, licenses: [] } };
      return kept;
    }
    case 'revoke':
      return op.revoke.targetGroups.length > 0 ? { ...op, revoke: { ...op.revoke, licenses: [] } } : undefined;
    case 'create':
    case 'delete':
      return op;
  }
}

function check(change: GuardedChange, count: number, limits: GuardLimits, managedActive: number, approval: Approval): GuardCheck {
  const limit = guardLimit(limits, managedActive);
  const exceeded = count > limit;
  const released =
    exceeded &&
    (approval.kind === 'frozen-plan' || (approval.kind === 'flag' && (approval.max === undefined || count <= approval.max)));
  const base = { change, count, limit, managedActive, exceeded, released };
  return { ...base, message: describe(base, limits, approval) };
}

/**
 * Pure: splits a plan into what may go and what waits for approval. Creates, updates and grants
 * always go; deactivations, license revocations and deletions are each counted against their
 * own limits, and the kind that exceeds its limit is held back as a whole.
 */
export function applyGuard(
  operations: readonly Operation[],
  managedActive: number,
  settings: GuardSettings,
  approval: Approval,
): GuardResult {
  const deactivations = check(
    'deactivate',
    operations.filter((o) => o.kind === 'deactivate').length,
    settings.deactivations,
    managedActive,
    approval,
  );
  const revocations = check(
    'revoke-licenses',
    operations.filter(revokesGuarded).length,
    settings.licenseRevocations ?? DEFAULT_LIMITS,
    managedActive,
    approval,
  );
  const deletions = check(
    'delete',
    operations.filter((o) => o.kind === 'delete').length,
    settings.deletions ?? DEFAULT_LIMITS,
    managedActive,
    approval,
  );
  const stopDeactivations = deactivations.exceeded && !deactivations.released;
  const stopRevocations = revocations.exceeded && !revocations.released;
  const stopDeletions = deletions.exceeded && !deletions.released;
  const allowed: Operation[] = [];
  const stopped: Operation[] = [];
  const trimmed = new Map<Operation, Operation>();
  for (const op of operations) {
    if ((op.kind === 'deactivate' && stopDeactivations) || (op.kind === 'delete' && stopDeletions)) {
      stopped.push(op);
      continue;
    }
    if (stopRevocations && revokesGuarded(op)) {
      stopped.push(op);
      const rest = withoutRevocations(op);
      if (rest) {
        allowed.push(rest);
        trimmed.set(rest, op);
      }
      continue;
    }
    allowed.push(op);
  }
  return { allowed, stopped, checks: [deactivations, revocations, deletions], trimmed };
}
