/**
 * The attributes dirsync manages on a target account. Desired state and snapshot share this
 * shape so the planner can compare them field by field.
 */
export interface ManagedAttributes {
  readonly userName: string;
  readonly email: string;
  readonly givenName: string;
  readonly familyName: string;
  readonly displayName: string;
  readonly role: string;
  readonly userType: string;
  readonly active: boolean;
}

export const MANAGED_FIELDS = [
  'userName',
  'email',
  'givenName',
  'familyName',
  'displayName',
  'role',
  'userType',
  'active',
] as const satisfies readonly (keyof ManagedAttributes)[];

export type ManagedField = (typeof MANAGED_FIELDS)[number];

/** What the directory says a user's account should be. */
export interface DesiredUser extends ManagedAttributes {
  readonly externalId: string;
  readonly dn: string;
  /** The mapped groups that put the user in scope, in config order (the first gave role and type). */
  readonly groups: readonly string[];
}

/** What the target confirmed for an account we manage (invariant 4: never what we hoped). */
export interface SnapshotUser extends ManagedAttributes {
  readonly externalId: string;
  readonly targetId: string;
  readonly dn: string;
  readonly updatedAt: string;
}
