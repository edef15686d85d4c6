import type { DirectoryConfig } from '../config/schema';
import { DirectoryError, errorMessage } from '../errors/codes';
import type { DirectoryUser } from '../model/directory-user';
import { templateAttributes } from '../rules/template';
import type { DirectoryClient, ReadEntry } from './client';
import { normalizeDn } from './dn';
import { expandGroup, type GroupReader } from './groups';

export interface DirectoryRead {
  /** Users in at least one mapped group, sorted by DN. */
  readonly users: DirectoryUser[];
  /** Entries read by the users search, in scope or not (for reports and benchmarks). */
  readonly entriesRead: number;
  /** Mapped group DN -> number of in-scope users found in it. */
  readonly groupSizes: Record<string, number>;
}

/** Every attribute the rules need, so one search brings all of it. */
export function userAttributes(config: DirectoryConfig): string[] {
  const names = new Set<string>([
    config.users.idAttribute,
    config.attributes.email,
    config.attributes.givenName,
    config.attributes.familyName,
    config.attributes.displayName,
    ...templateAttributes(config.attributes.username),
  ]);
  return [...names];
}

function groupReader(client: DirectoryClient, memberAttribute: string): GroupReader {
  return async (dn) => {
    const entry = await client.readEntry(dn, ['objectClass', memberAttribute]);
    if (!entry) return undefined;
    const classes = (entry.attributes['objectclass'] ?? []).map((c) => c.toLowerCase());
    const isGroup = classes.some((c) => ['groupofnames', 'groupofuniquenames', 'group'].includes(c));
    return { isGroup, members: entry.attributes[memberAttribute.toLowerCase()] ?? [] };
  };
}

/**
 * Reads the users of the mapped groups. All or nothing: any search error, a missing mapped
 * group or nesting deeper than the limit throws, so a partial read can never be taken for a
 * directory in which users left (invariant 1).
 */
export async function readDirectory(client: DirectoryClient, config: DirectoryConfig): Promise<DirectoryRead> {
  const readGroup = groupReader(client, config.memberAttribute);

  // 1. Users under the base DNs, indexed by canonical DN.
  const usersByDn = new Map<string, ReadEntry>();
  const attributes = userAttributes(config);
  let entriesRead = 0;
  for (const base of config.users.baseDns) {
    try {
      for await (const page of client.searchPages({
        base,
        scope: 'sub',
        filter: config.users.filter,
        attributes,
        pageSize: config.pageSize,
      })) {
        for (const entry of page) {
          entriesRead += 1;
          usersByDn.set(normalizeDn(entry.dn), entry);
        }
      }
    } catch (err) {
      throw new DirectoryError('DIRECTORY_SEARCH', `search of users under ${base} failed: ${errorMessage(err)}`, {
        base,
      });
    }
  }

  // 2. Members of each mapped group (nested ones when configured), restricted to those users.
  const groupsOf = new Map<string, string[]>();
  const groupSizes: Record<string, number> = {};
  for (const group of config.groups) {
    const nested = group.nested ?? config.nestedGroups;
    let memberDns: Set<string>;
    try {
      memberDns = await expandGroup(group.dn, readGroup, {
        nested,
        maxDepth: config.maxNestingDepth,
        isKnownUser: (dn) => usersByDn.has(dn),
      });
    } catch (err) {
      if (err instanceof DirectoryError) throw err;
      throw new DirectoryError('DIRECTORY_SEARCH', `reading group ${group.dn} failed: ${errorMessage(err)}`, { group: group.dn });
    }
    let size = 0;
    for (const dn of memberDns) {
      if (!usersByDn.has(dn)) continue;
      size += 1;
      const list = groupsOf.get(dn);
      if (list) list.push(group.dn);
      else groupsOf.set(dn, [group.dn]);
    }
    groupSizes[group.dn] = size;
  }

  const idAttr = config.users.idAttribute.toLowerCase();
  const users: DirectoryUser[] = [];
  for (const [dn, groups] of groupsOf) {
    const entry = usersByDn.get(dn) as ReadEntry;
    users.push({
      dn: entry.dn,
      externalId: entry.attributes[idAttr]?.[0] ?? '',
      attributes: entry.attributes,
      groups,
      disabled: false,
    });
  }
  users.sort((a, b) => (a.dn < b.dn ? -1 : a.dn > b.dn ? 1 : 0));
  return { users, entriesRead, groupSizes };
}
