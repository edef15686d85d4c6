import type { Operation } from '../model/plan';

export interface GuardLimits {
  /** More than this many in one run stops them (0: every one waits for approval). */
  readonly maxCount: number;
  /** More than this percentage of the active managed users stops them. */
  readonly maxPercent: number;
}

export interface GuardSettings {
  readonly deactivations: GuardLimits;
}

/**
 * An admin's release of the guard for one run. `max` bounds it: "--approve 40" releases a run
 * that deactivates at most 40 users, so a directory that broke further since the admin looked
 * is still stopped.
 */
export type Approval =
  { readonly kind: 'none' } | { readonly kind: 'flag'; readonly max?: number } | { readonly kind: 'frozen-plan' };

/** The kinds of change the guard counts; license revocations will join deactivations. */
export type GuardedChange = 'deactivate';

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
  /** What the guard holds back until an admin approves. */
  readonly stopped: readonly Operation[];
  readonly checks: readonly GuardCheck[];
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

function describe(check: Omit<GuardCheck, 'message'>, limits: GuardLimits, approval: Approval): string {
  if (!check.exceeded) return '';
  const what =
    `${check.count} deactivations exceed the guard (at most ${check.limit}: guard.deactivations.maxCount ${limits.maxCount}, ` +
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

/** Pure: splits a plan into what may go and what waits for approval. Creates and updates always go. */
export function applyGuard(
  operations: readonly Operation[],
  managedActive: number,
  settings: GuardSettings,
  approval: Approval,
): GuardResult {
  const deactivations = operations.filter((o) => o.kind === 'deactivate');
  const limits = settings.deactivations;
  const limit = guardLimit(limits, managedActive);
  const exceeded = deactivations.length > limit;
  const released =
    exceeded &&
    (approval.kind === 'frozen-plan' ||
      (approval.kind === 'flag' && (approval.max === undefined || deactivations.length <= approval.max)));
  const base = { change: 'deactivate' as const, count: deactivations.length, limit, managedActive, exceeded, released };
  const check: GuardCheck = { ...base, message: describe(base, limits, approval) };
  const stop = exceeded && !released;
  return {
    allowed: stop ? operations.filter((o) => o.kind !== 'deactivate') : operations,
    stopped: stop ? deactivations : [],
    checks: [check],
  };
}
