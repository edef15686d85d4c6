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
  /**
   * What applyPlan needs. The target is asked for its features (ETags, Bulk) the first time this
   * is called: a run with nothing to send or resume never contacts it.
   */
  context(): Promise<ApplyContext>;
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
 * RUN_IN_PROGRESS) and resume dead runs' journals. Whether the target supports ETags and Bulk
 * is learnt when something is first sent (context()).
 */
export async function openApplySession(args: SessionArgs): Promise<ApplySession> {
  const lease = new Lease(args.db, APPLY_LEASE);
  lease.acquire(args.runId);
  lease.keepAlive();
  try {
    const journal = new Journal(args.db, new SnapshotStore(args.db));
    let context: Promise<ApplyContext> | undefined;
    const contextOf = (): Promise<ApplyContext> => (context ??= discoverContext(args, journal, lease));
    const resumed = await resumeInterrupted({ runId: args.runId, journal, logger: args.logger, context: contextOf }, args.runs);
    return { context: contextOf, resumed, release: () => lease.release() };
  } catch (err) {
    lease.release();
    throw err;
  }
}

/** The apply context, once the target's /ServiceProviderConfig is read (or could not be). */
async function discoverContext(args: SessionArgs, journal: Journal, lease: Lease): Promise<ApplyContext> {
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
  return {
    runId: args.runId,
    client: args.client,
    journal,
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
}
