import { TargetError } from '../errors/codes';
import type { Operation } from '../model/plan';
import { OperationSchema } from '../plan/frozen';
import type { PendingEntry } from '../state/journal';
import type { RunStore } from '../state/runs';
import { applyOperation, recordOutcome, type ApplyContext, type OperationOutcome } from './apply';
import { runPool } from './pool';

export interface ResumeSummary {
  /** Runs found dead (still marked running) and now marked interrupted. */
  readonly runs: readonly string[];
  /** Journal entries found pending. */
  readonly operations: number;
  readonly done: number;
  readonly failed: number;
  readonly consolidation: number;
}

export const NOTHING_RESUMED: ResumeSummary = { runs: [], operations: 0, done: 0, failed: 0, consolidation: 0 };

function parseEntry(entry: PendingEntry): Operation | undefined {
  try {
    const parsed = OperationSchema.safeParse(JSON.parse(entry.operation));
    return parsed.success ? (parsed.data as Operation) : undefined;
  } catch {
    return undefined;
  }
}

/** What resuming needs before it knows there is anything to re-send. */
export interface ResumeStart extends Pick<ApplyContext, 'runId' | 'journal' | 'logger'> {
  /** The whole apply context, asked for only when an operation is to be re-sent (it reads the target's features). */
  context(): Promise<ApplyContext>;
}

/**
 * Settles what dead runs left pending in the journal (invariant 2), before anything new is
 * planned. Safe to repeat: a pending create first asks the target by externalId (then userName
 * and email) and adopts what an earlier attempt created; a PATCH is idempotent and is re-sent.
 * An entry whose answer is still unknown (no answer, 5xx, 429, refused token) stays pending and
 * stops the run, because planning on top of an unknown state could duplicate it.
 * Must be called by the lease holder only.
 */
export async function resumeInterrupted(start: ResumeStart, runs: RunStore): Promise<ResumeSummary> {
  const { runId, logger } = start;
  const dead = runs.deadApplyingRuns(runId);
  const pending = start.journal.pending().filter((e) => e.runId !== runId);
  if (pending.length === 0 && dead.length === 0) return NOTHING_RESUMED;
  if (pending.length > 0) {
    logger.warn('resuming operations of interrupted runs', {
      runs: [...new Set(pending.map((e) => e.runId))],
      pending: pending.length,
    });
  }
  // Dead runs with nothing pending are only marked: the target is not needed for that.
  const ctx = pending.length > 0 ? await start.context() : undefined;

  let done = 0;
  let failed = 0;
  let consolidation = 0;
  const unsettled: { entry: PendingEntry; outcome: Extract<OperationOutcome, { status: 'failed' }> }[] = [];
  if (ctx)
    await runPool(pending, ctx.concurrency, async (entry) => {
      const op = parseEntry(entry);
      if (!op) {
        failed += 1;
        ctx.journal.fail(entry.runId, entry.seq, 'unreadable journal entry: not re-sent; the next plan recomputes it', ctx.runId);
        ctx.logger.error('unreadable journal entry', { run: entry.runId, seq: entry.seq, externalId: entry.externalId });
        return;
      }
      const outcome = await applyOperation(ctx, op, { lookFirst: true });
      if (outcome.status === 'failed' && outcome.unsettled) {
        unsettled.push({ entry, outcome });
        return;
      }
      if (outcome.status === 'done') done += 1;
      else if (outcome.status === 'failed') failed += 1;
      else consolidation += 1;
      recordOutcome(ctx, entry, op, outcome, ctx.runId);
    });

  for (const id of dead) {
    const mine = pending.filter((e) => e.runId === id).length;
    runs.markInterrupted(id, `interrupted; ${mine} unfinished operation(s) resumed by run ${runId}`);
  }
  const summary: ResumeSummary = { runs: dead, operations: pending.length, done, failed, consolidation };
  logger.info('interrupted runs resumed', { ...summary, stillPending: unsettled.length });

  const first = unsettled[0];
  if (first) {
    throw new TargetError(
      first.outcome.code === 'TARGET_AUTH' ? 'TARGET_AUTH' : 'TARGET_HTTP',
      `${unsettled.length} operation(s) left by interrupted run ${first.entry.runId} could not be confirmed (${first.outcome.error}); ` +
        'they stay in the journal and nothing new was planned',
    );
  }
  return summary;
}
