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
  dn: Dn.describe('DN of the group whose members get accounts'),
  /** Product role given to members (Viewer, User, Publisher, Data Editor, Administrator, custom). */
  role: z
    .string()
    .trim()
    .min(1)
    .describe('Product role given to members: Viewer, User, Publisher, Data Editor, Administrator or custom'),
  /** Product user type given to members (Viewer, Editor, Creator, ...). */
  userType: z.string().trim().min(1).describe('Product user type given to members: Viewer, Editor, Creator, ...'),
  /** Include members of nested groups; unset = the directory's default (`directory.nestedGroups`). */
  nested: z.boolean().optional().describe('Include members of nested groups; unset: directory.nestedGroups'),
  /** Add-on licenses (names from `licensing.licenses`) granted to members; a user gets the union over their groups. */
  licenses: z
    .array(z.string().trim().min(1))
    .default([])
    .describe('Add-on licenses (names from licensing.licenses) granted to members; a user gets those of all their groups'),
  /** Target (SCIM) groups, by displayName, that members are placed in; created on the target when missing. */
  targetGroups: z
    .array(z.string().trim().min(1))
    .default([])
    .describe('Target (SCIM) groups, by displayName, members are placed in; created on the target when missing'),
  /**
   * Who wins when a user is in several mapped groups: the lowest priority number gives role and
   * user type (and goes first for scarce license seats). Unset: the group's position in the list.
   */
  priority: z
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .optional()
    .describe('Lowest number gives role and user type (and goes first for scarce seats); unset: the position in the list'),
});
export type MappedGroup = z.infer<typeof MappedGroup>;

const LicenseName = z.string().trim().min(1);

export const LicenseDefinition = z.strictObject({
  /** The license as the target knows it: the value sent in entitlements, roles or the extension attribute. */
  name: LicenseName.describe('The license as the target knows it: the value sent in entitlements, roles or the extension'),
  /**
   * Seats the connector may hand out: a number, or "target" to read the count from the target
   * (attribute `seats` of the licensing Group extension on the SCIM Group named like the license).
   * Unset: unlimited.
   */
  seats: z
    .union([z.number().int().min(0), z.literal('target')])
    .optional()
    .describe('Seats the connector may hand out: a number, or "target" to read the count from the target; unset: unlimited'),
  /** representation "groups" (and seats "target"): displayName of the SCIM Group that stands for the license. Unset: the name. */
  group: z
    .string()
    .trim()
    .min(1)
    .optional()
    .describe('representation "groups": displayName of the SCIM Group standing for the license; unset: the name'),
});
export type LicenseDefinition = z.infer<typeof LicenseDefinition>;

export const UserTypeRules = z.strictObject({
  /** Roles this user type allows; a mapped group giving another role with this type is a config error. */
  roles: z
    .array(z.string().trim().min(1))
    .min(1)
    .describe('Roles this user type allows; a mapped group giving another role with this type is a config error'),
  /** Licenses this user type allows; another license is not assigned and is reported. */
  licenses: z
    .array(LicenseName)
    .default([])
    .describe('Licenses this user type allows; another one is not assigned and is reported'),
});

const Representation = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('entitlements') }),
  z.strictObject({ kind: z.literal('roles') }),
  z.strictObject({
    kind: z.literal('extension'),
    /** Schema URN of the User extension, e.g. urn:dirsync:params:scim:schemas:extension:licensing:2.0:User */
    schema: z
      .string()
      .regex(/^urn:[^\s]+$/, { message: 'must be a schema URN (urn:...)' })
      .describe('Schema URN of the User extension holding the licenses'),
    /** Multi-valued complex attribute of that extension whose `value` holds a license name. */
    attribute: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_$-]*$/, { message: 'must be a SCIM attribute name' })
      .describe('Multi-valued attribute of that extension whose value holds a license name'),
  }),
  z.strictObject({ kind: z.literal('groups') }),
]);
export type LicenseRepresentation = z.infer<typeof Representation>;

