import type { LoadedConfig } from '../config/load';
import { readCsvSource } from '../csv/read';
import { CSV_ATTRIBUTES, CSV_USERNAME_TEMPLATE } from '../csv/source';
import { normalizeDn } from '../directory/dn';
import type { Profiler, ReadUser, ScopeProblem } from '../directory/read';
import type { DirectorySettings } from '../directory/settings';
import { profiler, type ProfileOptions } from '../rules/profile';
import { readConfiguredDirectory } from '../directory/session';
import type { VendorKind } from '../directory/vendor';
import type { DirectoryUser } from '../model/directory-user';
import type { StateDb } from '../state/db';
import { ScopeStore, type ChangeMark, type ScopeEntry } from '../state/scope';
import { SnapshotStore } from '../state/snapshot';
import type { SnapshotUser } from '../model/user-state';
import type { GroupMapping } from '../rules/mapping';

/** What the rules need to turn this pass's users into desired accounts. */
export interface PassRules {
  readonly usernameTemplate: string;
  readonly idAttribute: string;
  readonly attributes: {
    readonly email: string;
    readonly givenName: string;
    readonly familyName: string;
    readonly displayName: string;
  };
  readonly groups: readonly GroupMapping[];
}

/** A full or delta read, in the one shape the rest of a run needs. */
export interface DirectoryPass {
  readonly kind: 'full' | 'delta';
  readonly server: string;
  /** csv: the source is a CSV file (source.csv), not a directory server. */
  readonly vendor: VendorKind | 'csv';
  readonly rules: PassRules;
  /** The in-scope entries; empty after release(). */
  readonly users: readonly DirectoryUser[];
  /** How many in-scope entries were read (kept after release()). */
  readonly inScope: number;
  readonly entriesRead: number;
  readonly problems: readonly ScopeProblem[];
  readonly groupSizes: Record<string, number>;
  /** Delta: the only externalIds the plan may touch. Full: undefined (everyone). */
  readonly affected?: ReadonlySet<string>;
  /** Why a requested delta was read in full. */
  readonly fallback?: string;
  /** Records the scope and change mark for the next delta; call only after a complete, successful sync. */
  commit(): void;
  /**
   * Lets go of the entries (their attributes are most of a run's memory) once the desired state
   * is built from them; commit() still works, from the scope taken when they were read.
   */
  release(): void;
}

/**
 * The options of the rules that need only the entry (rules/profile.ts): the same for the
 * profiles made as entries arrive and for those buildDesiredState makes itself.
 */
export function profileOptions(
  pass: { readonly usernameTemplate: string; readonly attributes: PassRules['attributes'] },
  rules: { readonly foldAccents: boolean; readonly usernameCase: ProfileOptions['usernameCase'] },
): ProfileOptions {
  return {
    usernameTemplate: pass.usernameTemplate,
    attributes: pass.attributes,
    foldAccents: rules.foldAccents,
    usernameCase: rules.usernameCase,
  };
}

/** The scope rows of a read's users: their DN was made canonical once, as it was read. */
function scopeOf(users: readonly ReadUser[]): ScopeEntry[] {
  return users.map((u) => ({ externalId: u.externalId, dn: u.canonicalDn, groups: u.groups }));
}

/**
 * A base that answered with no entry at all, while users we manage live under it, is not
 * evidence that they all left: a wrong base, an ACL change or a restore in progress look the
 * same. It is reported as not read completely, so nobody is deactivated for it.
 */
