import type { CreateOperation } from '../model/plan';
import { primaryEmail, type ScimUser } from '../target/scim-types';

/**
 * What to do with accounts the target already holds for a user we want to create. Pure, so
 * the rule that decides whether an existing account is provably the same person is tested on
 * its own (DOMAIN.md, consolidation):
 *
 * 1. Exactly one account carries this user's externalId: it is ours (an earlier create landed
 *    but its answer was lost). Adopt it.
 * 2. Several carry it: the target already has duplicates; never pick one.
 * 3. Otherwise the accounts holding the userName or the email are looked at. Adopt only when
 *    there is exactly one, it has no externalId (no directory manages it) and its primary
 *    email equals ours ignoring case (the organisation's mailbox: the same person).
 * 4. Anything else (another externalId, another email, userName and email held by two
 *    different accounts) is reported as needing consolidation, and nothing is written.
 */
export type AdoptionDecision =
  | { readonly kind: 'adopt'; readonly account: ScimUser; readonly why: 'same-externalId' | 'same-email-unmanaged' }
  | { readonly kind: 'consolidate'; readonly message: string }
  | { readonly kind: 'none' };

export interface ExistingAccounts {
  readonly byExternalId: readonly ScimUser[];
  readonly byUserName: readonly ScimUser[];
  readonly byEmail: readonly ScimUser[];
}

export function decideAdoption(op: CreateOperation, found: ExistingAccounts): AdoptionDecision {
  const [sameId, ...moreSameId] = found.byExternalId;
  if (sameId && moreSameId.length === 0) return { kind: 'adopt', account: sameId, why: 'same-externalId' };
  if (sameId) {
    const ids = found.byExternalId.map((u) => u.id).join(', ');
    return {
      kind: 'consolidate',
      message: `the target has ${found.byExternalId.length} accounts with externalId "${op.externalId}" (${ids}); dirsync will not pick one`,
    };
  }
  const holders = new Map<string, ScimUser>();
  for (const u of [...found.byUserName, ...found.byEmail]) holders.set(u.id, u);
  if (holders.size === 0) return { kind: 'none' };
  if (holders.size > 1) {
    const name = found.byUserName.map((u) => u.id).join(', ') || 'none';
    const mail = found.byEmail.map((u) => u.id).join(', ') || 'none';
    return {
      kind: 'consolidate',
      message: `userName "${op.userName}" and email ${op.desired.email} belong to different target accounts (userName: ${name}; email: ${mail}); it needs consolidation`,
    };
  }
  const account = [...holders.values()][0] as ScimUser;
  // Our own id under our userName: a create that landed, on a server that does not filter on externalId.
  if (account.externalId === op.externalId) return { kind: 'adopt', account, why: 'same-externalId' };
  if (account.externalId) {
    return {
      kind: 'consolidate',
      message: `target account ${account.id} has this userName or email but is managed by another source (externalId "${account.externalId}"); it needs consolidation`,
    };
  }
  const email = primaryEmail(account);
  if (!email || email.toLowerCase() !== op.desired.email.toLowerCase()) {
    return {
      kind: 'consolidate',
      message: `target account ${account.id} (userName "${account.userName ?? ''}") has email ${email ?? '(none)'}, not ${op.desired.email}: it cannot be proven to be this person; it needs consolidation`,
    };
  }
  return { kind: 'adopt', account, why: 'same-email-unmanaged' };
}