export const LicensingConfig = z
  .strictObject({
    /** The licenses (add-on licenses / product access) the connector manages. */
    licenses: z
      .array(LicenseDefinition)
      .default([])
      .describe('The licenses (add-on licenses, product access) the connector manages'),
    /** Compatibility table: which roles and licenses each user type allows. Unset: no checks. */
    userTypes: z
      .record(z.string().trim().min(1), UserTypeRules)
      .optional()
      .describe('Which roles and licenses each user type allows; unset: no checks'),
    /** How licenses appear on the target: entitlements, roles, an extension attribute, or SCIM Group membership. */
    representation: Representation.default({ kind: 'entitlements' }).describe(
      'How licenses appear on the target: entitlements, roles, an extension attribute, or SCIM Group membership',
    ),
    /**
     * true: the connector owns the managed licenses: one found on a managed user without a
     * granting group is removed. false: it is reported and left alone.
     */
    exclusive: z
      .boolean()
      .default(false)
      .describe('true: a managed license no group grants is removed from the user; false: reported and left alone'),
    /**
     * When the licenses the target actually holds are read and repaired (drift): "full" on full
     * syncs (daily in the daemon), "always" on every run, "never".
     */
    reconcile: z
      .enum(['full', 'always', 'never'])
      .default('full')
      .describe('When the licenses the target holds are read and repaired: on full syncs, every run, or never'),
    /** Staged deprovisioning of deactivated users. */
    deprovision: z
      .strictObject({
        /** Days after deactivation before a user's licenses are released (0: at once). */
        revokeLicensesAfterDays: z
          .number()
          .int()
          .min(0)
          .max(3650)
          .default(30)
          .describe("Days after deactivation before a user's licenses are released (0: at once)"),
        /** Days after deactivation before the account is deleted. Unset: never (deletion is off by default). */
        deleteAfterDays: z
          .number()
          .int()
          .min(1)
          .max(3650)
          .optional()
          .describe('Days after deactivation before the account is deleted; unset: never'),
      })
      .default({ revokeLicensesAfterDays: 30 })
      .describe('Staged deprovisioning of deactivated users: licenses released, then optionally the account deleted'),
  })
  .default({
    licenses: [],
    representation: { kind: 'entitlements' },
    exclusive: false,
    reconcile: 'full',
    deprovision: { revokeLicensesAfterDays: 30 },
  });
export type LicensingConfig = z.infer<typeof LicensingConfig>;

