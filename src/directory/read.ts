import { errorMessage } from '../errors/codes';
import type { DirectoryUser, UserProfile } from '../model/directory-user';
import { templateAttributes } from '../rules/template';
import type { DirectoryClient, ReadEntry } from './client';
import { escapeFilterValue, normalizeDn } from './dn';
import { expandNested, isGroupEntry, type GroupReader } from './groups';
import { readMembers } from './members';
import type { DirectorySettings } from './settings';
import { IN_CHAIN_RULE, type VendorKind } from './vendor';

/** A part of the directory that could not be read completely in this run, and why. */
export interface ScopeProblem {
  readonly scope: string;
  readonly reason: string;
}

/** A user as read: what the rules need, and the canonical DN the scope table records. */
export interface ReadUser extends DirectoryUser {
  /** normalizeDn(dn); the same string as dn when the server spelled it canonically. */
  readonly canonicalDn: string;
}

export interface DirectoryRead {
  readonly vendor: VendorKind;
  /** Users in at least one mapped group that was read completely, sorted by DN. */
  readonly users: ReadUser[];
  /** Entries read by the users search, in scope or not. */
  readonly entriesRead: number;
  /** Mapped group DN -> number of in-scope users found in it. */
  readonly groupSizes: Record<string, number>;
  /**
   * Bases or groups that failed. Their users cannot be told apart from users who left, so
   * while this is not empty nobody may be deactivated (invariant 1).
   */
  readonly problems: readonly ScopeProblem[];
  /** Search continuation references seen and tolerated. */
  readonly references: number;
  /** Newest change attribute value seen (plain LDAP: where the next delta starts). */
  readonly newestChange?: string;
  /** Entries each base returned (an empty base where users were is an incomplete read). */
  readonly entriesPerBase: Record<string, number>;
}

/** Every attribute the rules need, so one search brings all of it. */
export function userAttributes(s: DirectorySettings): string[] {
  const names = new Set<string>([
    s.idAttribute,
    s.attributes.email,
    s.attributes.givenName,
    s.attributes.familyName,
    s.attributes.displayName,
    ...templateAttributes(s.usernameTemplate),
    ...s.vendor.disabledAttributes(s.lockAttribute),
    s.vendor.changeAttribute,
  ]);
  return [...names];
}

/**
 * The attributes the rules read (username template, email, names), lower-cased: all a user
 * keeps of its entry. The id, lock and change attributes are read into externalId, disabled and
 * the change mark as the entry arrives.
 */
export function ruleAttributes(s: DirectorySettings): string[] {
  const names = new Set<string>([
    ...templateAttributes(s.usernameTemplate),
    s.attributes.email,
    s.attributes.givenName,
    s.attributes.familyName,
    s.attributes.displayName,
  ]);
  return [...new Set([...names].map((n) => n.toLowerCase()))];
}

/** The rules that need only the entry itself (rules/profile.ts), run as entries arrive. */
export type Profiler = (attributes: ReadEntry['attributes']) => UserProfile;

const NO_ATTRIBUTES: DirectoryUser['attributes'] = Object.freeze({});

/**
 * A user entry reduced, as soon as it arrives, to what the rest of a run needs: the attributes
 * the rules read or, given a profiler, only what the rules make of them.
 */
export function toReadUser(
  entry: ReadEntry,
  canonicalDn: string,
  groups: readonly string[],
  s: DirectorySettings,
  keep: readonly string[],
  profile?: Profiler,
): ReadUser {
  const externalId = s.vendor.decodeId(entry, s.idAttribute);
  const disabled = s.vendor.isDisabled(entry, s.lockAttribute);
  if (profile) {
    return {
      dn: entry.dn,
      externalId,
      attributes: NO_ATTRIBUTES,
      groups,
      disabled,
      canonicalDn,
      profile: profile(entry.attributes),
    };
  }
  const attributes: Record<string, string[]> = {};
  for (const name of keep) {
    const values = entry.attributes[name];
    if (values !== undefined) attributes[name] = values;
  }
  return { dn: entry.dn, externalId, attributes, groups, disabled, canonicalDn };
}

/**
 * Group lists shared between users: every user in the same mapped groups holds the same frozen
 * array, so 100,000 users in a few dozen combinations keep a few dozen arrays, and the scope
 * table serializes each combination once.
 */
export class GroupLists {
  readonly #next = new Map<readonly string[], Map<string, readonly string[]>>();
  static readonly EMPTY: readonly string[] = Object.freeze([]);

