import {
  EMPTY_LICENSE_REPORT,
  revokedLicenses,
  type ExtraLicense,
  type LicenseReport,
  type Operation,
  type Plan,
  type PlanSummary,
} from '../model/plan';
import type { SkippedUser } from '../model/skip';
import { NO_ACCESS, type AccountAccess, type DesiredUser, type SnapshotUser } from '../model/user-state';
import { diffAttributes } from './diff';

/** License and target group planning, and staged deprovisioning. */
export interface LicensingPlanInput {
  readonly now: Date;
  /** Days after deactivation before licenses are released (0: with the deactivation). */
  readonly revokeAfterDays: number;
  /** Days after deactivation before the account is deleted; undefined: never. */
  readonly deleteAfterDays?: number | undefined;
  /** Licenses on a managed account that no group grants are removed (else reported). */
  readonly exclusive: boolean;
  /** Managed licenses the target holds, per externalId (drift read). Absent: the snapshot is believed. */
  readonly observed?: ReadonlyMap<string, readonly string[]>;
  /** Seat shortfalls, incompatible licenses and seat use found when licenses were resolved. */
  readonly resolved?: Pick<LicenseReport, 'shortfalls' | 'incompatible' | 'seats'>;
}

const NO_LICENSING: LicensingPlanInput = { now: new Date(0), revokeAfterDays: Number.MAX_SAFE_INTEGER, exclusive: false };

export interface PlanInput {
  /** Licenses already resolved (plan/licenses.ts): what dirsync grants each user. */
  readonly desired: readonly DesiredUser[];
  readonly skipped: readonly SkippedUser[];
  /** In scope but not provisionable this run: never deactivated for that. */
  readonly held: ReadonlySet<string>;
  readonly snapshot: readonly SnapshotUser[];
  /**
   * Reasons the read cannot prove anyone left (incomplete read, entries without ids...).
   * Any reason at all means: no deactivation for absence in this run.
   */
  readonly absenceUntrusted: readonly string[];
  /** Hold role and user type changes and revocations (a group that decides them may be unreadable). */
  readonly holdAccessChanges?: boolean;
  readonly licensing?: LicensingPlanInput;
}

/** Releases first: a seat they free is then free before the grants that use it are sent. */
const KIND_ORDER: Record<Operation['kind'], number> = {
  revoke: 0,
  create: 1,
  reactivate: 2,
  update: 3,
  deactivate: 4,
  delete: 5,
};

function compareOps(a: Operation, b: Operation): number {
  const byKind = KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  if (byKind !== 0) return byKind;
  if (a.userName !== b.userName) return a.userName < b.userName ? -1 : 1;
  return a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0;
}

function compareSkipped(a: SkippedUser, b: SkippedUser): number {
  if (a.dn !== b.dn) return a.dn < b.dn ? -1 : 1;
  return a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0;
}

const minus = (a: readonly string[], b: readonly string[]): string[] => {
  const drop = new Set(b);
  return a.filter((x) => !drop.has(x));
};
const both = (a: readonly string[], b: readonly string[]): string[] => {
  const keep = new Set(b);
  return a.filter((x) => keep.has(x));
};
const union = (a: readonly string[], b: readonly string[]): string[] => [...new Set([...a, ...b])].sort();
const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const isEmpty = (a: AccountAccess): boolean => a.licenses.length === 0 && a.targetGroups.length === 0;

const DAY_MS = 86_400_000;

/** Whole days since the account was deactivated; undefined when that is not known. */
function daysInactive(s: SnapshotUser, now: Date): number | undefined {
  if (!s.deactivatedAt) return undefined;
  const since = Date.parse(s.deactivatedAt);
  return Number.isNaN(since) ? undefined : Math.floor((now.getTime() - since) / DAY_MS);
}

/**
 * Desired state + snapshot -> sorted plan. Pure: no I/O, no clock (the time is an input),
 * same input same output. Deactivation needs positive evidence: the directory says disabled,
 * or the user is absent from a read that is trusted to be complete (invariant 1).
 */
