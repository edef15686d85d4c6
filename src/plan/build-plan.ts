import type { Operation, Plan, PlanSummary } from '../model/plan';
import type { SkippedUser } from '../model/skip';
import type { DesiredUser, SnapshotUser } from '../model/user-state';
import { diffAttributes } from './diff';

export interface PlanInput {
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
  /** Hold role and user type changes (a group that decides them may be unreadable). */
  readonly holdAccessChanges?: boolean;
}

const KIND_ORDER: Record<Operation['kind'], number> = { create: 0, reactivate: 1, update: 2, deactivate: 3 };

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

/**
 * Desired state + snapshot -> sorted plan. Pure: no I/O, no clock, same input same output.
 * Deactivation needs positive evidence: the directory says disabled, or the user is absent
 * from a read that is trusted to be complete (invariant 1).
 */
export function buildPlan(input: PlanInput): Plan {
  const snapshotById = new Map(input.snapshot.map((s) => [s.externalId, s]));
  const desiredIds = new Set<string>();
  const operations: Operation[] = [];
  const skipped: SkippedUser[] = [...input.skipped];
  let unchanged = 0;
  let accessHeld = 0;

  for (const d of input.desired) {
    desiredIds.add(d.externalId);
    const s = snapshotById.get(d.externalId);
    const base = { externalId: d.externalId, userName: d.userName, dn: d.dn };
    if (!s) {
      if (d.active) operations.push({ ...base, kind: 'create', desired: d });
      else
        skipped.push({
          dn: d.dn,
          externalId: d.externalId,
          reason: 'DISABLED_NEVER_PROVISIONED',
          message: 'disabled in the directory and never provisioned: no account is created',
        });
      continue;
    }
    // Held access keeps what the target has, so the snapshot never records a change not sent.
    const target = input.holdAccessChanges ? { ...d, role: s.role, userType: s.userType } : d;
    if (target !== d && (d.role !== s.role || d.userType !== s.userType)) accessHeld += 1;
    const changes = diffAttributes(s, target);
    if (s.active && !d.active) {
      operations.push({ ...base, kind: 'deactivate', targetId: s.targetId, previous: s, why: 'disabled-in-directory' });
    } else if (!s.active && d.active) {
      operations.push({ ...base, kind: 'reactivate', targetId: s.targetId, desired: target, changes });
    } else if (d.active && changes.length > 0) {
      operations.push({ ...base, kind: 'update', targetId: s.targetId, desired: target, changes });
    } else {
      unchanged += 1;
    }
  }

  const held: string[] = [];
  const trusted = input.absenceUntrusted.length === 0;
  let heldCount = 0;
  for (const s of input.snapshot) {
    if (desiredIds.has(s.externalId) || input.held.has(s.externalId)) continue;
    if (!s.active) continue;
    if (!trusted) {
      heldCount += 1;
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
    unchanged,
    skipped: skipped.length,
  };
  return { operations, skipped, summary, held };
}