  /** `list` (from this object, or EMPTY) with `group` appended. */
  with(list: readonly string[], group: string): readonly string[] {
    let children = this.#next.get(list);
    if (!children) {
      children = new Map();
      this.#next.set(list, children);
    }
    let next = children.get(group);
    if (!next) {
      next = Object.freeze([...list, group]);
      children.set(group, next);
    }
    return next;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function compareDn(a: { readonly dn: string }, b: { readonly dn: string }): number {
  return a.dn < b.dn ? -1 : a.dn > b.dn ? 1 : 0;
}

function groupReader(client: DirectoryClient, s: DirectorySettings): GroupReader {
  const ranged = s.vendor.rangeRetrieval;
  const memberKey = s.memberAttribute.toLowerCase();
  return async (dn) => {
    // Without value ranges, the members come in the same answer as the object classes.
    const entry = await client.readEntry(dn, ranged ? ['objectClass'] : ['objectClass', s.memberAttribute]);
    if (!entry) return undefined;
    const isGroup = isGroupEntry(entry.attributes['objectclass'] ?? []);
    if (!isGroup) return { isGroup, members: [] };
    return {
      isGroup,
      members: ranged ? await readMembers(client, dn, s.memberAttribute, true) : (entry.attributes[memberKey] ?? []),
    };
  };
}

/** DNs (canonical) of the users a filter finds under every base; used for AD's server-side membership. */
async function searchUserDns(client: DirectoryClient, s: DirectorySettings, filter: string): Promise<string[]> {
  const dns: string[] = [];
  for (const base of s.baseDns) {
    for await (const page of client.searchPages({ base, scope: 'sub', filter, attributes: ['1.1'], pageSize: s.pageSize })) {
      for (const e of page) dns.push(normalizeDn(e.dn));
    }
  }
  return dns;
}

/**
 * Canonical DNs of one mapped group's users. AD: in-chain matching rule for nesting, ranged
 * `member` otherwise, plus users whose primary group it is (primaryGroupID is not in `member`).
 * Plain LDAP: `member`, expanded client-side when nested.
 */
export async function readGroupEntry(
  client: DirectoryClient,
  s: DirectorySettings,
  dn: string,
  extra: readonly string[] = [],
): Promise<ReadEntry> {
  const attributes = [
    'objectClass',
    s.vendor.changeAttribute,
    ...(s.vendor.kind === 'activedirectory' ? ['primaryGroupToken'] : []),
    ...extra,
  ];
  const entry = await client.readEntry(dn, attributes);
  if (!entry) throw new Error('the group does not exist');
  if (!isGroupEntry(entry.attributes['objectclass'] ?? [])) throw new Error('the entry is not a group');
  return entry;
}

export async function groupMembers(
  client: DirectoryClient,
  s: DirectorySettings,
  group: { dn: string; nested: boolean },
  isKnownUser: (dn: string) => boolean,
  groupEntry?: ReadEntry,
  directMembers?: readonly string[],
): Promise<Set<string>> {
  return new Set(await memberDns(client, s, group, isKnownUser, groupEntry, directMembers));
}

/** groupMembers, as a list that may name a member twice (a full read counts each user once itself). */
async function memberDns(
  client: DirectoryClient,
  s: DirectorySettings,
  group: { dn: string; nested: boolean },
  isKnownUser: (dn: string) => boolean,
  groupEntry?: ReadEntry,
  directMembers?: readonly string[],
): Promise<string[]> {
  const entry = groupEntry ?? (await readGroupEntry(client, s, group.dn));

  let members: string[];
  if (group.nested && s.vendor.inChain) {
    const filter = `(&${s.userFilter}(memberOf:${IN_CHAIN_RULE}:=${escapeFilterValue(group.dn)}))`;
    members = await searchUserDns(client, s, filter);
  } else {
    const direct = directMembers ?? (await readMembers(client, group.dn, s.memberAttribute, s.vendor.rangeRetrieval));
    members = group.nested
      ? [...(await expandNested(group.dn, direct, groupReader(client, s), { maxDepth: s.maxNestingDepth, isKnownUser }))]
      : direct.map(normalizeDn);
  }
  const token = entry.attributes['primarygrouptoken']?.[0];
  if (token && /^\d+$/.test(token)) {
    for (const dn of await searchUserDns(client, s, `(&${s.userFilter}(primaryGroupID=${token}))`)) members.push(dn);
  }
  return members;
}

/** A mapped group's entry, and its direct member values unless the server resolves its nesting. */
export interface GroupRead {
  readonly entry: ReadEntry;
  readonly direct?: readonly string[];
}

/**
 * What groupMembers needs of a group before the users are known: its entry and, for a group
 * whose nesting is not resolved by the server (AD in-chain), its direct members; in the same
 * answer as the entry where the server has no value ranges (plain LDAP).
 */
export async function readGroup(
  client: DirectoryClient,
  s: DirectorySettings,
  group: { dn: string; nested: boolean },
): Promise<GroupRead> {
  if (group.nested && s.vendor.inChain) return { entry: await readGroupEntry(client, s, group.dn) };
  if (s.vendor.rangeRetrieval) {
    const entry = await readGroupEntry(client, s, group.dn);
    return { entry, direct: await readMembers(client, group.dn, s.memberAttribute, true) };
  }
  const entry = await readGroupEntry(client, s, group.dn, [s.memberAttribute]);
  return { entry, direct: entry.attributes[s.memberAttribute.toLowerCase()] ?? [] };
}

type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** Starts `work` on every item, at most `limit` at once and in order; the promises never reject. */
function startLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<Settled<R>>[] {
  let running = 0;
  const waiting: (() => void)[] = [];
  return items.map(
    (item) =>
      new Promise<Settled<R>>((resolve) => {
        const start = (): void => {
          running += 1;
          work(item)
            .then(
              (value) => resolve({ ok: true, value }),
              (error: unknown) => resolve({ ok: false, error }),
            )
            .finally(() => {
              running -= 1;
              waiting.shift()?.();
            });
        };
        if (running < limit) start();
        else waiting.push(start);
      }),
  );
}

/** Group reads in flight beside the users search: a few, so no server limit on concurrent operations is met. */
const GROUP_READS_AT_ONCE = 4;

/** Pages of user entries under `base` (its subtree, or the entry itself) matching `filter`, with every attribute the rules need. */
export function userPages(
  client: DirectoryClient,
  s: DirectorySettings,
  base: string,
  scope: 'sub' | 'base',
  filter: string,
): AsyncGenerator<ReadEntry[]> {
  return client.searchPages({
    base,
    scope,
    filter,
    attributes: userAttributes(s),
    binaryAttributes: s.vendor.binaryAttributes,
    pageSize: s.pageSize,
  });
}

/**
 * Reads the users of the mapped groups. A failed base or group is recorded as a problem and
 * the rest is still read; only a failure to talk to the server at all throws (the caller has
 * already connected and bound by then). Given a profiler, each entry's rules run as it
 * arrives (while the server prepares the next page) and its attributes are not kept.
 */
export async function readDirectory(client: DirectoryClient, s: DirectorySettings, profile?: Profiler): Promise<DirectoryRead> {
  const problems: ScopeProblem[] = [];
  // Each entry is reduced to a ReadUser as its page arrives; the page and its raw values go.
  // Canonical DN -> index in read; an entry read twice (overlapping bases) keeps the last.
  const slots = new Map<string, number>();
  const read: Mutable<ReadUser>[] = [];
  const keep = ruleAttributes(s);
  // The mapped groups are read while the users stream (one connection, several operations):
  // the server answers them in the gaps, and only the expansion of nesting waits for the users.
  const groupReads = startLimited(s.groups, GROUP_READS_AT_ONCE, (group) => readGroup(client, s, group));
  let entriesRead = 0;
  const changeKey = s.vendor.changeAttribute.toLowerCase();
  let newest: string | undefined;
  const entriesPerBase: Record<string, number> = {};
  for (const base of s.baseDns) {
    const before = entriesRead;
    try {
      for await (const page of userPages(client, s, base, 'sub', s.userFilter)) {
        for (const entry of page) {
          entriesRead += 1;
          const canonicalDn = normalizeDn(entry.dn);
          slots.set(canonicalDn, read.length);
          read.push(toReadUser(entry, canonicalDn, GroupLists.EMPTY, s, keep, profile));
          newest = laterOf(newest, entry.attributes[changeKey]?.[0]);
        }
      }
      entriesPerBase[base] = entriesRead - before;
    } catch (err) {
      problems.push({ scope: `users under ${base}`, reason: errorMessage(err) });
    }
  }

  // Group lists appended in config order, shared between users (GroupLists); one lookup per
  // member value. seenIn: the last group (index + 1) a user was counted in, for repeated values.
  const lists = new GroupLists();
  const seenIn = new Int32Array(read.length);
  const groupSizes: Record<string, number> = {};
  for (const [i, group] of s.groups.entries()) {
    let members: string[];
    try {
      const prefetched = await (groupReads[i] as Promise<Settled<GroupRead>>);
      if (!prefetched.ok) throw prefetched.error;
      const { entry, direct } = prefetched.value;
      newest = laterOf(newest, entry.attributes[changeKey]?.[0]);
      members = await memberDns(client, s, group, (dn) => slots.has(dn), entry, direct);
    } catch (err) {
      problems.push({ scope: `group ${group.dn}`, reason: errorMessage(err) });
      continue;
    }
    let size = 0;
    for (const dn of members) {
      const slot = slots.get(dn);
      if (slot === undefined || seenIn[slot] === i + 1) continue;
      seenIn[slot] = i + 1;
      const user = read[slot] as Mutable<ReadUser>;
      user.groups = lists.with(user.groups, group.dn);
      size += 1;
    }
    groupSizes[group.dn] = size;
  }

  // In scope: in a mapped group (an entry read twice got its groups at its last slot only).
  const users: ReadUser[] = read.filter((user) => user.groups.length > 0);
  users.sort(compareDn);
  return {
    vendor: s.vendor.kind,
    users,
    entriesRead,
    groupSizes,
    problems,
    references: client.referencesSeen,
    newestChange: newest,
    entriesPerBase,
  };
}

/** Change values compare as integers (uSN) or as strings of one shape (generalized time). */
export function laterOf(a: string | undefined, b: string | undefined): string | undefined {
  if (!b) return a;
  if (!a) return b;
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(b) > BigInt(a) ? b : a;
  return b > a ? b : a;
}
