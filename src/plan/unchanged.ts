import type { AccountAccess, DesiredUser, ManagedAttributes, SnapshotKeys } from '../model/user-state';

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

/** Strictly ascending by JavaScript's string order: sorted, and no id twice. */
function strictlyAscending(ids: readonly string[]): boolean {
  for (let i = 1; i < ids.length; i += 1) if (!((ids[i - 1] as string) < (ids[i] as string))) return false;
  return true;
}

/**
 * Sets aside, before planning, the users a no-op run would find unchanged, so that only the
 * rest (and the snapshot rows they need) go through buildPlan. Both sides come sorted by
 * externalId (the desired state and the snapshot are), so one merge pass pairs them; a side
 * that is not strictly ascending (an id given twice, or SQLite ordering an exotic id
 * differently) goes by lookup instead. Either way an id given twice is never set aside: the
 * planner judges it (it refuses both).
 */
export function splitUnchanged(desired: readonly DesiredUser[], snapshot: SnapshotKeys): UnchangedSplit {
  const desiredIds = desired.map((d) => d.externalId);
  if (!strictlyAscending(desiredIds) || !strictlyAscending(snapshot.ids)) return splitByLookup(desired, desiredIds, snapshot);
  const changed: DesiredUser[] = [];
  const rows = new Set<string>();
  const { ids, keys } = snapshot;
  let unchanged = 0;
  let j = 0;
  for (const d of desired) {
    const id = d.externalId;
    while (j < ids.length && (ids[j] as string) < id) rows.add(ids[j++] as string);
    if (j < ids.length && ids[j] === id) {
      const key = keys[j++];
      if (d.active && typeof key === 'string' && key === comparisonKey(d)) unchanged += 1;
      else {
        changed.push(d);
        rows.add(id);
      }
    } else changed.push(d);
  }
  while (j < ids.length) rows.add(ids[j++] as string);
  return { changed, unchanged, rows };
}

function splitByLookup(desired: readonly DesiredUser[], desiredIds: readonly string[], snapshot: SnapshotKeys): UnchangedSplit {
  const keys = new Map<string, string | null>();
  snapshot.ids.forEach((id, i) => keys.set(id, snapshot.keys[i] ?? null));
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const id of desiredIds) {
    if (seen.has(id)) twice.add(id);
    else seen.add(id);
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
