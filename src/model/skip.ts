export type SkipReason =
  | 'USERNAME_MISSING'
  | 'USERNAME_TOO_SHORT'
  | 'USERNAME_TOO_LONG'
  | 'USERNAME_DUPLICATE'
  | 'EMAIL_MISSING'
  | 'EMAIL_INVALID'
  | 'EMAIL_APOSTROPHE'
  | 'EMAIL_DUPLICATE'
  | 'ID_MISSING'
  | 'ID_DUPLICATE'
  | 'DISABLED_NEVER_PROVISIONED'
  | 'NEEDS_CONSOLIDATION'
  | 'TARGET_REJECTED';

/** A directory user who was not provisioned in this run, and why (always names the DN). */
export interface SkippedUser {
  readonly dn: string;
  readonly externalId?: string;
  readonly reason: SkipReason;
  readonly message: string;
}
