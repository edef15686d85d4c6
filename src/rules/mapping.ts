export interface GroupMapping {
  readonly dn: string;
  readonly role: string;
  readonly userType: string;
  /** Add-on licenses members get (catalog names). */
  readonly licenses?: readonly string[];
  /** Target (SCIM) groups members are placed in. */
  readonly targetGroups?: readonly string[];
  /** Lower wins role and user type; unset: the mapping's position in the list. */
  readonly priority?: number | undefined;
}

export interface MappedAccess {
  readonly role: string;
  readonly userType: string;
  /** The group that gave role and user type. */
  readonly decidedBy: string;
  /** Its effective priority (lower first): also the user's place in the queue for scarce seats. */
  readonly priority: number;
  /** Union over the user's mapped groups, sorted. */
  readonly licenses: readonly string[];
  readonly targetGroups: readonly string[];
}

/** A mapping's effective priority: its own, or its position in the list. */
export function priorityOf(mapping: GroupMapping, index: number): number {
  return mapping.priority ?? index;
}

function sortedUnion(lists: readonly (readonly string[] | undefined)[]): string[] {
  const all = new Set<string>();
  for (const list of lists) for (const item of list ?? []) all.add(item);
  return [...all].sort();
}

/**
 * Role and user type come from the mapped group with the lowest priority number the user is in
 * (ties: the one listed first); licenses and target groups are the union over all of them.
 * The result never depends on the order the directory returned groups in.
 */
export function mapAccess(userGroups: readonly string[], mappings: readonly GroupMapping[]): MappedAccess | undefined {
  const member = new Set(userGroups);
  let best: { mapping: GroupMapping; priority: number } | undefined;
  const mine: GroupMapping[] = [];
  mappings.forEach((mapping, index) => {
    if (!member.has(mapping.dn)) return;
    mine.push(mapping);
    const priority = priorityOf(mapping, index);
    if (!best || priority < best.priority) best = { mapping, priority };
  });
  if (!best) return undefined;
  const { mapping, priority } = best;
  return {
    role: mapping.role,
    userType: mapping.userType,
    decidedBy: mapping.dn,
    priority,
    licenses: sortedUnion(mine.map((m) => m.licenses)),
    targetGroups: sortedUnion(mine.map((m) => m.targetGroups)),
  };
}

/** Which of the user's mapped groups grant a license (for `dirsync explain`). */
export function grantingGroups(
  userGroups: readonly string[],
  mappings: readonly GroupMapping[],
  pick: (m: GroupMapping) => readonly string[] | undefined,
  item: string,
): string[] {
  const member = new Set(userGroups);
  return mappings.filter((m) => member.has(m.dn) && (pick(m) ?? []).includes(item)).map((m) => m.dn);
}
