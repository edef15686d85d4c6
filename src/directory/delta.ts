import { errorMessage } from '../errors/codes';
import type { ChangeMark, ScopeEntry } from '../state/scope';
import type { DirectoryClient, ReadEntry } from './client';
import { normalizeDn } from './dn';
import {
  GroupLists,
  groupMembers,
  laterOf,
  readGroupEntry,
  ruleAttributes,
  toReadUser,
  userAttributes,
  userPages,
  type ReadUser,
  type ScopeProblem,
} from './read';
import type { DirectorySettings } from './settings';

export interface DeltaInput {
  readonly mark: ChangeMark;
  /** The scope after the last complete read, by externalId. */
  readonly scope: ReadonlyMap<string, ScopeEntry>;
}

export interface DeltaRead {
  /** Users whose entry or mapped-group membership changed; `groups: []` means they left scope. */
  readonly users: ReadUser[];
  /** User entries read (changed ones, plus members read by DN). */
  readonly entriesRead: number;
  readonly problems: readonly ScopeProblem[];
  /** Where the next delta starts, valid only when problems is empty. */
  readonly mark: ChangeMark;
  /** Mapped groups whose membership was read again. */
  readonly groupsReread: readonly string[];
}

function underBases(dn: string, bases: readonly string[]): boolean {
  return bases.some((b) => {
    const base = normalizeDn(b);
    return dn === base || dn.endsWith(`,${base}`);
  });
}

/**
 * A delta on top of the last complete read. It reads the user entries changed since the mark,
 * and the membership of mapped groups that changed (nested ones always, since a change deep
 * down does not touch the mapped group's entry). Deletions and entries that left the bases or
 * the filter are invisible here: the scheduled full syncs catch them.
 */
export async function readDelta(
  client: DirectoryClient,
  s: DirectorySettings,
  input: DeltaInput,
  newMark: ChangeMark,
): Promise<DeltaRead> {
  const problems: ScopeProblem[] = [];
  const attributes = userAttributes(s);
  const changeKey = s.vendor.changeAttribute.toLowerCase();
  const byDn = new Map<string, ReadEntry>();
  let newest: string | undefined;
  let entriesRead = 0;

  for (const base of s.baseDns) {
    try {
      const filter = `(&${s.userFilter}${s.vendor.changedSince(input.mark.mark)})`;
      for await (const page of userPages(client, s, base, 'sub', filter)) {
        for (const entry of page) {
          entriesRead += 1;
          byDn.set(normalizeDn(entry.dn), entry);
          newest = laterOf(newest, entry.attributes[changeKey]?.[0]);
        }
      }
    } catch (err) {
      problems.push({ scope: `users under ${base}`, reason: errorMessage(err) });
    }
  }

  const scopeByDn = new Map<string, ScopeEntry>();
  for (const e of input.scope.values()) scopeByDn.set(e.dn, e);
  const isKnownUser = (dn: string): boolean => scopeByDn.has(dn) || byDn.has(dn);

  // Membership of the mapped groups that need a new look.
  const reread = new Map<string, Set<string>>();
  for (const group of s.groups) {
    try {
      const entry = await readGroupEntry(client, s, group.dn);
      const change = entry.attributes[changeKey]?.[0] ?? '';
      newest = laterOf(newest, change);
      if (!group.nested && !s.vendor.changedAtOrAfter(change, input.mark.mark)) continue;
      const members = await groupMembers(client, s, group, isKnownUser, entry);
      reread.set(group.dn, new Set([...members].filter((dn) => underBases(dn, s.baseDns))));
    } catch (err) {
      problems.push({ scope: `group ${group.dn}`, reason: errorMessage(err) });
    }
  }

  // Members not seen before and not changed: read them, through the user filter.
  for (const members of reread.values()) {
    for (const dn of members) {
      if (byDn.has(dn) || scopeByDn.has(dn)) continue;
      try {
        for await (const page of userPages(client, s, dn, 'base', s.userFilter)) {
          for (const entry of page) {
            entriesRead += 1;
            byDn.set(normalizeDn(entry.dn), entry);
          }
        }
      } catch (err) {
        // A member that vanished since the group was read is simply not a member any more.
        if (!/noSuchObject|no such object/i.test(errorMessage(err)))
          problems.push({ scope: `member ${dn}`, reason: errorMessage(err) });
      }
    }
  }

  // Affected: changed entries in scope or joining it, and scope users whose membership moved.
  const groupsFor = (dn: string, previous: readonly string[]): string[] =>
    s.groups
      .filter((g) => (reread.has(g.dn) ? (reread.get(g.dn) as Set<string>).has(dn) : previous.includes(g.dn)))
      .map((g) => g.dn);
  const keep = ruleAttributes(s);
  const users: ReadUser[] = [];
  const seen = new Set<string>();
  for (const [dn, entry] of byDn) {
    const externalId = s.vendor.decodeId(entry, s.idAttribute);
    const previous = input.scope.get(externalId);
    const groups = groupsFor(dn, previous?.groups ?? []);
    if (groups.length === 0 && !previous) continue;
    seen.add(externalId);
    users.push(toReadUser(entry, dn, groups, s, keep));
  }
  for (const previous of input.scope.values()) {
    if (seen.has(previous.externalId)) continue;
    const groups = groupsFor(previous.dn, previous.groups);
    if (groups.length === previous.groups.length && groups.every((g, i) => g === previous.groups[i])) continue;
    if (groups.length > 0) {
      // Still in scope with other groups: their entry is needed for the rules.
      let entry: ReadEntry | undefined;
      try {
        entry = await client.readEntry(previous.dn, attributes, s.vendor.binaryAttributes);
      } catch (err) {
        problems.push({ scope: `member ${previous.dn}`, reason: errorMessage(err) });
        continue;
      }
      if (!entry) continue; // Deleted: the next full sync decides.
      entriesRead += 1;
      users.push({ ...toReadUser(entry, previous.dn, groups, s, keep), externalId: previous.externalId });
    } else {
      users.push({
        dn: previous.dn,
        externalId: previous.externalId,
        attributes: {},
        groups: GroupLists.EMPTY,
        disabled: false,
        canonicalDn: previous.dn,
      });
    }
  }
  users.sort((a, b) => (a.dn < b.dn ? -1 : a.dn > b.dn ? 1 : 0));
  const mark =
    s.vendor.kind === 'activedirectory'
      ? newMark
      : { serverId: newMark.serverId, mark: laterOf(input.mark.mark, newest) ?? input.mark.mark };
  return { users, entriesRead, problems, mark, groupsReread: [...reread.keys()] };
}
