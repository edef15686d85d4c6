import type { LicensingConfig } from '../config/schema';
import type { DesiredUser, SnapshotUser } from '../model/user-state';
import { resolveLicenses, type LicenseResolution } from '../plan/licenses';
import type { LicenseHoldings } from './license-holdings';

export interface LicensingStepInput {
  readonly licensing: LicensingConfig;
  readonly users: readonly DesiredUser[];
  readonly priorities: ReadonlyMap<string, number>;
  /** Every managed account (seats are counted over all of them). */
  readonly snapshot: readonly SnapshotUser[];
  readonly holdings: LicenseHoldings | undefined;
  readonly now: Date;
  /**
   * Whether the plan may act on accounts absent from this read (no read problems): only then
   * does an absent inactive account's release happen, and so free its seat. Default true.
   */
  readonly absenceTrusted?: boolean;
  /** Access changes are held this run (buildPlan's holdAccessChanges): nothing granted is taken away. */
  readonly holdAccessChanges?: boolean;
  /** A delta: the only accounts the plan touches. Undefined: every account. */
  readonly planned?: ReadonlySet<string>;
}

export interface LicensingStep {
  readonly resolution: LicenseResolution;
  /** Seat limits that could not be known and were frozen at the current holders. */
  readonly problems: readonly string[];
}

const DAY_MS = 86_400_000;

/** An inactive account whose licenses go this run (grace period over) or which is deleted. */
function releasesNow(s: SnapshotUser, licensing: LicensingConfig, now: Date): boolean {
  if (s.active || !s.deactivatedAt) return false;
  const days = Math.floor((now.getTime() - Date.parse(s.deactivatedAt)) / DAY_MS);
  const { revokeLicensesAfterDays, deleteAfterDays } = licensing.deprovision;
  return days >= revokeLicensesAfterDays || (deleteAfterDays !== undefined && days >= deleteAfterDays);
}

/**
 * Seat limits and seats used outside the active users, then resolveLicenses. A limit read from
 * the target that could not be read is frozen at the current holders: nobody loses a seat and
 * nobody new gets one because a count was missing.
 */
export function resolveRunLicenses(input: LicensingStepInput): LicensingStep {
  const { licensing, holdings, now } = input;
  // No catalog and nobody asking: nothing to seat, nothing to deny (a no-op at 100k users saves
  // the snapshot index and the seat count below).
  if (licensing.licenses.length === 0 && input.users.every((u) => u.licenses.length === 0)) {
    return { resolution: { users: input.users, incompatible: [], shortfalls: [], seats: [], denied: new Map() }, problems: [] };
  }
  const observed = holdings?.observed;
  const heldBy = (s: SnapshotUser): readonly string[] => observed?.get(s.externalId) ?? s.licenses;
  const activeIds = new Set(input.users.filter((u) => u.active).map((u) => u.externalId));
  const desiredIds = new Set(input.users.map((u) => u.externalId));
  const byId = new Map(input.snapshot.map((s) => [s.externalId, s]));
  /** The plan releases this account's licenses in this run (so its seats are free for others). */
  const released = (s: SnapshotUser): boolean =>
    releasesNow(s, licensing, now) &&
    (input.planned === undefined || input.planned.has(s.externalId)) &&
    (desiredIds.has(s.externalId) || input.absenceTrusted !== false);

  const otherUse = new Map<string, number>();
  const holders = new Map<string, number>();
  for (const s of input.snapshot) {
    for (const license of heldBy(s)) holders.set(license, (holders.get(license) ?? 0) + 1);
    if (activeIds.has(s.externalId) || released(s)) continue;
    for (const license of heldBy(s)) otherUse.set(license, (otherUse.get(license) ?? 0) + 1);
  }

  const problems: string[] = [];
  const limits = new Map<string, number>();
  for (const license of licensing.licenses) {
    if (typeof license.seats === 'number') limits.set(license.name, license.seats);
    else if (license.seats === 'target') {
      const total = holdings?.seats.get(license.name);
      if (total === undefined) {
        const frozen = holders.get(license.name) ?? 0;
        limits.set(license.name, frozen);
        problems.push(
          `license ${license.name}: the seat count could not be read from the target; held at the ${frozen} current holder(s)`,
        );
      } else {
        limits.set(license.name, Math.max(0, total - (holdings?.unmanaged.get(license.name) ?? 0)));
      }
    }
  }

  const types = licensing.userTypes;
  const allowedByType = new Map(Object.entries(types ?? {}).map(([type, rules]) => [type, new Set(rules.licenses)]));
  const resolution = resolveLicenses({
    users: input.users,
    priorities: input.priorities,
    limits,
    allowed: types ? (type) => allowedByType.get(type) ?? new Set<string>() : undefined,
    current: (externalId) => {
      const s = byId.get(externalId);
      return s && { held: heldBy(s), ours: s.licenses };
    },
    otherUse,
    exclusive: licensing.exclusive,
    keepGranted: input.holdAccessChanges === true,
  });
  return { resolution, problems };
}
