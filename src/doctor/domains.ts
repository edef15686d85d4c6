import type { SnapshotUser } from '../model/user-state';

/** The part of an address after "@", lower-cased; "(no email)" when there is none. */
export function domainOf(email: string | undefined): string {
  const at = email?.lastIndexOf('@') ?? -1;
  return email && at > 0 ? email.slice(at + 1).toLowerCase() : '(no email)';
}

export function isVerified(domain: string, verified: readonly string[]): boolean {
  return verified.includes(domain.toLowerCase());
}

/** In-scope users per email domain whose domain is not verified: they would land Unverified. */
export function unverifiedCounts(emails: readonly string[], verified: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const email of emails) {
    const domain = domainOf(email);
    if (!isVerified(domain, verified)) counts.set(domain, (counts.get(domain) ?? 0) + 1);
  }
  return new Map([...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
}

/** A user the last run could not provision, as its report lists it. */
export interface SkippedEntry {
  readonly reason: string;
  readonly domain: string;
}

export interface DomainRow {
  readonly domain: string;
  readonly verified: boolean;
  /** Accounts dirsync manages (the snapshot), active or not. */
  readonly managed: number;
  /** Managed, active, domain verified: Active on the product side at once. */
  readonly active: number;
  /** Managed and active but the domain is not verified: Unverified until the person activates by email. */
  readonly pending: number;
  readonly inactive: number;
  /** Skipped by the last run for a rule (not consolidation). */
  readonly skipped: number;
  /** Accounts outside the organisation the last run could not link. */
  readonly needsConsolidation: number;
  /** Known accounts inside the organisation / all known accounts, 0..1; undefined when none are known. */
  readonly consolidationRate: number | undefined;
}

/** Vendors recommend enforcing single sign-on only once this share of known accounts is consolidated. */
export const SSO_READY_RATE = 0.75;

/** Per-domain figures from the snapshot and the last run's skipped users. Pure; sorted by domain. */
export function domainReport(
  snapshot: readonly SnapshotUser[],
  skipped: readonly SkippedEntry[],
  verified: readonly string[],
): DomainRow[] {
  const domains = new Set([...snapshot.map((u) => domainOf(u.email)), ...skipped.map((s) => s.domain)]);
  return [...domains].sort().map((domain) => {
    const users = snapshot.filter((u) => domainOf(u.email) === domain);
    const ok = isVerified(domain, verified);
    const mine = skipped.filter((s) => s.domain === domain);
    const needsConsolidation = mine.filter((s) => s.reason === 'NEEDS_CONSOLIDATION').length;
    const managed = users.length;
    const activeUsers = users.filter((u) => u.active).length;
    const known = managed + needsConsolidation;
    return {
      domain,
      verified: ok,
      managed,
      active: ok ? activeUsers : 0,
      pending: ok ? 0 : activeUsers,
      inactive: managed - activeUsers,
      skipped: mine.length - needsConsolidation,
      needsConsolidation,
      consolidationRate: known === 0 ? undefined : managed / known,
    };
  });
}