export function buildPlan(input: PlanInput): Plan {
  const licensing = input.licensing ?? NO_LICENSING;
  const snapshotById = new Map(input.snapshot.map((s) => [s.externalId, s]));
  const desiredIds = new Set<string>();
  const operations: Operation[] = [];
  const skipped: SkippedUser[] = [...input.skipped];
  const extra: ExtraLicense[] = [];
  const restored: { userName: string; license: string }[] = [];
  let unchanged = 0;
  let accessHeld = 0;
  let licensesGranted = 0;

  /** What an account holds now: observed on the target when read, else what the snapshot says. */
  const heldBy = (s: SnapshotUser): readonly string[] => licensing.observed?.get(s.externalId) ?? s.licenses;

  /** Grants and revocations that take an account from the snapshot to `want`. */
  const accessDelta = (
    d: DesiredUser,
    s: SnapshotUser,
  ): { grant: AccountAccess; revoke: AccountAccess; after: AccountAccess } => {
    const held = heldBy(s);
    let licenses = d.licenses;
    let targetGroups = d.targetGroups;
    if (input.holdAccessChanges) {
      // Nothing is taken away while a granting group may be the one that could not be read.
      licenses = union(licenses, both(s.licenses, held));
      targetGroups = union(targetGroups, s.targetGroups);
    }
    const grant = { licenses: minus(licenses, held), targetGroups: minus(targetGroups, s.targetGroups) };
    const hold = input.holdAccessChanges === true;
    const strays = minus(minus(held, s.licenses), licenses);
    for (const license of strays) extra.push({ userName: d.userName, license, removed: licensing.exclusive && !hold });
    for (const license of both(grant.licenses, s.licenses)) restored.push({ userName: d.userName, license });
    const revoke = hold
      ? { licenses: [], targetGroups: [] }
      : {
          licenses: minus(licensing.exclusive ? held : both(held, s.licenses), licenses),
          targetGroups: minus(s.targetGroups, targetGroups),
        };
    return { grant, revoke, after: { licenses, targetGroups } };
  };

  /** Staged deprovisioning of an inactive account: delete, or release its licenses, when due. */
  const stagedStep = (s: SnapshotUser): void => {
    const days = daysInactive(s, licensing.now);
    if (days === undefined) return;
    const { externalId, userName, dn, targetId } = s;
    if (licensing.deleteAfterDays !== undefined && days >= licensing.deleteAfterDays) {
      operations.push({ externalId, userName, dn, targetId, previous: s, kind: 'delete' });
      return;
    }
    const licenses = both(heldBy(s), s.licenses);
    if (s.licenses.length > 0 && days >= licensing.revokeAfterDays) {
      // Licenses the target no longer shows are only dropped from the snapshot (nothing to send).
      operations.push({
        externalId,
        userName,
        dn,
        targetId,
        previous: s,
        kind: 'revoke',
        revoke: { licenses, targetGroups: [] },
        why: 'grace-period-over',
      });
    }
  };

  /** Released with the deactivation when the grace period is 0 days. */
  const releasedOnDeactivation = (s: SnapshotUser): AccountAccess =>
    licensing.revokeAfterDays === 0 ? { licenses: both(heldBy(s), s.licenses), targetGroups: [] } : NO_ACCESS;

  for (const d of input.desired) {
    desiredIds.add(d.externalId);
    const s = snapshotById.get(d.externalId);
    // Operations are written out field by field, not as { ...base, kind }: V8 gives every object
    // made by a spread followed by new keys a hidden class of its own (100,000 of them, 23 MB).
    const { externalId, userName, dn } = d;
    if (!s) {
      if (d.active) {
        operations.push({ externalId, userName, dn, kind: 'create', desired: d });
        licensesGranted += d.licenses.length;
      } else
        skipped.push({
          dn: d.dn,
          externalId: d.externalId,
          reason: 'DISABLED_NEVER_PROVISIONED',
          message: 'disabled in the directory and never provisioned: no account is created',
        });
      continue;
    }
    if (!d.active) {
      if (s.active) {
        const revoke = releasedOnDeactivation(s);
        operations.push({
          externalId,
          userName,
          dn,
          kind: 'deactivate',
          targetId: s.targetId,
          previous: s,
          why: 'disabled-in-directory',
          revoke,
        });
      } else {
        const before = operations.length;
        stagedStep(s);
        if (operations.length === before) unchanged += 1;
      }
      continue;
    }
    // Held access keeps what the target has, so the snapshot never records a change not sent.
    const fields = input.holdAccessChanges ? { ...d, role: s.role, userType: s.userType } : d;
    if (fields !== d && (d.role !== s.role || d.userType !== s.userType)) accessHeld += 1;
    const { grant, revoke, after } = accessDelta(d, s);
    const target: DesiredUser = { ...fields, licenses: after.licenses, targetGroups: after.targetGroups };
    const changes = diffAttributes(s, target);
    licensesGranted += grant.licenses.length;
    if (!s.active) {
      const targetId = s.targetId;
      operations.push({ externalId, userName, dn, kind: 'reactivate', targetId, desired: target, changes, grant, revoke });
    } else if (changes.length > 0 || !isEmpty(grant) || !isEmpty(revoke) || !sameList(after.licenses, s.licenses)) {
      // The last case sends nothing: the target already holds a license it should (given by
      // hand); recording it makes it dirsync's, so it is revoked when the user leaves the group.
      const targetId = s.targetId;
      operations.push({ externalId, userName, dn, kind: 'update', targetId, desired: target, changes, grant, revoke });
    } else {
      unchanged += 1;
    }
  }

  const held: string[] = [];
  const trusted = input.absenceUntrusted.length === 0;
  let heldCount = 0;
  for (const s of input.snapshot) {
    if (desiredIds.has(s.externalId) || input.held.has(s.externalId)) continue;
    if (!trusted) {
      if (s.active) heldCount += 1;
      continue;
    }
    if (!s.active) {
      stagedStep(s);
      continue;
    }
    operations.push({
      externalId: s.externalId,
      userName: s.userName,
      dn: s.dn,
      kind: 'deactivate',
      targetId: s.targetId,
      previous: s,
      why: 'left-scope',
      revoke: releasedOnDeactivation(s),
    });
  }
  if (accessHeld > 0) {
    held.push(`${accessHeld} role or user type change(s) were not sent: ${input.absenceUntrusted.join('; ')}`);
  }
  if (heldCount > 0) {
    held.push(`${heldCount} user(s) absent from this read were not deactivated: ${input.absenceUntrusted.join('; ')}`);
  }

  operations.sort(compareOps);
  skipped.sort(compareSkipped);
  const count = (kind: Operation['kind']): number => operations.filter((o) => o.kind === kind).length;
  const summary: PlanSummary = {
    create: count('create'),
    update: count('update'),
    deactivate: count('deactivate'),
    reactivate: count('reactivate'),
    revoke: count('revoke'),
    delete: count('delete'),
    unchanged,
    skipped: skipped.length,
    licensesGranted,
    licensesRevoked: operations.reduce((n, o) => n + revokedLicenses(o).length, 0),
  };
  const resolved = licensing.resolved ?? EMPTY_LICENSE_REPORT;
  const licenses: LicenseReport = {
    shortfalls: resolved.shortfalls,
    incompatible: resolved.incompatible,
    seats: resolved.seats,
    extra,
    restored,
  };
  return { operations, skipped, summary, held, licenses };
}
