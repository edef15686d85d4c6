import type { IncompatibleLicense, LicenseShortfall } from '../model/plan';
import type { DesiredUser } from '../model/user-state';

/** What an account holds on the target now, and which of those dirsync granted. */
export interface CurrentLicenses {
  /** Observed on the target (drift read), else what the snapshot says dirsync granted. */
  readonly held: readonly string[];
  /** Granted by dirsync and confirmed (the snapshot). */
  readonly ours: readonly string[];
}

export interface LicenseInput {
  /** Desired users; `licenses` are what their groups request. */
  readonly users: readonly DesiredUser[];
  /** Priority of each user (of the group that gave role and type); lower goes first for seats. */
  readonly priorities: ReadonlyMap<string, number>;
  /** Licenses with a seat limit: seats the connector may hand out. Absent: unlimited. */
  readonly limits: ReadonlyMap<string, number>;
  /** Licenses each user type allows; undefined: no compatibility table (everything allowed). */
  readonly allowed: ((userType: string) => ReadonlySet<string>) | undefined;
  readonly current: (externalId: string) => CurrentLicenses | undefined;
  /** Seats held (and kept through this run) by accounts outside the active users of `users`. */
  readonly otherUse: ReadonlyMap<string, number>;
  /** licensing.exclusive: licenses found without a granting group are removed, so they free their seat. */
  readonly exclusive: boolean;
  /** Access changes are held this run (a group was not read): nothing dirsync granted is taken away. */
  readonly keepGranted?: boolean;
}

export interface SeatUse {
  readonly license: string;
  readonly limit: number;
  readonly used: number;
}

export interface LicenseResolution {
  /** The users, each with the licenses dirsync grants (requested, compatible, seated). */
  readonly users: readonly DesiredUser[];
  readonly incompatible: readonly IncompatibleLicense[];
  readonly shortfalls: readonly LicenseShortfall[];
  readonly seats: readonly SeatUse[];
  /** Why a requested license was not granted, per externalId and license (for `dirsync explain`). */
  readonly denied: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

interface Candidate {
  readonly user: DesiredUser;
  readonly holds: boolean;
  readonly priority: number;
}

/** Holders first (a seat is never taken from someone who has it), then priority, userName, id. */
function seatOrder(a: Candidate, b: Candidate): number {
  if (a.holds !== b.holds) return a.holds ? -1 : 1;
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.user.userName !== b.user.userName) return a.user.userName < b.user.userName ? -1 : 1;
  return a.user.externalId < b.user.externalId ? -1 : a.user.externalId > b.user.externalId ? 1 : 0;
}

/**
 * Decides every user's licenses. Pure and deterministic: the same input always gives the same
 * seats to the same users. A license the user type does not allow is not assigned (the user
 * is still provisioned); scarce seats go in seat order and the rest wait, reported, for a later
 * run. Inactive users get none here: what they still hold is staged deprovisioning's business.
 */
export function resolveLicenses(input: LicenseInput): LicenseResolution {
  const incompatible: IncompatibleLicense[] = [];
  const denied = new Map<string, Map<string, string>>();
  const deny = (user: DesiredUser, license: string, why: string): void => {
    const map = denied.get(user.externalId) ?? new Map<string, string>();
    map.set(license, why);
    denied.set(user.externalId, map);
  };
  const candidates = new Map<string, Candidate[]>();
  /** Licenses found on active users that no group grants and that stay (not exclusive): they use seats. */
  const strayUse = new Map<string, number>();

  for (const user of input.users) {
    if (!user.active) continue;
    const current = input.current(user.externalId);
    const held = new Set(current?.held ?? []);
    const ours = new Set(current?.ours ?? []);
    const allowed = input.allowed?.(user.userType);
    const mine = new Set<string>();
    for (const license of user.licenses) {
      if (allowed && !allowed.has(license)) {
        incompatible.push({ dn: user.dn, userName: user.userName, license, userType: user.userType });
        deny(user, license, `user type "${user.userType}" does not allow it (licensing.userTypes)`);
        continue;
      }
      mine.add(license);
      const list = candidates.get(license) ?? [];
      list.push({ user, holds: held.has(license), priority: input.priorities.get(user.externalId) ?? Number.MAX_SAFE_INTEGER });
      candidates.set(license, list);
    }
    for (const license of held) {
      if (mine.has(license)) continue;
      // Stays on the account (so keeps its seat): found without a group and not exclusive, or
      // granted by dirsync while nothing may be taken away.
      const stays = ours.has(license) ? input.keepGranted === true : !input.exclusive || input.keepGranted === true;
      if (stays) strayUse.set(license, (strayUse.get(license) ?? 0) + 1);
    }
  }

  const shortfalls: LicenseShortfall[] = [];
  const seats: SeatUse[] = [];
  const granted = new Map<string, Set<string>>();
  const grant = (externalId: string, license: string): void => {
    const set = granted.get(externalId) ?? new Set<string>();
    set.add(license);
    granted.set(externalId, set);
  };
  for (const [license, list] of [...candidates].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const limit = input.limits.get(license);
    if (limit === undefined) {
      for (const c of list) grant(c.user.externalId, license);
      continue;
    }
    const fixed = (input.otherUse.get(license) ?? 0) + (strayUse.get(license) ?? 0);
    const available = Math.max(0, limit - fixed);
    list.sort(seatOrder);
    const seated = list.slice(0, available);
    const waiting = list.slice(available);
    for (const c of seated) grant(c.user.externalId, license);
    waiting.forEach((c, i) =>
      deny(
        c.user,
        license,
        `no free seat: ${limit} seat(s), ${fixed} held outside these users, ${seated.length} given first; place ${i + 1} of ${waiting.length} in the queue`,
      ),
    );
    seats.push({ license, limit, used: fixed + seated.length });
    if (waiting.length > 0) {
      shortfalls.push({
        license,
        seats: available,
        wanted: list.length,
        short: waiting.length,
        waiting: waiting.map((c) => c.user.userName),
      });
    }
  }
  for (const [license, limit] of input.limits) {
    if (!candidates.has(license)) {
      seats.push({ license, limit, used: (input.otherUse.get(license) ?? 0) + (strayUse.get(license) ?? 0) });
    }
  }
  seats.sort((a, b) => (a.license < b.license ? -1 : a.license > b.license ? 1 : 0));

  const users = input.users.map((user) => {
    const licenses = user.active ? [...(granted.get(user.externalId) ?? [])].sort() : [];
    return sameList(licenses, user.licenses) ? user : { ...user, licenses };
  });
  return { users, incompatible, shortfalls, seats, denied };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