export const DirectoryConfig = z.strictObject({
  /** auto: read the server's RootDSE (Active Directory announces itself there). */
  type: z
    .enum(['auto', 'activedirectory', 'openldap', 'ldap'])
    .default('auto')
    .describe("Directory vendor; auto reads the server's RootDSE"),
  /** One URL, or several domain controllers tried in order (failover). */
  url: z
    .union([LdapUrl, z.array(LdapUrl).min(1)])
    .describe('ldaps://host:636 (or ldap://host:389 with tls.startTls), or a list of domain controllers tried in order'),
  bindDn: Dn.describe('DN (or user@domain on AD) of the read-only service account dirsync binds as'),
  bindPassword: SecretRef.describe('Password of bindDn as a reference: ${env:NAME} or file:/path, never the password itself'),
  tls: z
    .strictObject({
      /** PEM file of the CA (or self-signed certificate) that signed the server certificate. */
      caFile: z
        .string()
        .min(1)
        .optional()
        .describe('PEM file of the CA (or self-signed certificate) that signed the directory certificate'),
      /** Upgrade an ldap:// connection with StartTLS before binding. */
      startTls: z.boolean().default(false).describe('Upgrade an ldap:// connection with StartTLS before binding'),
    })
    .default({ startTls: false })
    .describe('TLS of the directory connection'),
  /** Allow a bind over a connection that is neither ldaps:// nor StartTLS. Never in production. */
  allowInsecure: z
    .boolean()
    .default(false)
    .describe('Allow a bind over a connection that is neither ldaps:// nor StartTLS. Never in production'),
  timeoutMs: z.number().int().positive().default(30_000).describe('Timeout of each directory operation, in milliseconds'),
  pageSize: z.number().int().min(1).max(1000).default(500).describe('Entries per page of a paged search'),
  users: z.strictObject({
    /** Several bases are read one after the other; a failed base holds deactivations. */
    baseDns: z.array(Dn).min(1).describe('Where the users live; several are read one after the other'),
    /** Unset: (&(objectCategory=person)(objectClass=user)) on AD, (objectClass=inetOrgPerson) elsewhere. */
    filter: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe(
        'Filter of user entries; unset: (&(objectCategory=person)(objectClass=user)) on AD, (objectClass=inetOrgPerson) else',
      ),
    /** The server's stable id. Unset: objectGUID on AD, entryUUID elsewhere. */
    idAttribute: AttributeName.optional().describe(
      "The server's stable id attribute; unset: objectGUID on AD, entryUUID elsewhere",
    ),
  }),
  /** Directory attributes mapped to the product's user fields. */
  attributes: z
    .strictObject({
      /** Template over attributes, e.g. "{uid}" or "{sAMAccountName}_{o}". Unset: {sAMAccountName} on AD, {uid} elsewhere. */
      username: z
        .string()
        .min(1)
        .optional()
        .describe('Username template over attributes, e.g. {uid}; unset: {sAMAccountName} on AD, {uid} elsewhere'),
      email: AttributeName.default('mail').describe('Attribute holding the email address'),
      givenName: AttributeName.default('givenName').describe('Attribute holding the first name'),
      familyName: AttributeName.default('sn').describe('Attribute holding the last name'),
      displayName: AttributeName.default('displayName').describe('Attribute holding the display name'),
    })
    .default({ email: 'mail', givenName: 'givenName', familyName: 'sn', displayName: 'displayName' })
    .describe("Directory attributes mapped to the product's user fields"),
  /**
   * Plain LDAP only: an attribute that marks a locked account when present (pwdAccountLockedTime,
   * nsAccountLock; a value of "false" or "0" means not locked). AD always uses userAccountControl.
   */
  lockAttribute: AttributeName.optional().describe(
    'Plain LDAP: an attribute marking a locked account when present (AD uses userAccountControl)',
  ),
  /** Member attribute of groups (groupOfNames: member). */
  memberAttribute: AttributeName.default('member').describe('Member attribute of groups'),
  /** Include nested group members (per-group `nested` overrides). Unset: on for AD, off for plain LDAP. */
  nestedGroups: z.boolean().optional().describe('Include members of nested groups; unset: on for AD, off for plain LDAP'),
  /** How deep nested groups are followed on plain LDAP before the group's read is declared incomplete. */
  maxNestingDepth: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(10)
    .describe('Plain LDAP: how deep nested groups are followed before the read counts as incomplete'),
  /** Mapped groups; a user in several gets role and user type from the first one listed. */
  groups: z
    .array(MappedGroup)
    .min(1, { message: 'at least one group must be mapped' })
    .describe('Mapped groups: their members get accounts with the role, user type and licenses given here'),
});
export type DirectoryConfig = z.infer<typeof DirectoryConfig>;

export const RulesConfig = z
  .strictObject({
    /** Fold accents before the username rule (é -> e). Off: the product applies the plain rule. */
    foldAccents: z.boolean().default(false).describe('Fold accents before the username rule (é -> e)'),
    /** Case of generated usernames; collisions are always detected case-insensitively. */
    usernameCase: z
      .enum(['preserve', 'lower'])
      .default('preserve')
      .describe('Case of generated usernames; collisions are always detected ignoring case'),
  })
  .default({ foldAccents: false, usernameCase: 'preserve' });
export type RulesConfig = z.infer<typeof RulesConfig>;

