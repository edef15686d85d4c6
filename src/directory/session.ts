import type { Secret } from '../config/secret';
import type { DirectoryConfig } from '../config/schema';
import { DirectoryClient } from './client';
import { readDirectory, type DirectoryRead } from './read';
import { resolveSettings, type DirectorySettings } from './settings';
import type { RootDseInfo } from './vendor';

export interface ConfiguredRead {
  readonly read: DirectoryRead;
  /** The URL that answered (failover tries them in order). */
  readonly server: string;
  readonly rootDse: RootDseInfo;
  readonly settings: DirectorySettings;
}

/** Connect (with failover), identify the vendor, read the mapped groups' users, disconnect. */
export async function readConfiguredDirectory(config: DirectoryConfig, bindPassword: Secret): Promise<ConfiguredRead> {
  const client = await DirectoryClient.connect({
    urls: Array.isArray(config.url) ? config.url : [config.url],
    bindDn: config.bindDn,
    bindPassword,
    caFile: config.tls.caFile,
    startTls: config.tls.startTls,
    allowInsecure: config.allowInsecure,
    timeoutMs: config.timeoutMs,
  });
  try {
    const rootDse = await client.rootDse();
    const settings = resolveSettings(config, config.type === 'auto' ? rootDse.kind : config.type);
    const read = await readDirectory(client, settings);
    return { read, server: client.url, rootDse, settings };
  } finally {
    await client.close();
  }
}
