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
  readonly nested: boolean;
  readonly maxDepth: number;
  /** Members already known to be users are never looked up, which keeps large groups cheap. */
  readonly isKnownUser: (canonicalDn: string) => boolean;
}

/**
 * Canonical DNs of a group's members. With nesting, member groups are expanded breadth-first;
 * a group seen before is not expanded again, so cycles end. Going deeper than maxDepth is an
 * error, not a silent cut: a cut would look like users who left.
 */
export async function expandGroup(rootDn: string, read: GroupReader, options: ExpandOptions): Promise<Set<string>> {
  const root = await read(rootDn);
  if (!root || !root.isGroup) {
    throw new DirectoryError(
      'DIRECTORY_GROUP_NOT_FOUND',
      `mapped group ${rootDn} ${root ? 'is not a group' : 'does not exist'}`,
      {
        group: rootDn,
      },
    );
  }
  const members = new Set<string>();
  const seenGroups = new Set<string>([normalizeDn(rootDn)]);
  let frontier: readonly string[] = root.members;
  for (let depth = 1; frontier.length > 0; depth += 1) {
    const next: string[] = [];
    for (const raw of frontier) {
      const dn = normalizeDn(raw);
      if (options.isKnownUser(dn)) {
        members.add(dn);
        continue;
      }
      if (!options.nested || seenGroups.has(dn)) continue;
      const entry = await read(raw);
      // A member outside the user bases or filter is simply out of scope.
      if (!entry?.isGroup) continue;
      seenGroups.add(dn);
      if (depth > options.maxDepth) {
        throw new DirectoryError(
          'DIRECTORY_SEARCH',
          `group ${rootDn} nests deeper than directory.maxNestingDepth (${options.maxDepth}) at ${raw}`,
          { group: rootDn },
        );
      }
      next.push(...entry.members);
    }
    frontier = next;
  }
  return members;
}