export function emptyBaseProblems(
  entriesPerBase: Readonly<Record<string, number>>,
  snapshot: readonly SnapshotUser[] | (() => readonly SnapshotUser[]),
): ScopeProblem[] {
  const problems: ScopeProblem[] = [];
  // The snapshot is read only when a base came back empty: not on every full sync.
  let rows: readonly SnapshotUser[] | undefined;
  for (const [base, count] of Object.entries(entriesPerBase)) {
    if (count > 0) continue;
    rows ??= typeof snapshot === 'function' ? snapshot() : snapshot;
    const canonical = normalizeDn(base);
    const managed = rows.filter((u) => u.active && normalizeDn(u.dn).endsWith(`,${canonical}`)).length;
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
export async function readDirectoryPass(
  loaded: LoadedConfig,
  db: StateDb,
  delta: boolean,
  onEntries?: (count: number) => void,
  /** Keep each entry's attributes (explain shows them); else the rules run as entries arrive. */
  keepAttributes = false,
): Promise<DirectoryPass> {
  const { directory, source, rules } = loaded.config;
  if (!directory || !loaded.bindPassword) {
    if (!source) throw new Error('no directory and no source configured'); // the schema refuses this
    // A CSV file is always read whole, and a file whose every row passed is a complete read.
    const csv = readCsvSource(source.csv, rules);
    // An export cut short to its header is not evidence that everybody left (invariant 1).
    const managed = csv.rows === 0 ? new SnapshotStore(db).all().filter((u) => u.active && u.dn.startsWith('csv:')).length : 0;
    const problems =
      managed > 0
        ? [
            {
              scope: `source.csv ${source.csv.file}`,
              reason: `the file has no rows, but ${managed} managed active user(s) came from it`,
            },
          ]
        : [];
    return {
      kind: 'full',
      server: source.csv.file,
      vendor: 'csv',
      rules: {
        usernameTemplate: CSV_USERNAME_TEMPLATE,
        idAttribute: source.csv.idColumn ?? 'Email',
        attributes: CSV_ATTRIBUTES,
        groups: csv.mapping,
      },
      users: csv.users,
      inScope: csv.users.length,
      entriesRead: csv.rows,
      problems,
      groupSizes: Object.fromEntries(csv.mapping.map((m) => [m.dn, csv.users.filter((u) => u.groups.includes(m.dn)).length])),
      ...(delta ? { fallback: 'a CSV source is always read in full' } : {}),
      commit: () => undefined,
      release: () => undefined,
    };
  }
  const store = new ScopeStore(db);
  const mark = delta ? store.mark() : undefined;
  const input = mark ? { mark, scope: store.all() } : undefined;
  const profileFor = keepAttributes
    ? undefined
    : (settings: DirectorySettings): Profiler =>
        profiler(profileOptions({ usernameTemplate: settings.usernameTemplate, attributes: directory.attributes }, rules));
  const read = await readConfiguredDirectory(directory, loaded.bindPassword, input, onEntries, profileFor);
  const common = {
    server: read.server,
    vendor: read.settings.vendor.kind,
    rules: {
      usernameTemplate: read.settings.usernameTemplate,
      idAttribute: read.settings.idAttribute,
      attributes: directory.attributes,
      groups: directory.groups,
    },
  };
  if (read.kind === 'delta') {
    const d = read.delta;
    const scope = scopeOf(d.users);
    const sizes: Record<string, number> = {};
    for (const g of d.groupsReread) sizes[g] = d.users.filter((u) => u.groups.includes(g)).length;
    return {
      ...common,
      kind: 'delta',
      users: d.users,
      inScope: d.users.length,
      entriesRead: d.entriesRead,
      problems: d.problems,
      groupSizes: sizes,
      affected: new Set(d.users.map((u) => u.externalId)),
      commit: () => store.update(scope, d.mark),
      release: () => {
        d.users.length = 0;
      },
    };
  }
  const fallback = read.fallback ?? (delta && !mark ? 'no complete full sync to start a delta from yet' : undefined);
  const full = read.read;
  const problems = [...full.problems, ...emptyBaseProblems(full.entriesPerBase, () => new SnapshotStore(db).all())];
  const next: ChangeMark | undefined = read.mark;
  const scope = scopeOf(full.users);
  return {
    ...common,
    kind: 'full',
    users: full.users,
    inScope: full.users.length,
    entriesRead: full.entriesRead,
    problems,
    groupSizes: full.groupSizes,
    ...(fallback ? { fallback } : {}),
    commit: () => store.replace(scope, next),
    release: () => {
      full.users.length = 0;
    },
  };
}
