import { createLogger } from '../../../src/log/logger';
import { openStateDb, type StateDb } from '../../../src/state/db';
import { Journal } from '../../../src/state/journal';
import { RunStore } from '../../../src/state/runs';
import { SnapshotStore } from '../../../src/state/snapshot';
import type { ApplyContext } from '../../../src/sync/apply';
import { FakeTarget } from './fake-target';

export interface TestContext {
  readonly db: StateDb;
  readonly runs: RunStore;
  readonly snapshot: SnapshotStore;
  readonly target: FakeTarget;
  ctx(runId: string, extra?: Partial<ApplyContext>): ApplyContext;
}

/** An in-memory state database, a fake target and a silent logger. */
export function testContext(): TestContext {
  const db = openStateDb(':memory:');
  const snapshot = new SnapshotStore(db);
  const target = new FakeTarget();
  const logger = createLogger({ level: 'error', silent: true });
  return {
    db,
    runs: new RunStore(db),
    snapshot,
    target,
    ctx: (runId, extra = {}) => ({
      runId,
      client: target,
      journal: new Journal(db, snapshot),
      logger,
      concurrency: 2,
      retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 },
      sleep: async () => undefined,
      ...extra,
    }),
  };
}