export const TargetConfig = z.strictObject({
  /** Base URL of the SCIM 2.0 API, e.g. https://api.example.com/scim/v2 */
  url: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .describe('Base URL of the SCIM 2.0 API, e.g. https://api.example.com/scim/v2'),
  token: SecretRef.describe('API token as a reference: ${env:NAME} or file:/path, never the token itself'),
  /** PEM CA file for a target with a private CA. */
  caFile: z.string().min(1).optional().describe('PEM CA file for a target with a private CA'),
  /** Allow plain http to a host other than loopback. Never in production. */
  allowInsecure: z.boolean().default(false).describe('Allow plain http to a host other than loopback. Never in production'),
  timeoutMs: z.number().int().positive().default(30_000).describe('Timeout of each request, in milliseconds'),
  /** Requests in flight at once. */
  concurrency: z.number().int().min(1).max(64).default(4).describe('Requests in flight at once'),
  /** Client-side rate limit: request starts are spaced 1/requestsPerSecond apart. Unset: no limit. */
  rateLimit: z
    .strictObject({ requestsPerSecond: z.number().positive().max(10_000).describe('Request starts per second at most') })
    .optional()
    .describe('Client-side rate limit: request starts spaced 1/requestsPerSecond apart; unset: no limit'),
  /** Retries of 429, 5xx and timeouts: exponential backoff with full jitter, never below Retry-After. */
  retry: z
    .strictObject({
      maxAttempts: z.number().int().min(1).max(20).default(5).describe('Tries of one request, the first included'),
      baseDelayMs: z.number().int().min(0).max(60_000).default(250).describe('Backoff before the first retry, in milliseconds'),
      maxDelayMs: z.number().int().min(0).max(600_000).default(30_000).describe('Longest backoff between tries, in milliseconds'),
    })
    .default({ maxAttempts: 5, baseDelayMs: 250, maxDelayMs: 30_000 })
    .describe('Retries of 429, 5xx and timeouts: exponential backoff with full jitter, never below Retry-After'),
  /**
   * SCIM Bulk (RFC 7644 §3.7) for simple creates, updates and deactivations: `auto` uses it when
   * the target's /ServiceProviderConfig advertises it, `off` never does.
   */
  bulk: z.enum(['auto', 'off']).default('auto'),
  /** Operations per bulk request at most; never above the target's bulk.maxOperations. */
  bulkMaxOperations: z.number().int().min(1).max(10_000).default(100),
});
export type TargetConfig = z.infer<typeof TargetConfig>;

/**
 * Mass-change guard. A run that would deactivate more than `maxCount` users, or more than
 * `maxPercent` % of the active users dirsync manages, sends none of those deactivations until
 * an admin approves (`dirsync sync --approve`, or a frozen plan). The percentage never stops a
 * single deactivation; `maxCount: 0` makes every deactivation wait for approval.
 */
const GuardLimits = z.strictObject({
  maxCount: z.number().int().min(0).default(10).describe('More than this many in one run wait for approval (0: every one waits)'),
  maxPercent: z
    .number()
    .min(0)
    .max(100)
    .default(5)
    .describe('More than this % of the active managed users in one run wait for approval (never stops a single one)'),
});

export const GuardConfig = z
  .strictObject({
    deactivations: GuardLimits.default({ maxCount: 10, maxPercent: 5 }).describe('Users deactivated in one run'),
    /** Users losing at least one license in one run (releases after the grace period are not counted: their deactivation was). */
    licenseRevocations: GuardLimits.default({ maxCount: 10, maxPercent: 5 }).describe(
      'Users losing at least one license in one run',
    ),
    /** Accounts deleted by staged deprovisioning in one run. */
    deletions: GuardLimits.default({ maxCount: 10, maxPercent: 5 }).describe(
      'Accounts deleted by staged deprovisioning in one run',
    ),
  })
  .default({
    deactivations: { maxCount: 10, maxPercent: 5 },
    licenseRevocations: { maxCount: 10, maxPercent: 5 },
    deletions: { maxCount: 10, maxPercent: 5 },
  });
export type GuardConfig = z.infer<typeof GuardConfig>;

export const StateConfig = z
  .strictObject({
    /** SQLite file holding the snapshot, runs and journal. Relative paths are from the config file. */
    path: z
      .string()
      .min(1)
      .default('dirsync-state.db')
      .describe('SQLite file holding the snapshot, runs and journal; a relative path is from the config file'),
  })
  .default({ path: 'dirsync-state.db' });

export const LoggingConfig = z
  .strictObject({
    level: z.enum(['error', 'warn', 'info', 'debug']).default('info').describe('Log level (--verbose: debug)'),
    /** JSON-lines log files, one per day (dirsync-YYYY-MM-DD.log). Unset: console only. */
    file: z
      .strictObject({
        dir: z.string().min(1).describe('Folder of the log files; a relative path is from the config file'),
        /** Days of log files kept; older ones are deleted. */
        keepDays: z.number().int().min(1).max(3650).default(30).describe('Days of log files kept; older ones are deleted'),
      })
      .optional()
      .describe('JSON-lines log files, one per day (dirsync-YYYY-MM-DD.log); unset: console only'),
  })
  .default({ level: 'info' });

export const ReportsConfig = z
  .strictObject({
    /** Every sync, plan and apply writes <run id>.json and <run id>.csv here. Relative: from the config file. */
    dir: z
      .string()
      .min(1)
      .default('reports')
      .describe('Every sync, plan and apply writes <run id>.json and .csv here; a relative path is from the config file'),
    /** Days of reports kept; older ones are deleted after each run. */
    keepDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(90)
      .describe('Days of reports kept; older ones are deleted after each run'),
  })
  .default({ dir: 'reports', keepDays: 90 });

