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
  /** Add-on licenses (names from `licensing.licenses`) granted to members; a user gets the union over their groups. */
  licenses: z.array(z.string().trim().min(1)).default([]),
  /** Target (SCIM) groups, by displayName, that members are placed in; created on the target when missing. */
  targetGroups: z.array(z.string().trim().min(1)).default([]),
  /**
   * Who wins when a user is in several mapped groups: the lowest priority number gives role and
   * user type (and goes first for scarce license seats). Unset: the group's position in the list.
   */
  priority: z.number().int().min(0).max(1_000_000).optional(),
});
export type MappedGroup = z.infer<typeof MappedGroup>;

const LicenseName = z.string().trim().min(1);

export const LicenseDefinition = z.strictObject({
  /** The license as the target knows it: the value sent in entitlements, roles or the extension attribute. */
  name: LicenseName,
  /**
   * Seats the connector may hand out: a number, or "target" to read the count from the target
   * (attribute `seats` of the licensing Group extension on the SCIM Group named like the license).
   * Unset: unlimited.
   */
  seats: z.union([z.number().int().min(0), z.literal('target')]).optional(),
  /** representation "groups" (and seats "target"): displayName of the SCIM Group that stands for the license. Unset: the name. */
  group: z.string().trim().min(1).optional(),
});
export type LicenseDefinition = z.infer<typeof LicenseDefinition>;

export const UserTypeRules = z.strictObject({
  /** Roles this user type allows; a mapped group giving another role with this type is a config error. */
  roles: z.array(z.string().trim().min(1)).min(1),
  /** Licenses this user type allows; another license is not assigned and is reported. */
  licenses: z.array(LicenseName).default([]),
});

const Representation = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('entitlements') }),
  z.strictObject({ kind: z.literal('roles') }),
  z.strictObject({
    kind: z.literal('extension'),
    /** Schema URN of the User extension, e.g. urn:dirsync:params:scim:schemas:extension:licensing:2.0:User */
    schema: z.string().regex(/^urn:[^\s]+$/, { message: 'must be a schema URN (urn:...)' }),
    /** Multi-valued complex attribute of that extension whose `value` holds a license name. */
    attribute: z.string().regex(/^[A-Za-z][A-Za-z0-9_$-]*$/, { message: 'must be a SCIM attribute name' }),
  }),
  z.strictObject({ kind: z.literal('groups') }),
]);
export type LicenseRepresentation = z.infer<typeof Representation>;

export const LicensingConfig = z
  .strictObject({
    /** The licenses (add-on licenses / product access) the connector manages. */
    licenses: z.array(LicenseDefinition).default([]),
    /** Compatibility table: which roles and licenses each user type allows. Unset: no checks. */
    userTypes: z.record(z.string().trim().min(1), UserTypeRules).optional(),
    /** How licenses appear on the target: entitlements, roles, an extension attribute, or SCIM Group membership. */
    representation: Representation.default({ kind: 'entitlements' }),
    /**
     * true: the connector owns the managed licenses: one found on a managed user without a
     * granting group is removed. false: it is reported and left alone.
     */
    exclusive: z.boolean().default(false),
    /**
     * When the licenses the target actually holds are read and repaired (drift): "full" on full
     * syncs (daily in the daemon), "always" on every run, "never".
     */
    reconcile: z.enum(['full', 'always', 'never']).default('full'),
    /** Staged deprovisioning of deactivated users. */
    deprovision: z
      .strictObject({
        /** Days after deactivation before a user's licenses are released (0: at once). */
        revokeLicensesAfterDays: z.number().int().min(0).max(3650).default(30),
        /** Days after deactivation before the account is deleted. Unset: never (deletion is off by default). */
        deleteAfterDays: z.number().int().min(1).max(3650).optional(),
      })
      .default({ revokeLicensesAfterDays: 30 }),
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
  /** Client-side rate limit: request starts are spaced 1/requestsPerSecond apart. Unset: no limit. */
  rateLimit: z.strictObject({ requestsPerSecond: z.number().positive().max(10_000) }).optional(),
  /** Retries of 429, 5xx and timeouts: exponential backoff with full jitter, never below Retry-After. */
  retry: z
    .strictObject({
      maxAttempts: z.number().int().min(1).max(20).default(5),
      baseDelayMs: z.number().int().min(0).max(60_000).default(250),
      maxDelayMs: z.number().int().min(0).max(600_000).default(30_000),
    })
    .default({ maxAttempts: 5, baseDelayMs: 250, maxDelayMs: 30_000 }),
});
export type TargetConfig = z.infer<typeof TargetConfig>;

/**
 * Mass-change guard. A run that would deactivate more than `maxCount` users, or more than
 * `maxPercent` % of the active users dirsync manages, sends none of those deactivations until
 * an admin approves (`dirsync sync --approve`, or a frozen plan). The percentage never stops a
 * single deactivation; `maxCount: 0` makes every deactivation wait for approval.
 */
