import type { DirectoryUser } from '../model/directory-user';
import type { SkippedUser } from '../model/skip';
import type { DesiredUser } from '../model/user-state';
import { mapAccess, type GroupMapping, type MappedAccess } from './mapping';
import { profiler, type ProfileOptions } from './profile';

export interface DesiredOptions extends ProfileOptions {
  readonly groups: readonly GroupMapping[];
}

export interface DesiredState {
  /** Sorted by externalId. */
  readonly users: readonly DesiredUser[];
  readonly skipped: readonly SkippedUser[];
  /**
   * externalIds of users who are in scope but could not be provisioned this run (a rule
   * failed). They are present, so they must not be deactivated (nothing is deactivated
   * because data was missing).
   */
  readonly held: ReadonlySet<string>;
  /** In-scope entries without a stable id: while any exist, no absence can be trusted. */
  readonly entriesWithoutId: number;
  /** In-scope entries sharing their stable id with another: the id attribute is not unique. */
  readonly entriesWithDuplicateId: number;
  /** Each desired user's priority (of the group that gave role and type): the order scarce seats go in. */
  readonly priorities: ReadonlyMap<string, number>;
}

/** Applies the product's rules to every in-scope directory user. Pure; output sorted. */
export function buildDesiredState(entries: readonly DirectoryUser[], options: DesiredOptions): DesiredState {
  const skipped: SkippedUser[] = [];
  const held = new Set<string>();
  const candidates: DesiredUser[] = [];
  let entriesWithoutId = 0;
  let entriesWithDuplicateId = 0;
  // An id's first DN; a list only for the (rare) ids held by two entries or more.
  const firstDn = new Map<string, string>();
  const dnsById = new Map<string, string[]>();
  for (const e of entries) {
    if (!e.externalId) continue;
    const seen = firstDn.get(e.externalId);
    if (seen === undefined) firstDn.set(e.externalId, e.dn);
    else {
      const dns = dnsById.get(e.externalId);
      if (dns) dns.push(e.dn);
      else dnsById.set(e.externalId, [seen, e.dn]);
    }
  }
  // The directory read shares one groups array between users of the same groups: map each once.
  const accessOf = new Map<readonly string[], MappedAccess | undefined>();
  // Entries read without a profile (CSV, doctor, explain) get it here, by the same rules.
  let profileOf: ReturnType<typeof profiler> | undefined;

  const skip = (user: DirectoryUser, reason: SkippedUser['reason'], message: string): void => {
    skipped.push({ dn: user.dn, externalId: user.externalId || undefined, reason, message });
    if (user.externalId) held.add(user.externalId);
  };

  for (const user of entries) {
    if (!user.externalId) {
      entriesWithoutId += 1;
      skip(user, 'ID_MISSING', 'the entry has no stable id attribute, so it cannot be tracked');
      continue;
    }
    const sameId = dnsById.get(user.externalId);
    if (sameId) {
      entriesWithDuplicateId += 1;
      const others = sameId.filter((dn) => dn !== user.dn).join('; ');
      skip(user, 'ID_DUPLICATE', `its stable id ${user.externalId} is also the id of ${others}: the id attribute is not unique`);
      continue;
    }
    let access = accessOf.get(user.groups);
    if (access === undefined && !accessOf.has(user.groups)) {
      access = mapAccess(user.groups, options.groups);
      accessOf.set(user.groups, access);
    }
    if (!access) continue; // Not in a mapped group: out of scope, not an error.
    const profile = user.profile ?? (profileOf ??= profiler(options))(user.attributes);
    if (!profile.ok) {
      skip(user, profile.reason, profile.message);
      continue;
    }
    candidates.push({
      externalId: user.externalId,
      dn: user.dn,
      groups: user.groups,
      userName: profile.userName,
      email: profile.email,
      givenName: profile.givenName,
      familyName: profile.familyName,
      displayName: profile.displayName,
      role: access.role,
      userType: access.userType,
      active: !user.disabled,
      licenses: access.licenses,
      targetGroups: access.targetGroups,
    });
  }

  const users = dropCollisions(candidates, skip, entries);
  users.sort((a, b) => (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0));
  // Only scarce seats need priorities: the map is made the first time it is asked for.
  let priorities: Map<string, number> | undefined;
  const priorityOf = (u: DesiredUser): number => (accessOf.get(u.groups) as MappedAccess).priority;
  return {
    users,
    skipped,
    held,
    entriesWithoutId,
    entriesWithDuplicateId,
    get priorities() {
      return (priorities ??= new Map(users.map((u) => [u.externalId, priorityOf(u)])));
    },
  };
}

/**
 * Two users who normalise to the same username (or share an email) are both reported and
 * neither is provisioned: picking one would hand an account to whoever sorts first.
 * Compared case-insensitively because some product surfaces treat usernames that way.
 */
function dropCollisions(
  candidates: readonly DesiredUser[],
  skip: (user: DirectoryUser, reason: SkippedUser['reason'], message: string) => void,
  entries: readonly DirectoryUser[],
): DesiredUser[] {
  let byId: Map<string, DirectoryUser> | undefined;
  // Only keys held by two users or more get a list: 100,000 distinct usernames make no arrays.
  const groupBy = (key: (u: DesiredUser) => string): Map<string, DesiredUser[]> => {
    const firstBy = new Map<string, DesiredUser>();
    const map = new Map<string, DesiredUser[]>();
    for (const u of candidates) {
      const k = key(u);
      const seen = firstBy.get(k);
      if (seen === undefined) firstBy.set(k, u);
      else {
        const list = map.get(k);
        if (list) list.push(u);
        else map.set(k, [seen, u]);
      }
    }
    return map;
  };
  const rejected = new Set<string>();
  const report = (groups: Map<string, DesiredUser[]>, reason: 'USERNAME_DUPLICATE' | 'EMAIL_DUPLICATE', what: string): void => {
    for (const [key, users] of groups) {
      if (users.length < 2) continue;
      for (const u of users) {
        if (rejected.has(u.externalId)) continue;
        rejected.add(u.externalId);
        const others = users
          .filter((o) => o !== u)
          .map((o) => o.dn)
          .join('; ');
        byId ??= new Map(entries.map((e) => [e.externalId, e]));
        const entry = byId.get(u.externalId);
        if (entry) skip(entry, reason, `${what} "${key}" is also produced by ${others}`);
      }
    }
  };
  report(
    groupBy((u) => u.userName.toLowerCase()),
    'USERNAME_DUPLICATE',
    'username',
  );
  report(
    groupBy((u) => u.email.toLowerCase()),
    'EMAIL_DUPLICATE',
    'email',
  );
  return candidates.filter((u) => !rejected.has(u.externalId));
}