export const DaemonConfig = z
  .strictObject({
    /** node-cron expression of the delta syncs (and of the first full sync when none was made yet). */
    schedule: z.string().min(1).default('*/30 * * * *').describe('Cron expression of the delta syncs'),
    /** node-cron expression of the full syncs, which also catch what deltas cannot see (deletions, moves out of scope). */
    fullSchedule: z
      .string()
      .min(1)
      .default('15 2 * * *')
      .describe('Cron expression of the full syncs, which also catch deletions and moves out of scope'),
    /** Time zone of both schedules (IANA name); unset: the machine's. */
    timezone: z.string().min(1).optional().describe("IANA time zone of both schedules; unset: the machine's"),
    /** Staging (standby) server: read and plan on schedule, never send anything. */
    staging: z.boolean().default(false).describe('Staging (standby) server: read and plan on schedule, never send anything'),
  })
  .default({ schedule: '*/30 * * * *', fullSchedule: '15 2 * * *', staging: false });

/** Optional HTTP listener of the daemon: GET /healthz and GET /metrics (Prometheus). */
export const HealthConfig = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Start the listener with the daemon'),
    /** Loopback by default; another address exposes run counts to whoever can reach it. */
    host: z.string().trim().min(1).default('127.0.0.1').describe('Address to listen on; loopback by default'),
    /** 0 picks a free port (tests). 9464 is the port Prometheus exporters of this kind commonly use. */
    port: z.number().int().min(0).max(65_535).default(9464).describe('Port to listen on (0: a free one)'),
    /** /healthz answers "stale" (503) when no run finished for this long; set ~3x the schedule's interval. */
    maxAgeSeconds: z
      .number()
      .int()
      .min(60)
      .default(7200)
      .describe('/healthz answers stale (503) when no run finished for this long; about 3x the schedule interval'),
  })
  .default({ enabled: false, host: '127.0.0.1', port: 9464, maxAgeSeconds: 7200 });
export type HealthConfig = z.infer<typeof HealthConfig>;

/** RFC 9110 token: what a header name may be. */
const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { message: 'must be an HTTP header name' });
/** Header names whose value is a credential: these must be secret references, like the other secrets. */
const SECRET_HEADER = /auth|token|secret|key|signature|password|cookie/i;

export const WebhookConfig = z.strictObject({
  /** https URL, or a secret reference to one (chat webhook URLs carry their token in the path). */
  url: z
    .union([SecretRef, z.url({ protocol: /^https?$/, message: 'must be an http(s) URL or a secret reference' })])
    .describe('https URL of the webhook, or a secret reference to one'),
  /** Extra request headers: a secret reference (resolved at start-up) or a plain value. */
  headers: z
    .record(HeaderName, z.string().min(1))
    .superRefine((headers, ctx) => {
      for (const [name, value] of Object.entries(headers)) {
        if (SECRET_HEADER.test(name) && !SecretRef.safeParse(value).success) {
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: 'must be a reference, ${env:NAME} or file:/path/to/secret, never the secret itself',
          });
        }
      }
    })
    .optional()
    .describe('Extra request headers; credentials (Authorization, tokens, keys) must be secret references'),
  /** Allow plain http to a host other than loopback. Never in production. */
  allowInsecure: z.boolean().default(false).describe('Allow plain http to a host other than loopback. Never in production'),
});
export type WebhookConfig = z.infer<typeof WebhookConfig>;

export const EmailConfig = z
  .strictObject({
    /** SMTP server. */
    host: z.string().trim().min(1).describe('SMTP server'),
    port: z.number().int().min(1).max(65_535).default(587).describe('SMTP port'),
    /** true: TLS from the first byte (port 465). false: STARTTLS when offered, required when a password is sent. */
    secure: z.boolean().default(false).describe('true: TLS from the first byte (port 465); false: STARTTLS'),
    user: z.string().min(1).optional().describe('SMTP user'),
    password: SecretRef.optional().describe('SMTP password as a reference: ${env:NAME} or file:/path'),
    from: z.string().trim().min(1).describe('Sender address'),
    to: z.array(z.email()).min(1).describe('Recipient addresses'),
  })
  .refine((e) => e.password === undefined || e.user !== undefined, {
    message: 'a password needs a user',
    path: ['user'],
  });
