import { normalizeDn } from '../directory/dn';
import type { DirectoryUser } from '../model/directory-user';
import type { Operation, Plan } from '../model/plan';
import type { SkippedUser } from '../model/skip';
import type { DesiredUser, SnapshotUser } from '../model/user-state';
import type { LicenseResolution } from '../plan/licenses';
import { grantingGroups, priorityOf, type GroupMapping } from '../rules/mapping';

export interface ExplainedGroup {
  readonly dn: string;
  readonly priority: number;
  readonly role: string;
  readonly userType: string;
  readonly licenses: readonly string[];
  readonly targetGroups: readonly string[];
  /** This group gave role and user type. */
  readonly decides: boolean;
}

export interface ExplainedLicense {
  readonly license: string;
  readonly grantedBy: readonly string[];
  /** granted: dirsync gives it (or keeps it); denied: requested but not given (reason says why). */
  readonly outcome: 'granted' | 'denied';
  readonly reason?: string;
}

/** Everything dirsync knows about one user and why it plans what it plans. */
export interface Explanation {
  readonly query: string;
  /** How many users matched; the first is explained. */
  readonly matches: number;
  readonly dn?: string;
  readonly externalId?: string;
  readonly userName?: string;
  /** In a mapped group (and read). */
  readonly inScope: boolean;
  readonly groups: readonly ExplainedGroup[];
  readonly role?: string;
  readonly userType?: string;
  readonly licenses: readonly ExplainedLicense[];
  readonly targetGroups: readonly { readonly name: string; readonly grantedBy: readonly string[] }[];
  readonly skipped?: SkippedUser;
  /** The account as dirsync last confirmed it on the target. */
  readonly current?: SnapshotUser;
  /** Licenses the target showed for the account in this run's drift read. */
  readonly observedLicenses?: readonly string[];
  readonly operation?: Operation;
}

export interface ExplainInput {
  readonly entries: readonly DirectoryUser[];
  readonly desired: readonly DesiredUser[];
  readonly skipped: readonly SkippedUser[];
  readonly resolution: LicenseResolution;
  readonly snapshot: readonly SnapshotUser[];
  readonly plan: Plan;
  readonly mappings: readonly GroupMapping[];
  readonly observed: ReadonlyMap<string, readonly string[]> | undefined;
}

/** The externalIds a query names: by userName or email (any case), DN, or externalId. */
function matchIds(query: string, input: ExplainInput): string[] {
  const q = query.trim();
  const lower = q.toLowerCase();
  const dn = q.includes('=') ? normalizeDn(q) : undefined;
  const ids: string[] = [];
  const add = (id: string): void => {
    if (id && !ids.includes(id)) ids.push(id);
  };
  for (const d of input.desired) {
    if (d.externalId === q || d.userName.toLowerCase() === lower || d.email.toLowerCase() === lower) add(d.externalId);
  }
  for (const e of input.entries) {
    if (e.externalId === q || (dn !== undefined && normalizeDn(e.dn) === dn)) add(e.externalId);
  }
  for (const s of input.snapshot) {
    if (s.externalId === q || s.userName.toLowerCase() === lower || s.email.toLowerCase() === lower) add(s.externalId);
    else if (dn !== undefined && normalizeDn(s.dn) === dn) add(s.externalId);
  }
  return ids;
}

/** Pure: explains one user from what a plan run computed. */
export function explainUser(query: string, input: ExplainInput): Explanation {
  const ids = matchIds(query, input);
  const id = ids[0];
  if (id === undefined) return { query, matches: 0, inScope: false, groups: [], licenses: [], targetGroups: [] };
  const entry = input.entries.find((e) => e.externalId === id);
  const desired = input.desired.find((d) => d.externalId === id);
  const resolved = input.resolution.users.find((d) => d.externalId === id);
  const current = input.snapshot.find((s) => s.externalId === id);
  const userGroups = entry?.groups ?? [];
  const member = new Set(userGroups);
  const decidedBy = desired
    ? input.mappings
        .map((m, i) => ({ m, p: priorityOf(m, i) }))
        .filter(({ m }) => member.has(m.dn))
        .sort((a, b) => a.p - b.p)[0]?.m.dn
    : undefined;
  const groups: ExplainedGroup[] = input.mappings
    .map((m, i) => ({ m, i }))
    .filter(({ m }) => member.has(m.dn))
    .map(({ m, i }) => ({
      dn: m.dn,
      priority: priorityOf(m, i),
      role: m.role,
      userType: m.userType,
      licenses: m.licenses ?? [],
      targetGroups: m.targetGroups ?? [],
      decides: m.dn === decidedBy,
    }));
  const denied = input.resolution.denied.get(id);
  const granted = new Set(resolved?.licenses ?? []);
  const licenses: ExplainedLicense[] = (desired?.licenses ?? []).map((license) => {
    const grantedBy = grantingGroups(userGroups, input.mappings, (m) => m.licenses, license);
    if (granted.has(license)) return { license, grantedBy, outcome: 'granted' };
    const reason =
      denied?.get(license) ?? (desired?.active === false ? 'the account is disabled in the directory' : 'not granted');
    return { license, grantedBy, outcome: 'denied', reason };
  });
  const targetGroups = (desired?.targetGroups ?? []).map((name) => ({
    name,
    grantedBy: grantingGroups(userGroups, input.mappings, (m) => m.targetGroups, name),
  }));
  const skipped = input.skipped.find((s) => s.externalId === id);
  const operation = input.plan.operations.find((o) => o.externalId === id);
  const observed = input.observed?.get(id);
  return {
    query,
    matches: ids.length,
    dn: entry?.dn ?? current?.dn,
    externalId: id,
    userName: desired?.userName ?? current?.userName,
    inScope: desired !== undefined,
    groups,
    ...(desired ? { role: desired.role, userType: desired.userType } : {}),
    licenses,
    targetGroups,
    ...(skipped ? { skipped } : {}),
    ...(current ? { current } : {}),
    ...(observed ? { observedLicenses: observed } : {}),
    ...(operation ? { operation } : {}),
  };
}
