export interface GroupMapping {
  readonly dn: string;
  readonly role: string;
  readonly userType: string;
}

export interface MappedAccess {
  readonly role: string;
  readonly userType: string;
}

/**
 * Role and user type come from the first mapped group, in config order, that the user is in.
 * Config order is the admin's stated priority, so the result never depends on read order.
 */
export function mapAccess(userGroups: readonly string[], mappings: readonly GroupMapping[]): MappedAccess | undefined {
  const member = new Set(userGroups);
  const first = mappings.find((m) => member.has(m.dn));
  return first && { role: first.role, userType: first.userType };
}