const GuardLimits = z.strictObject({
  maxCount: z.number().int().min(0).default(10),
  maxPercent: z.number().min(0).max(100).default(5),
});

export const GuardConfig = z
  .strictObject({
    deactivations: GuardLimits.default({ maxCount: 10, maxPercent: 5 }),
    /** Users losing at least one license in one run (releases after the grace period are not counted: their deactivation was). */
    licenseRevocations: GuardLimits.default({ maxCount: 10, maxPercent: 5 }),
    /** Accounts deleted by staged deprovisioning in one run. */
    deletions: GuardLimits.default({ maxCount: 10, maxPercent: 5 }),
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
    path: z.string().min(1).default('dirsync-state.db'),
  })
  .default({ path: 'dirsync-state.db' });

export const LoggingConfig = z
  .strictObject({
    level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
    /** JSON-lines log files, one per day (dirsync-YYYY-MM-DD.log). Unset: console only. */
    file: z
      .strictObject({
        dir: z.string().min(1),
        /** Days of log files kept; older ones are deleted. */
        keepDays: z.number().int().min(1).max(3650).default(30),
      })
      .optional(),
  })
  .default({ level: 'info' });

export const ReportsConfig = z
  .strictObject({
    /** Every sync, plan and apply writes <run id>.json and <run id>.csv here. Relative: from the config file. */
    dir: z.string().min(1).default('reports'),
    /** Days of reports kept; older ones are deleted after each run. */
    keepDays: z.number().int().min(1).max(3650).default(90),
  })
  .default({ dir: 'reports', keepDays: 90 });

export const DaemonConfig = z
  .strictObject({
    /** node-cron expression of the delta syncs (and of the first full sync when none was made yet). */
    schedule: z.string().min(1).default('*/30 * * * *'),
    /** node-cron expression of the full syncs, which also catch what deltas cannot see (deletions, moves out of scope). */
    fullSchedule: z.string().min(1).default('15 2 * * *'),
    /** Time zone of both schedules (IANA name); unset: the machine's. */
    timezone: z.string().min(1).optional(),
    /** Staging (standby) server: read and plan on schedule, never send anything. */
    staging: z.boolean().default(false),
  })
  .default({ schedule: '*/30 * * * *', fullSchedule: '15 2 * * *', staging: false });

/** Optional HTTP listener of the daemon: GET /healthz and GET /metrics (Prometheus). */
export const HealthConfig = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** Loopback by default; another address exposes run counts to whoever can reach it. */
    host: z.string().trim().min(1).default('127.0.0.1'),
    /** 0 picks a free port (tests). 9464 is the port Prometheus exporters of this kind commonly use. */
    port: z.number().int().min(0).max(65_535).default(9464),
    /** /healthz answers "stale" (503) when no run finished for this long; set ~3x the schedule's interval. */
    maxAgeSeconds: z.number().int().min(60).default(7200),
  })
  .default({ enabled: false, host: '127.0.0.1', port: 9464, maxAgeSeconds: 7200 });
export type HealthConfig = z.infer<typeof HealthConfig>;

/** RFC 9110 token: what a header name may be. */
const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { message: 'must be an HTTP header name' });
/** Header names whose value is a credential: these must be secret references, like the other secrets. */
const SECRET_HEADER = /auth|token|secret|key|signature|password|cookie/i;

export const WebhookConfig = z.strictObject({
  /** https URL, or a secret reference to one (chat webhook URLs carry their token in the path). */
  url: z.union([SecretRef, z.url({ protocol: /^https?$/, message: 'must be an http(s) URL or a secret reference' })]),
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
    .optional(),
  /** Allow plain http to a host other than loopback. Never in production. */
  allowInsecure: z.boolean().default(false),
});
export type WebhookConfig = z.infer<typeof WebhookConfig>;

export const EmailConfig = z
  .strictObject({
    /** SMTP server. */
    host: z.string().trim().min(1),
    port: z.number().int().min(1).max(65_535).default(587),
    /** true: TLS from the first byte (port 465). false: STARTTLS when offered, required when a password is sent. */
    secure: z.boolean().default(false),
    user: z.string().min(1).optional(),
    password: SecretRef.optional(),
    from: z.string().trim().min(1),
    to: z.array(z.email()).min(1),
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
    webhook: WebhookConfig.optional(),
    email: EmailConfig.optional(),
    minIntervalMinutes: z.number().int().min(1).max(40_320).default(240),
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
  name: z.string().trim().min(1),
  role: z.string().trim().min(1),
  userType: z.string().trim().min(1),
  licenses: z.array(z.string().trim().min(1)).default([]),
  targetGroups: z.array(z.string().trim().min(1)).default([]),
  priority: z.number().int().min(0).max(1_000_000).optional(),
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

export const SourceConfig = z.strictObject({ csv: CsvSourceConfig });

export const Config = z
  .strictObject({
    $schema: z.string().optional(),
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
