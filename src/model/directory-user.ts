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
}
