import type { Secret } from '../config/secret';
import type { DirectoryConfig } from '../config/schema';
import type { ChangeMark } from '../state/scope';
import { DirectoryError, DirsyncError, errorMessage } from '../errors/codes';
import { DirectoryClient } from './client';
import { deltaFallback, readInvocationId, serverIdentity } from './change-mark';
import { readDelta, type DeltaInput, type DeltaRead } from './delta';
import { readDirectory, type DirectoryRead, type Profiler } from './read';
import { resolveSettings, type DirectorySettings } from './settings';
import type { RootDseInfo } from './vendor';

interface ReadCommon {
  /** The URL that answered (failover tries them in order). */
  readonly server: string;
  readonly rootDse: RootDseInfo;
  readonly settings: DirectorySettings;
}

export type ConfiguredRead =
  | (ReadCommon & {
      readonly kind: 'full';
      readonly read: DirectoryRead;
      /** Where a delta can start from after this read; undefined when the server gives none. */
      readonly mark: ChangeMark | undefined;
      /** Why a requested delta became a full read. */
      readonly fallback?: string;
    })
  | (ReadCommon & { readonly kind: 'delta'; readonly delta: DeltaRead });

/**
 * Connect (with failover), identify the vendor, read, disconnect. A delta is read only when
 * there is a mark from the same server; otherwise the read is full and says why. profileFor:
 * the rules to run on each entry of a full read as it arrives (read.ts readDirectory), made
 * once the settings (the vendor's username template) are known.
 */
export async function readConfiguredDirectory(
  config: DirectoryConfig,
  bindPassword: Secret,
  delta?: DeltaInput,
  onEntries?: (count: number) => void,
  profileFor?: (settings: DirectorySettings) => Profiler,
): Promise<ConfiguredRead> {
  const client = await DirectoryClient.connect({
    urls: Array.isArray(config.url) ? config.url : [config.url],
    bindDn: config.bindDn,
    bindPassword,
    caFile: config.tls.caFile,
    startTls: config.tls.startTls,
    allowInsecure: config.allowInsecure,
    timeoutMs: config.timeoutMs,
  });
  client.onEntries = onEntries;
  try {
    return await readWith(client, config, delta, profileFor);
  } catch (err) {
    // A connection cut mid-read surfaces as a socket error: still a directory failure (exit 3).
    if (err instanceof DirsyncError) throw err;
    throw new DirectoryError(
      'DIRECTORY_SEARCH',
      `reading ${client.url} failed: ${errorMessage(err)}`,
      { url: client.url },
      { cause: err },
    );
  } finally {
    await client.close();
  }
}

async function readWith(
  client: DirectoryClient,
  config: DirectoryConfig,
  delta: DeltaInput | undefined,
  profileFor: ((settings: DirectorySettings) => Profiler) | undefined,
): Promise<ConfiguredRead> {
  // Read before anything else: changes made while we read are then above the mark.
  const rootDse = await client.rootDse();
  const settings = resolveSettings(config, config.type === 'auto' ? rootDse.kind : config.type);
  const usn = rootDse.highestCommittedUsn;
  // AD: the mark is kept per DC and per database (invocationId): a restored DC reads in full.
  const identity = serverIdentity(rootDse, client.url, await readInvocationId(client, rootDse));
  const { serverId } = identity;
  const common = { server: client.url, rootDse, settings };
  let fallback: string | undefined;
  if (delta) {
    fallback = deltaFallback(delta.mark, { identity, vendor: settings.vendor.kind, highestCommittedUsn: usn });
    if (fallback === undefined) {
      const next: ChangeMark = { serverId, mark: usn ?? delta.mark.mark };
      return { ...common, kind: 'delta', delta: await readDelta(client, settings, delta, next) };
    }
  }
  const read = await readDirectory(client, settings, profileFor?.(settings));
  const markValue = settings.vendor.kind === 'activedirectory' ? usn : read.newestChange;
  return {
    ...common,
    kind: 'full',
    read,
    mark: markValue ? { serverId, mark: markValue } : undefined,
    ...(fallback ? { fallback } : {}),
  };
}
