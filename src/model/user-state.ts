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

/** Licenses and target groups of an account, each list sorted and without duplicates. */
export interface AccountAccess {
  readonly licenses: readonly string[];
  readonly targetGroups: readonly string[];
}

export const NO_ACCESS: AccountAccess = { licenses: [], targetGroups: [] };

/** What the directory says a user's account should be. */
export interface DesiredUser extends ManagedAttributes, AccountAccess {
  readonly externalId: string;
  readonly dn: string;
  /** The mapped groups that put the user in scope (the one with the best priority gave role and type). */
  readonly groups: readonly string[];
}

/**
 * What the target confirmed for an account we manage (invariant 4: never what we hoped). Its
 * licenses and target groups are the ones dirsync granted and the target confirmed.
 */
export interface SnapshotUser extends ManagedAttributes, AccountAccess {
  readonly externalId: string;
  readonly targetId: string;
  readonly dn: string;
  readonly updatedAt: string;
  /** When dirsync deactivated the account (staged deprovisioning counts from here); unset while active. */
  readonly deactivatedAt?: string | undefined;
}

/**
 * Every snapshot row's comparison key (plan/unchanged.ts comparisonKey), in the snapshot's order
 * of externalId: the key when the row is active and readable, else null (always planned).
 */
export interface SnapshotKeys {
  readonly ids: readonly string[];
  readonly keys: readonly (string | null)[];
}
