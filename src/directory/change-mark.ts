import type { ChangeMark } from '../state/scope';
import type { DirectoryClient } from './client';
import { formatGuid, type RootDseInfo, type VendorKind } from './vendor';

/**
 * Whose change counter a delta mark belongs to.
 *
 * AD uSNs are per domain controller *and* per database: a DC restored from a backup keeps its
 * name and its NTDS Settings object (`dsServiceName`), but gets a new `invocationId`, and its
 * uSNs can go back below a mark taken before the restore. A delta from that mark would then miss
 * every change made between the backup and the restore. So an AD mark is kept with both, and a
 * changed invocationId means a full read.
 */
export interface ServerIdentity {
  /** What is stored with the mark (`directory_mark.server_id`). */
  readonly serverId: string;
  /** AD only: the DC's invocationId (canonical GUID form), when it could be read. */
  readonly invocationId?: string;
}

const INVOCATION = '|invocationId=';

/** `ad:<dsServiceName>|invocationId=<guid>` on AD; `ldap:<url>` elsewhere. */
export function serverIdentity(rootDse: RootDseInfo, url: string, invocationId?: string): ServerIdentity {
  if (rootDse.kind !== 'activedirectory') return { serverId: `ldap:${url}` };
  const dc = `ad:${rootDse.dsServiceName ?? rootDse.dnsHostName ?? url}`;
  return invocationId ? { serverId: `${dc}${INVOCATION}${invocationId}`, invocationId } : { serverId: dc };
}

/** A stored server id split into the DC (or server) and the AD invocationId it carries, if any. */
export function parseServerId(serverId: string): { readonly server: string; readonly invocationId?: string } {
  const at = serverId.lastIndexOf(INVOCATION);
  if (!serverId.startsWith('ad:') || at < 0) return { server: serverId };
  return { server: serverId.slice(0, at), invocationId: serverId.slice(at + INVOCATION.length) };
}

/**
 * The DC's invocationId, read from its NTDS Settings object (the RootDSE's `dsServiceName`),
 * which every authenticated account may read. Undefined when it cannot be read: the caller
 * then reads in full, since a restore could not be ruled out.
 */
export async function readInvocationId(client: DirectoryClient, rootDse: RootDseInfo): Promise<string | undefined> {
  if (rootDse.kind !== 'activedirectory' || !rootDse.dsServiceName) return undefined;
  try {
    const entry = await client.readEntry(rootDse.dsServiceName, ['invocationId'], ['invocationId']);
    const bytes = entry?.binary['invocationid']?.[0];
    const id = bytes ? formatGuid(bytes) : '';
    return id === '' ? undefined : id;
  } catch {
    return undefined;
  }
}

export interface CurrentServer {
  readonly identity: ServerIdentity;
  readonly vendor: VendorKind;
  /** AD: the RootDSE's highestCommittedUSN, read before anything else. */
  readonly highestCommittedUsn?: string;
}

/**
 * Whether a delta may start from `previous` on the server that answered: undefined when it may,
 * else why the read must be full (logged as "full read instead of a delta").
 */
export function deltaFallback(previous: ChangeMark, current: CurrentServer): string | undefined {
  const { identity } = current;
  if (previous.serverId !== identity.serverId) {
    const before = parseServerId(previous.serverId);
    const now = parseServerId(identity.serverId);
    if (current.vendor === 'activedirectory' && before.server === now.server) {
      if (before.invocationId === undefined)
        return `the last mark of ${now.server} was kept without the DC's invocationId, so a restore since cannot be ruled out`;
      if (now.invocationId === undefined)
        return `the invocationId of ${now.server} could not be read, so a restore from a backup cannot be ruled out`;
      return (
        `the DC ${now.server} has a new invocationId (${before.invocationId} -> ${now.invocationId}): ` +
        'it was restored from a backup or its database was replaced, and its uSNs may have gone back'
      );
    }
    return `the last full sync read ${previous.serverId}, this server is ${identity.serverId}: change marks are per server`;
  }
  if (current.vendor !== 'activedirectory') return undefined;
  const usn = current.highestCommittedUsn;
  if (!usn || !/^\d+$/.test(usn)) return 'the server did not give its highestCommittedUSN';
  if (identity.invocationId === undefined)
    return `the invocationId of ${parseServerId(identity.serverId).server} could not be read, so a restore from a backup cannot be ruled out`;
  if (/^\d+$/.test(previous.mark) && BigInt(usn) < BigInt(previous.mark))
    return `the DC's highestCommittedUSN (${usn}) is below the last mark (${previous.mark}): its database went back`;
  return undefined;
}
