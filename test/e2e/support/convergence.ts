import type { ScimUserView } from './scim';
import type { Person } from './people';

export interface GroupMapping {
  readonly cn: string;
  readonly role: string;
  readonly userType: string;
}

export interface ConvergenceProblem {
  readonly kind: 'duplicate' | 'missing' | 'unexpected' | 'mismatch';
  readonly detail: string;
}

/**
 * Compares what the target holds with what the directory says, independently of dirsync's own
 * snapshot: every in-scope person has exactly one active account with the right values; every
 * person who ever had one and left has exactly one inactive account; nobody else has one; no
 * externalId or userName is held twice. `mayHaveAccount`: persons in scope only while a run was
 * killed (before or after it created them): an account is allowed, inactive, not required.
 */
export function convergenceProblems(
  users: readonly ScimUserView[],
  persons: ReadonlyMap<string, Person>,
  membership: ReadonlyMap<string, ReadonlySet<string>>,
  mappings: readonly GroupMapping[],
  everInScope: ReadonlySet<string>,
  mayHaveAccount: ReadonlySet<string> = new Set(),
): ConvergenceProblem[] {
  const problems: ConvergenceProblem[] = [];
  const byExternalId = new Map<string, ScimUserView[]>();
  const byUserName = new Map<string, ScimUserView[]>();
  for (const u of users) {
    const ext = u.externalId ?? '(none)';
    byExternalId.set(ext, [...(byExternalId.get(ext) ?? []), u]);
    byUserName.set(u.userName.toLowerCase(), [...(byUserName.get(u.userName.toLowerCase()) ?? []), u]);
  }
  for (const [ext, list] of byExternalId) {
    if (list.length > 1)
      problems.push({ kind: 'duplicate', detail: `externalId ${ext} on ${list.map((u) => u.userName).join(', ')}` });
  }
  for (const [name, list] of byUserName) {
    if (list.length > 1) problems.push({ kind: 'duplicate', detail: `userName ${name} on ${list.length} accounts` });
  }
  for (const [uid, p] of persons) {
    const accounts = byUserName.get(uid.toLowerCase()) ?? [];
    const mapping = mappings.find((m) => membership.get(m.cn)?.has(uid));
    if (mapping) {
      const a = accounts[0];
      if (!a) {
        problems.push({ kind: 'missing', detail: `${uid} is in scope but has no account` });
        continue;
      }
      const got = {
        active: a.active,
        email: a.emails?.[0]?.value,
        displayName: a.displayName,
        role: a.roles?.[0]?.value,
        userType: a.userType,
        givenName: a.name?.givenName,
      };
      const want = {
        active: true,
        email: p.mail,
        displayName: p.displayName,
        role: mapping.role,
        userType: mapping.userType,
        givenName: p.givenName,
      };
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        problems.push({ kind: 'mismatch', detail: `${uid}: target ${JSON.stringify(got)} != directory ${JSON.stringify(want)}` });
      }
    } else if (everInScope.has(uid)) {
      if (accounts.length === 0) problems.push({ kind: 'missing', detail: `${uid} left scope but its account vanished` });
      else if (accounts[0]?.active !== false)
        problems.push({ kind: 'mismatch', detail: `${uid} left scope but is still active` });
    } else if (mayHaveAccount.has(uid)) {
      if (accounts[0] !== undefined && accounts[0].active !== false)
        problems.push({ kind: 'mismatch', detail: `${uid} left scope (in scope only during a killed run) but is active` });
    } else if (accounts.length > 0) {
      problems.push({ kind: 'unexpected', detail: `${uid} was never in scope but has an account` });
    }
  }
  for (const u of users) {
    if (!persons.has(u.userName))
      problems.push({ kind: 'unexpected', detail: `account ${u.userName} matches no directory person` });
  }
  return problems;
}
