import { DirectoryError } from '../errors/codes';
import { normalizeDn } from './dn';

export interface GroupEntry {
  readonly isGroup: boolean;
  /** Member DNs as the server spelled them. */
  readonly members: readonly string[];
}

/** Reads one entry by DN; undefined when it does not exist. */
export type GroupReader = (dn: string) => Promise<GroupEntry | undefined>;

export interface ExpandOptions {
  readonly maxDepth: number;
  /** Members already known to be users are never looked up, which keeps large groups cheap. */
  readonly isKnownUser: (canonicalDn: string) => boolean;
}

/**
 * Client-side nesting for plain LDAP (OpenLDAP has no in-chain rule). Member groups are
 * expanded breadth-first; a group seen before is not expanded again, so cycles end. Going
 * deeper than maxDepth is an error, not a silent cut: a cut would look like users who left.
 */
export async function expandNested(
  rootDn: string,
  rootMembers: readonly string[],
  read: GroupReader,
  options: ExpandOptions,
): Promise<Set<string>> {
  const members = new Set<string>();
  const seenGroups = new Set<string>([normalizeDn(rootDn)]);
  let frontier: readonly string[] = rootMembers;
  for (let depth = 1; frontier.length > 0; depth += 1) {
    const next: string[] = [];
    for (const raw of frontier) {
      const dn = normalizeDn(raw);
      if (options.isKnownUser(dn)) {
        members.add(dn);
        continue;
      }
      if (seenGroups.has(dn)) continue;
      const entry = await read(raw);
      if (!entry) continue;
      // Not a group: a member; the caller keeps it only if it is a user in scope.
      if (!entry.isGroup) {
        members.add(dn);
        continue;
      }
      seenGroups.add(dn);
      if (depth > options.maxDepth) {
        throw new DirectoryError(
          'DIRECTORY_SEARCH',
          `nesting deeper than directory.maxNestingDepth (${options.maxDepth}) at ${raw}`,
        );
      }
      next.push(...entry.members);
    }
    frontier = next;
  }
  return members;
}

export function isGroupEntry(objectClasses: readonly string[]): boolean {
  return objectClasses.some((c) => ['groupofnames', 'groupofuniquenames', 'group', 'posixgroup'].includes(c.toLowerCase()));
}