export type EmailConfig = z.infer<typeof EmailConfig>;

/**
 * Notifications of the daemon: a failed run, a guard stop, directory problems, a license
 * shortfall. The same kind of incident notifies at most once per `minIntervalMinutes` while it
 * lasts; a successful run after an incident sends one "resolved".
 */
export const NotificationsConfig = z
  .strictObject({
    webhook: WebhookConfig.optional().describe('Chat or incident webhook'),
    email: EmailConfig.optional().describe('Email through SMTP'),
    minIntervalMinutes: z
      .number()
      .int()
      .min(1)
      .max(40_320)
      .default(240)
      .describe('The same kind of incident notifies at most once per this many minutes while it lasts'),
  })
  .default({ minIntervalMinutes: 240 });
export type NotificationsConfig = z.infer<typeof NotificationsConfig>;

const DomainName = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
    message: 'must be a domain name such as example.com',
  });

/** The product's preconditions (DOMAIN.md), checked by `dirsync doctor` and `dirsync report domains`. */
export const ProductConfig = z
  .strictObject({
    verifiedDomains: z
      .array(DomainName)
      .default([])
      .describe('Email domains verified (DNS) in the product organisation; users of other domains land Unverified'),
    adminUserName: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe('userName on the target of the organisation admin the API token acts for; doctor checks it'),
    adminRoles: z
      .array(z.string().trim().min(1))
      .min(1)
      .default(['Administrator'])
      .describe('Role values that make an account a product admin'),
  })
  .default({ verifiedDomains: [], adminRoles: ['Administrator'] });
export type ProductConfig = z.infer<typeof ProductConfig>;

const CsvGroup = z.strictObject({
  /** A value of the group column (compared ignoring case). */
  name: z.string().trim().min(1).describe('A value of the group column (compared ignoring case)'),
  role: z.string().trim().min(1).describe('Product role given to the rows of this group'),
  userType: z.string().trim().min(1).describe('Product user type given to the rows of this group'),
  licenses: z.array(z.string().trim().min(1)).default([]).describe('Add-on licenses (names from licensing.licenses) granted'),
  targetGroups: z.array(z.string().trim().min(1)).default([]).describe('Target (SCIM) groups, by displayName'),
  priority: z.number().int().min(0).max(1_000_000).optional().describe('Lowest number gives role and user type'),
});

/** A CSV file (an HR export) read instead of a directory; see README "A CSV file as the source". */
export const CsvSourceConfig = z
  .strictObject({
    file: z.string().min(1).describe('CSV file; a relative path is from the config file'),
    format: z
      .enum(['builtin', 'saml'])
      .default('builtin')
      .describe('builtin: Email,Role,User Type,First Name,Last Name,Username,Password; saml: ...,Username[,Identity Type]'),
    idColumn: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe('Column holding a stable id (employee number); unset: the email, lower-cased'),
    groupColumn: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe('Column naming the group(s) of a row (several separated by ";"); mapped by `groups`'),
    groups: z.array(CsvGroup).min(1).optional().describe('Group column values mapped to role and user type, first listed wins'),
  })
  .refine((c) => (c.groupColumn === undefined) === (c.groups === undefined), {
    message:
      'groupColumn and groups go together: set both, or neither (role and user type then come from the Role and User Type columns)',
    path: ['groups'],
  });
export type CsvSourceConfig = z.infer<typeof CsvSourceConfig>;

export const SourceConfig = z.strictObject({
  csv: CsvSourceConfig.describe('A CSV file (an HR export) read instead of a directory'),
});

