import type { SkipReason } from './skip';

/**
 * What the product's rules make of an entry's own attributes (username, email, names), before
 * its groups are known. A full read computes it as each entry arrives, so the entry's raw
 * attributes can go at once; failed: the reason the user is skipped, once found in scope.
 */
export type UserProfile =
  | {
      readonly ok: true;
      readonly userName: string;
      readonly email: string;
      readonly givenName: string;
      readonly familyName: string;
      readonly displayName: string;
    }
  | { readonly ok: false; readonly reason: SkipReason; readonly message: string };

/** One directory entry in scope, as read: attribute names are lower-cased, values are strings. */
export interface DirectoryUser {
  /** The entry's DN as the server gave it (used in reports). */
  readonly dn: string;
  /** The server's stable id (entryUUID / objectGUID), carried to the target as externalId. */
  readonly externalId: string;
  readonly attributes: Readonly<Record<string, readonly string[]>>;
  /** Mapped group DNs (as configured) the user is a member of, in config order. */
  readonly groups: readonly string[];
  /** The directory says the account is disabled. */
  readonly disabled: boolean;
  /** Set when the rules ran as the entry was read; `attributes` may then be empty. */
  readonly profile?: UserProfile;
}
