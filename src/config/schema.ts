import { z } from 'zod';

/**
 * A secret is never written in clear text in the config: it is a reference that load.ts
 * resolves at start-up, so a config file can be shared or committed without leaking it.
 */
export const SecretRef = z.string().regex(/^(\$\{env:[A-Za-z_][A-Za-z0-9_]*\}|file:.+)$/, {
  message: 'must be a reference, ${env:NAME} or file:/path/to/secret, never the secret itself',
});

const LdapUrl = z.string().regex(/^ldaps?:\/\/[^/\s]+\/?$/i, {
  message: 'must be ldap://host[:port] or ldaps://host[:port]',
});

const Dn = z.string().trim().min(1, { message: 'must not be empty' });

/** Attribute names: letters, digits, hyphens (RFC 4512 descr) or an OID. */
const AttributeName = z.string().regex(/^([A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)+)$/, {
  message: 'must be an LDAP attribute name',
});

export const MappedGroup = z.strictObject({
  /** The group's DN. */
  dn: Dn,
  /** Product role given to members (Viewer, User, Publisher, Data Editor, Administrator, custom). */
  role: z.string().trim().min(1),
  /** Product user type given to members (Viewer, Editor, Creator, ...). */
  userType: z.string().trim().min(1),
  /** Include members of nested groups; unset = the directory's default (`directory.nestedGroups`). */
  nested: z.boolean().optional(),
});
export type MappedGroup = z.infer<typeof MappedGroup>;

export const DirectoryConfig = z.strictObject({
  /** auto: read the server's RootDSE (Active Directory announces itself there). */
  type: z.enum(['auto', 'activedirectory', 'openldap', 'ldap']).default('auto'),
  /** One URL, or several domain controllers tried in order (failover). */
  url: z.union([LdapUrl, z.array(LdapUrl).min(1)]),
  bindDn: Dn,
  bindPassword: SecretRef,
  tls: z
    .strictObject({
      /** PEM file of the CA (or self-signed certificate) that signed the server certificate. */
      caFile: z.string().min(1).optional(),
      /** Upgrade an ldap:// connection with StartTLS before binding. */
      startTls: z.boolean().default(false),
    })
    .default({ startTls: false }),
  /** Allow a bind over a connection that is neither ldaps:// nor StartTLS. Never in production. */
  allowInsecure: z.boolean().default(false),
  timeoutMs: z.number().int().positive().default(30_000),
  pageSize: z.number().int().min(1).max(1000).default(500),
  users: z.strictObject({
    /** Several bases are read one after the other; a failed base holds deactivations. */
    baseDns: z.array(Dn).min(1),
    /** Unset: (&(objectCategory=person)(objectClass=user)) on AD, (objectClass=inetOrgPerson) elsewhere. */
    filter: z.string().trim().min(1).optional(),
    /** The server's stable id. Unset: objectGUID on AD, entryUUID elsewhere. */
    idAttribute: AttributeName.optional(),
  }),
  /** Directory attributes mapped to the product's user fields. */
  attributes: z
    .strictObject({
      /** Template over attributes, e.g. "{uid}" or "{sAMAccountName}_{o}". Unset: {sAMAccountName} on AD, {uid} elsewhere. */
      username: z.string().min(1).optional(),
      email: AttributeName.default('mail'),
      givenName: AttributeName.default('givenName'),
      familyName: AttributeName.default('sn'),
      displayName: AttributeName.default('displayName'),
    })
    .default({ email: 'mail', givenName: 'givenName', familyName: 'sn', displayName: 'displayName' }),
  /**
   * Plain LDAP only: an attribute that marks a locked account when present (pwdAccountLockedTime,
   * nsAccountLock; a value of "false" or "0" means not locked). AD always uses userAccountControl.
   */
  lockAttribute: AttributeName.optional(),
  /** Member attribute of groups (groupOfNames: member). */
  memberAttribute: AttributeName.default('member'),
  /** Include nested group members (per-group `nested` overrides). Unset: on for AD, off for plain LDAP. */
  nestedGroups: z.boolean().optional(),
  /** How deep nested groups are followed on plain LDAP before the group's read is declared incomplete. */
  maxNestingDepth: z.number().int().min(1).max(100).default(10),
  /** Mapped groups; a user in several gets role and user type from the first one listed. */
  groups: z.array(MappedGroup).min(1, { message: 'at least one group must be mapped' }),
});
export type DirectoryConfig = z.infer<typeof DirectoryConfig>;

export const RulesConfig = z
  .strictObject({
    /** Fold accents before the username rule (é -> e). Off: the product applies the plain rule. */
    foldAccents: z.boolean().default(false),
    /** Case of generated usernames; collisions are always detected case-insensitively. */
    usernameCase: z.enum(['preserve', 'lower']).default('preserve'),
  })
  .default({ foldAccents: false, usernameCase: 'preserve' });
export type RulesConfig = z.infer<typeof RulesConfig>;

export const TargetConfig = z.strictObject({
  /** Base URL of the SCIM 2.0 API, e.g. https://api.example.com/scim/v2 */
  url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }),
  token: SecretRef,
  /** PEM CA file for a target with a private CA. */
  caFile: z.string().min(1).optional(),
  /** Allow plain http to a host other than loopback. Never in production. */
  allowInsecure: z.boolean().default(false),
  timeoutMs: z.number().int().positive().default(30_000),
  /** Requests in flight at once. */
  concurrency: z.number().int().min(1).max(64).default(4),
});
export type TargetConfig = z.infer<typeof TargetConfig>;

export const StateConfig = z
  .strictObject({
    /** SQLite file holding the snapshot, runs and journal. Relative paths are from the config file. */
    path: z.string().min(1).default('dirsync-state.db'),
  })
  .default({ path: 'dirsync-state.db' });

export const LoggingConfig = z
  .strictObject({
    level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
  })
  .default({ level: 'info' });

export const Config = z.strictObject({
  $schema: z.string().optional(),
  directory: DirectoryConfig,
  rules: RulesConfig,
  target: TargetConfig,
  state: StateConfig,
  logging: LoggingConfig,
});
export type Config = z.infer<typeof Config>;
