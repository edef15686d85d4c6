import type { LoadedConfig } from '../config/load';
import { ScimClient } from '../target/scim-client';

/** The SCIM client a run sends with, from the config's target section. */
export function targetClientFor(loaded: LoadedConfig): ScimClient {
  const { target } = loaded.config;
  return new ScimClient({
    url: target.url,
    token: loaded.token,
    caFile: target.caFile,
    allowInsecure: target.allowInsecure,
    timeoutMs: target.timeoutMs,
    retry: target.retry,
    requestsPerSecond: target.rateLimit?.requestsPerSecond,
  });
}
