import type { LoadedConfig } from '../config/load';
import { normalizeDn } from '../directory/dn';
import type { ScopeProblem } from '../directory/read';
import { readConfiguredDirectory } from '../directory/session';
import type { DirectorySettings } from '../directory/settings';
import type { VendorKind } from '../directory/vendor';
import type { DirectoryUser } from '../model/directory-user';
import type { StateDb } from '../state/db';
import { ScopeStore, type ChangeMark, type ScopeEntry } from '../state/scope';
import { SnapshotStore } from '../state/snapshot';
import type { SnapshotUser } from '../model/user-state';

/** A full or delta read, in the one shape the rest of a run needs. */
export interface DirectoryPass {
  readonly kind: 'full' | 'delta';
  readonly server: string;
  readonly vendor: VendorKind;
  readonly settings: DirectorySettings;
  readonly users: readonly DirectoryUser[];
  readonly entriesRead: number;
  readonly problems: readonly ScopeProblem[];
  readonly groupSizes: Record<string, number>;
  /** Delta: the only externalIds the plan may touch. Full: undefined (everyone). */
  readonly affected?: ReadonlySet<string>;
  /** Why a requested delta was read in full. */
  readonly fallback?: string;
  /** Records the scope and change mark for the next delta; call only after a complete, successful sync. */
  commit(): void;
}

function scopeOf(users: readonly DirectoryUser[]): ScopeEntry[] {
  return users.map((u) => ({ externalId: u.externalId, dn: normalizeDn(u.dn), groups: u.groups }));
}

/**
 * A base that answered with no entry at all, while users we manage live under it, is not
 * evidence that they all left: a wrong base, an ACL change or a restore in progress look the
 * same. It is reported as not read completely, so nobody is deactivated for it.
 */
export function emptyBaseProblems(
  entriesPerBase: Readonly<Record<string, number>>,
  snapshot: readonly SnapshotUser[],
): ScopeProblem[] {
  const problems: ScopeProblem[] = [];
  for (const [base, count] of Object.entries(entriesPerBase)) {
    if (count > 0) continue;
    const canonical = normalizeDn(base);
    const managed = snapshot.filter((u) => u.active && normalizeDn(u.dn).endsWith(`,${canonical}`)).length;
    if (managed > 0) {
      problems.push({
        scope: `users under ${base}`,
        reason: `the search returned no entries, but ${managed} managed active user(s) were under it`,
      });
    }
  }
  return problems;
}

/** Reads the directory: a delta when asked and a previous complete read makes one possible. */
export async function readDirectoryPass(loaded: LoadedConfig, db: StateDb, delta: boolean): Promise<DirectoryPass> {
  const store = new ScopeStore(db);
  const mark = delta ? store.mark() : undefined;
  const input = mark ? { mark, scope: store.all() } : undefined;
  const read = await readConfiguredDirectory(loaded.config.directory, loaded.bindPassword, input);
  const common = { server: read.server, vendor: read.settings.vendor.kind, settings: read.settings };
  if (read.kind === 'delta') {
    const d = read.delta;
    const sizes: Record<string, number> = {};
    for (const g of d.groupsReread) sizes[g] = d.users.filter((u) => u.groups.includes(g)).length;
    return {
      ...common,
      kind: 'delta',
      users: d.users,
      entriesRead: d.entriesRead,
      problems: d.problems,
      groupSizes: sizes,
      affected: new Set(d.users.map((u) => u.externalId)),
      commit: () => store.update(scopeOf(d.users), d.mark),
    };
  }
  const fallback = read.fallback ?? (delta && !mark ? 'no complete full sync to start a delta from yet' : undefined);
  const full = read.read;
  const problems = [...full.problems, ...emptyBaseProblems(full.entriesPerBase, new SnapshotStore(db).all())];
  const next: ChangeMark | undefined = read.mark;
  return {
    ...common,
    kind: 'full',
    users: full.users,
    entriesRead: full.entriesRead,
    problems,
    groupSizes: full.groupSizes,
    ...(fallback ? { fallback } : {}),
    commit: () => store.replace(scopeOf(full.users), next),
  };
}
