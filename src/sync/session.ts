import type { LicensingConfig, TargetConfig } from '../config/schema';
import { errorMessage } from '../errors/codes';
import type { Logger } from '../log/logger';
import type { StateDb } from '../state/db';
import { Journal } from '../state/journal';
import { Lease } from '../state/lease';
import type { RunStore } from '../state/runs';
import { SnapshotStore } from '../state/snapshot';
import type { ScimClient, TargetFeatures } from '../target/scim-client';
import type { ApplyContext } from './apply';
import { bulkLimitsFor } from './bulk-settings';
import { resumeInterrupted, type ResumeSummary } from './resume';
import { TargetGroups } from './target-groups';

/** The lease every run that sends changes holds; the daemon takes the same one. */
export const APPLY_LEASE = 'apply';

export interface ApplySession {
  readonly ctx: ApplyContext;
  readonly resumed: ResumeSummary;
  release(): void;
}

export interface SessionArgs {
  readonly db: StateDb;
  readonly runId: string;
  readonly runs: RunStore;
  readonly client: ScimClient;
  readonly target: TargetConfig;
  readonly licensing: LicensingConfig;
  readonly logger: Logger;
}

/** displayName of the SCIM Group standing for a license: its `group` setting, else its name. */
export function licenseGroupOf(licensing: LicensingConfig): (license: string) => string {
  const groups = new Map(licensing.licenses.map((l) => [l.name, l.group ?? l.name]));
  return (license) => groups.get(license) ?? license;
}

/**
 * Everything a run that sends changes does before it may plan: take the lease (or fail with
 * RUN_IN_PROGRESS), learn whether the target supports ETags, and resume dead runs' journals.
 */
export async function openApplySession(args: SessionArgs): Promise<ApplySession> {
  const lease = new Lease(args.db, APPLY_LEASE);
  lease.acquire(args.runId);
  lease.keepAlive();
  try {
    let features: TargetFeatures = { etag: false };
    try {
      features = await args.client.discover();
    } catch (err) {
      // Not fatal: without the server's word we simply do not send If-Match (nor use Bulk).
      args.logger.warn('could not read the target /ServiceProviderConfig; ETags not used', { error: errorMessage(err) });
    }
    const { etag } = features;
    const bulk = bulkLimitsFor(args.target, features.bulk);
    args.logger.debug('target features', { etag, bulk: 'limits' in bulk ? bulk.limits : bulk.why });
    const ctx: ApplyContext = {
      runId: args.runId,
      client: args.client,
      journal: new Journal(args.db, new SnapshotStore(args.db)),
      logger: args.logger,
      concurrency: args.target.concurrency,
      etag,
      ...('limits' in bulk ? { bulk: { ...bulk.limits, target: args.client } } : {}),
      retry: args.client.retryPolicy,
      stopReason: () => lease.lost(),
      access: {
        representation: args.licensing.representation,
        licenseGroup: licenseGroupOf(args.licensing),
        groups: new TargetGroups(args.client),
      },
    };
    const resumed = await resumeInterrupted(ctx, args.runs);
    return { ctx, resumed, release: () => lease.release() };
  } catch (err) {
    lease.release();
    throw err;
  }
}
