import type { LicensingConfig } from '../config/schema';
import { errorMessage } from '../errors/codes';
import { licenseAttributePath, licensesOnUser } from '../target/license-resource';
import type { ScimClient } from '../target/scim-client';
import { licenseGroupOf } from './session';

/** The Group extension a target uses to say how many seats a license has (read for `seats: target`). */
export const LICENSE_GROUP_EXTENSION = 'urn:dirsync:params:scim:schemas:extension:licensing:2.0:Group';

export interface LicenseHoldings {
  /** Managed licenses the target shows, per externalId of a managed account it listed. Undefined: not read. */
  readonly observed: ReadonlyMap<string, readonly string[]> | undefined;
  /** Holders of each license that dirsync does not manage (known only when `observed` was read). */
  readonly unmanaged: ReadonlyMap<string, number>;
  /** Seat counts read from the target (`seats: target`). A license missing here could not be read. */
  readonly seats: ReadonlyMap<string, number>;
  /** What could not be read, each naming the license or request; the run goes on without it. */
  readonly problems: readonly string[];
}

export interface HoldingsRequest {
  readonly client: ScimClient;
  readonly licensing: LicensingConfig;
  /** targetId -> externalId of every account dirsync manages. */
  readonly managed: ReadonlyMap<string, string>;
  /** Read who holds what (drift); false: only the seat counts. */
  readonly readHolders: boolean;
}

function seatsOf(group: Record<string, unknown>): number | undefined {
  const ext = group[LICENSE_GROUP_EXTENSION];
  if (ext === null || typeof ext !== 'object') return undefined;
  const seats = (ext as Record<string, unknown>)['seats'];
  return typeof seats === 'number' && Number.isInteger(seats) && seats >= 0 ? seats : undefined;
}

/**
 * Reads what the target holds: per managed account, the managed licenses it shows (through
 * the configured representation), how many holders are outside dirsync's management, and seat
 * counts published on the license's SCIM Group. Every failure becomes a problem line; nothing
 * is inferred from what could not be read.
 */
export async function readLicenseHoldings(req: HoldingsRequest): Promise<LicenseHoldings> {
  const { client, licensing, managed } = req;
  const catalog = new Set(licensing.licenses.map((l) => l.name));
  const groupOf = licenseGroupOf(licensing);
  const problems: string[] = [];
  const unmanaged = new Map<string, number>();
  const seats = new Map<string, number>();
  const countUnmanaged = (license: string): void => {
    unmanaged.set(license, (unmanaged.get(license) ?? 0) + 1);
  };
  const groupCache = new Map<string, Record<string, unknown> | undefined>();
  const readGroup = async (license: string): Promise<Record<string, unknown> | undefined> => {
    const name = groupOf(license);
    if (groupCache.has(name)) return groupCache.get(name);
    const found = await client.findGroups(name);
    const first = found[0];
    const group = found.length === 1 && first ? await client.getGroupRaw(first.id) : undefined;
    if (found.length > 1) problems.push(`license ${license}: ${found.length} target groups are named "${name}"`);
    else if (!group) problems.push(`license ${license}: the target has no group named "${name}"`);
    groupCache.set(name, group);
    return group;
  };

  let observed: Map<string, string[]> | undefined;
  if (req.readHolders) {
    const held = new Map<string, string[]>();
    try {
      const rep = licensing.representation;
      const path = licenseAttributePath(rep);
      if (path) {
        const attribute = rep.kind === 'extension' ? rep.schema : path;
        await client.forEachUser(['id', 'externalId', attribute], (user) => {
          const id = typeof user['id'] === 'string' ? user['id'] : undefined;
          if (!id) return;
          const licenses = licensesOnUser(rep, user, catalog);
          const externalId = managed.get(id);
          if (externalId !== undefined) held.set(externalId, licenses);
          else licenses.forEach(countUnmanaged);
        });
      } else {
        for (const externalId of managed.values()) held.set(externalId, []);
        for (const license of [...catalog].sort()) {
          const group = await readGroup(license);
          if (!group) throw new Error(`license ${license} cannot be read from the target`);
          const members = Array.isArray(group['members']) ? (group['members'] as unknown[]) : [];
          for (const member of members) {
            const id = member !== null && typeof member === 'object' ? (member as Record<string, unknown>)['value'] : undefined;
            if (typeof id !== 'string') continue;
            const externalId = managed.get(id);
            if (externalId === undefined) countUnmanaged(license);
            else held.get(externalId)?.push(license);
          }
        }
        for (const list of held.values()) list.sort();
      }
      observed = held;
    } catch (err) {
      problems.push(`the licenses the target holds could not be read (${errorMessage(err)}): drift is not repaired this run`);
      unmanaged.clear();
    }
  }

  for (const license of licensing.licenses.filter((l) => l.seats === 'target')) {
    try {
      const group = await readGroup(license.name);
      const count = group && seatsOf(group);
      if (count === undefined) {
        if (group)
          problems.push(
            `license ${license.name}: the target group "${groupOf(license.name)}" has no ${LICENSE_GROUP_EXTENSION}:seats`,
          );
        continue;
      }
      seats.set(license.name, count);
    } catch (err) {
      problems.push(`license ${license.name}: seat count not read (${errorMessage(err)})`);
    }
  }
  return { observed, unmanaged, seats, problems };
}
