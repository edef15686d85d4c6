import { errorMessage } from '../errors/codes';
import type { DirectoryUser } from '../model/directory-user';
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

export interface DirectoryRead {
  readonly vendor: VendorKind;
  /** Users in at least one mapped group that was read completely, sorted by DN. */
  readonly users: DirectoryUser[];
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

function groupReader(client: DirectoryClient, s: DirectorySettings): GroupReader {
  return async (dn) => {
    const entry = await client.readEntry(dn, ['objectClass']);
    if (!entry) return undefined;
    const isGroup = isGroupEntry(entry.attributes['objectclass'] ?? []);
    return { isGroup, members: isGroup ? await readMembers(client, dn, s.memberAttribute, s.vendor.rangeRetrieval) : [] };
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
export async function readGroupEntry(client: DirectoryClient, s: DirectorySettings, dn: string): Promise<ReadEntry> {
  const attributes = [
    'objectClass',
    s.vendor.changeAttribute,
    ...(s.vendor.kind === 'activedirectory' ? ['primaryGroupToken'] : []),
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
): Promise<Set<string>> {
  const entry = groupEntry ?? (await readGroupEntry(client, s, group.dn));

  let members: Set<string>;
  if (group.nested && s.vendor.inChain) {
    const filter = `(&${s.userFilter}(memberOf:${IN_CHAIN_RULE}:=${escapeFilterValue(group.dn)}))`;
    members = new Set(await searchUserDns(client, s, filter));
  } else {
    const direct = await readMembers(client, group.dn, s.memberAttribute, s.vendor.rangeRetrieval);
    members = group.nested
      ? await expandNested(group.dn, direct, groupReader(client, s), { maxDepth: s.maxNestingDepth, isKnownUser })
      : new Set(direct.map(normalizeDn));
  }
  const token = entry.attributes['primarygrouptoken']?.[0];
  if (token && /^\d+$/.test(token)) {
    for (const dn of await searchUserDns(client, s, `(&${s.userFilter}(primaryGroupID=${token}))`)) members.add(dn);
  }
  return members;
}

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
 * already connected and bound by then).
 */
export async function readDirectory(client: DirectoryClient, s: DirectorySettings): Promise<DirectoryRead> {
  const problems: ScopeProblem[] = [];
  const usersByDn = new Map<string, ReadEntry>();
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
          usersByDn.set(normalizeDn(entry.dn), entry);
          newest = laterOf(newest, entry.attributes[changeKey]?.[0]);
        }
      }
      entriesPerBase[base] = entriesRead - before;
    } catch (err) {
      problems.push({ scope: `users under ${base}`, reason: errorMessage(err) });
    }
  }

  const groupsOf = new Map<string, string[]>();
  const groupSizes: Record<string, number> = {};
  for (const group of s.groups) {
    let members: Set<string>;
    try {
      const entry = await readGroupEntry(client, s, group.dn);
      newest = laterOf(newest, entry.attributes[changeKey]?.[0]);
      members = await groupMembers(client, s, group, (dn) => usersByDn.has(dn), entry);
    } catch (err) {
      problems.push({ scope: `group ${group.dn}`, reason: errorMessage(err) });
      continue;
    }
    let size = 0;
    for (const dn of members) {
      if (!usersByDn.has(dn)) continue;
      size += 1;
      const list = groupsOf.get(dn);
      if (list) list.push(group.dn);
      else groupsOf.set(dn, [group.dn]);
    }
    groupSizes[group.dn] = size;
  }

  const users: DirectoryUser[] = [];
  for (const [dn, groups] of groupsOf) {
    const entry = usersByDn.get(dn) as ReadEntry;
    users.push({
      dn: entry.dn,
      externalId: s.vendor.decodeId(entry, s.idAttribute),
      attributes: entry.attributes,
      groups,
      disabled: s.vendor.isDisabled(entry, s.lockAttribute),
    });
  }
  users.sort((a, b) => (a.dn < b.dn ? -1 : a.dn > b.dn ? 1 : 0));
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