export const Config = z
  .strictObject({
    $schema: z.string().optional().describe('The JSON Schema of this file, for editors (yaml-language-server)'),
    directory: DirectoryConfig.optional().describe('The LDAP / Active Directory source (or `source.csv` instead)'),
    source: SourceConfig.optional().describe('A CSV file as the source, instead of `directory`'),
    product: ProductConfig.describe('The product organisation: verified domains and admin account (dirsync doctor)'),
    rules: RulesConfig.describe("How the product's username rule is applied"),
    target: TargetConfig.describe("The product's SCIM 2.0 provisioning API"),
    licensing: LicensingConfig.describe(
      'Licenses: catalog, seats, compatibility per user type, representation, drift, staged deprovisioning',
    ),
    guard: GuardConfig.describe(
      'Mass-change guard: too many deactivations, license revocations or deletions in one run wait for approval',
    ),
    state: StateConfig.describe('The SQLite state database (snapshot, journal, runs)'),
    logging: LoggingConfig.describe('Log level and optional daily log files'),
    reports: ReportsConfig.describe('Per-run JSON and CSV reports'),
    daemon: DaemonConfig.describe('Schedules of `dirsync start`'),
    health: HealthConfig.describe('The daemon HTTP listener: /healthz and /metrics'),
    notifications: NotificationsConfig.describe('Webhook and email notifications of the daemon'),
  })
  .superRefine((c, ctx) => {
    // Exactly one source: two would need merge rules nobody asked for; none reads nothing.
    if (c.directory === undefined && c.source === undefined)
      ctx.addIssue({ code: 'custom', path: ['directory'], message: 'required (or source.csv to read a CSV file instead)' });
    if (c.directory !== undefined && c.source !== undefined)
      ctx.addIssue({ code: 'custom', path: ['source'], message: 'set either directory or source.csv, not both' });
    for (const issue of licensingIssues(c)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  });
export type Config = z.infer<typeof Config>;

interface LicensingIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

/**
 * Cross-references of the licensing section: every license named by a group or a user type is
 * in the catalog, and every group's role is one its user type allows (role and user type come
 * from one group together, so checking each group makes every user's pair valid).
 */
function licensingIssues(c: {
  readonly licensing: LicensingConfig;
  readonly directory?: { readonly groups: readonly MappedGroup[] } | undefined;
  readonly source?: { readonly csv: { readonly groups?: readonly z.infer<typeof CsvGroup>[] | undefined } } | undefined;
}): LicensingIssue[] {
  const issues: LicensingIssue[] = [];
  const catalog = c.licensing.licenses.map((l) => l.name);
  const known = new Set(catalog);
  const seen = new Set<string>();
  c.licensing.licenses.forEach((l, i) => {
    if (seen.has(l.name)) issues.push({ path: ['licensing', 'licenses', i, 'name'], message: `"${l.name}" is listed twice` });
    seen.add(l.name);
  });
  const unknown = (name: string): string =>
    `"${name}" is not in licensing.licenses (known: ${catalog.length > 0 ? catalog.join(', ') : 'none'})`;
  const deprovision = c.licensing.deprovision;
  if (deprovision.deleteAfterDays !== undefined && deprovision.deleteAfterDays < deprovision.revokeLicensesAfterDays) {
    issues.push({
      path: ['licensing', 'deprovision', 'deleteAfterDays'],
      message: `must not be less than revokeLicensesAfterDays (${deprovision.revokeLicensesAfterDays})`,
    });
  }
  const types = c.licensing.userTypes;
  for (const [type, rules] of Object.entries(types ?? {})) {
    rules.licenses.forEach((name, j) => {
      if (!known.has(name)) issues.push({ path: ['licensing', 'userTypes', type, 'licenses', j], message: unknown(name) });
    });
  }
  const groups: { path: (string | number)[]; group: Pick<MappedGroup, 'role' | 'userType' | 'licenses'> }[] = [
    ...(c.directory?.groups ?? []).map((group, i) => ({ path: ['directory', 'groups', i], group })),
    ...(c.source?.csv.groups ?? []).map((group, i) => ({ path: ['source', 'csv', 'groups', i], group })),
  ];
  for (const { path, group } of groups) {
    group.licenses.forEach((name, j) => {
      if (!known.has(name)) issues.push({ path: [...path, 'licenses', j], message: unknown(name) });
    });
    if (!types) continue;
    const rules = types[group.userType];
    if (!rules) {
      issues.push({
        path: [...path, 'userType'],
        message: `"${group.userType}" is not in licensing.userTypes (known: ${Object.keys(types).join(', ')})`,
      });
    } else if (!rules.roles.includes(group.role)) {
      issues.push({
        path: [...path, 'role'],
        message: `"${group.role}" is not allowed for user type "${group.userType}" (licensing.userTypes.${group.userType}.roles: ${rules.roles.join(', ')})`,
      });
    }
  }
  return issues;
}
