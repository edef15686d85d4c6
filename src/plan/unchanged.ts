import type { AccountAccess, DesiredUser, ManagedAttributes } from '../model/user-state';

/**
 * Everything buildPlan compares for an active account, as one string: two equal keys mean the
 * account needs nothing (no attribute change, no grant, no revocation). JSON, so that equal text
 * can only come from equal values. The snapshot computes the same text in SQL
 * (SnapshotStore.comparisonKeys); a difference in encoding only ever costs a full comparison.
 */
export function comparisonKey(u: ManagedAttributes & AccountAccess): string {
  return JSON.stringify([
    u.userName,
    u.email,
    u.givenName,
    u.familyName,
    u.displayName,
    u.role,
    u.userType,
    u.licenses,
    u.targetGroups,
  ]);
}

export interface UnchangedSplit {
  /** Desired users the planner must still look at. */
  readonly changed: DesiredUser[];
  /** Active users whose key matches their active snapshot row: nothing to do. */
  readonly unchanged: number;
  /** Snapshot rows the planner needs: those of `changed`, and every row no desired user matched. */
  readonly rows: Set<string>;
}

/**
 * Sets aside, before planning, the users a no-op run would find unchanged, so that only the
 * rest (and the snapshot rows they need) go through buildPlan. `keys` holds every snapshot row:
 * its comparison key when the row is active and readable, else null (always planned).
 */
export function splitUnchanged(desired: readonly DesiredUser[], keys: ReadonlyMap<string, string | null>): UnchangedSplit {
  // An id given twice is the planner's to judge (it refuses both): never set one aside.
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const d of desired) {
    if (seen.has(d.externalId)) twice.add(d.externalId);
    else seen.add(d.externalId);
  }
  const changed: DesiredUser[] = [];
  const matched = new Set<string>();
  for (const d of desired) {
    const key = keys.get(d.externalId);
    if (d.active && typeof key === 'string' && !twice.has(d.externalId) && key === comparisonKey(d)) matched.add(d.externalId);
    else changed.push(d);
  }
  const rows = new Set<string>();
  for (const id of keys.keys()) if (!matched.has(id)) rows.add(id);
  return { changed, unchanged: matched.size, rows };
}
