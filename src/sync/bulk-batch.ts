import { TargetError, errorMessage } from '../errors/codes';
import type { Operation } from '../model/plan';
import type { BulkAnswer } from '../target/bulk-types';
import type { ApplyContext, OperationOutcome } from './apply';
import type { BulkItem, SinglePath } from './bulk-context';
import { verdictOf } from './bulk-verdict';

type Settle = (seq: number, op: Operation, outcome: OperationOutcome) => void;

/**
 * Sends the batches of one applyPlan: one BulkRequest per batch, each answer settled as the
 * single path would settle it (`settle` journals it), and whatever the bulk could not settle
 * sent again on the single path, a create looked up first so that it is never made twice. A
 * bulk request that fails as a whole (no answer, 5xx, 4xx, an unreadable BulkResponse) turns
 * bulk off for the rest of the run; so does a 403, after which the batch goes the single way
 * without lookups (a refused request applied nothing). A 401 (the token refused) fails the
 * batch like any request.
 */
export class BulkSender {
  readonly #ctx: ApplyContext;
  readonly #single: SinglePath;
  readonly #settle: Settle;
  readonly #stop: () => string | undefined;
  /** Why bulk was turned off for the rest of this run. */
  #off: string | undefined;
  /** Plan entries never sent: stopped before their batch (or their turn on the single path). */
  readonly notSent: number[] = [];
  /**
   * Plan entries sent in a bulk request without a usable answer, then stopped before the single
   * path: they may have been applied, so they stay pending for resume to look up, never "not sent".
   */
  readonly unconfirmed: number[] = [];
  stopReason: string | undefined;

  constructor(ctx: ApplyContext, single: SinglePath, settle: Settle, stop: () => string | undefined) {
    this.#ctx = ctx;
    this.#single = single;
    this.#settle = settle;
    this.#stop = stop;
  }

  /** One batch; the pool asked `stop` once before it. */
  async send(items: readonly BulkItem[]): Promise<void> {
    const bulk = this.#ctx.bulk;
    if (!bulk || this.#off !== undefined) {
      // Nothing of these was sent: each goes as it would without bulk.
      await this.#oneByOne(items, false, true);
      return;
    }
    let answers: BulkAnswer[];
    try {
      this.#ctx.logger.debug('sending a bulk request', {
        operations: items.length,
        bytes: items.reduce((n, i) => n + i.bytes, 0),
      });
      answers = await bulk.target.sendBulk(items.map((i) => i.request));
    } catch (err) {
      if (err instanceof TargetError && err.status === 403) {
        // Refused, so not applied: some targets keep /Bulk for other clients or a wider scope.
        // The single path finds out whether the token may write /Users at all (a 403 there
        // stops the run, as it does without bulk).
        this.#turnOff(err, 'the target refused the SCIM bulk request (403)');
        await this.#oneByOne(items, false, false);
        return;
      }
      if (err instanceof TargetError && err.code === 'TARGET_AUTH') {
        for (const item of items) this.#settle(item.seq, item.write.op, this.#single.fail(item.write.op, err));
        return;
      }
      this.#turnOff(err);
      await this.#oneByOne(items, true, false);
      return;
    }
    const again: BulkItem[] = [];
    for (const [i, item] of items.entries()) {
      const { op } = item.write;
      const verdict = verdictOf(item, answers[i]);
      switch (verdict.kind) {
        case 'confirmed':
          this.#settle(item.seq, op, await this.#single.confirm(op, verdict.targetId));
          break;
        case 'failed':
          this.#settle(item.seq, op, this.#single.fail(op, verdict.error));
          break;
        case 'single':
          this.#ctx.logger.debug('bulk operation not confirmed; sending it on its own', {
            kind: op.kind,
            dn: op.dn,
            why: verdict.why,
          });
          again.push(item);
          break;
      }
    }
    await this.#oneByOne(again, true, false);
  }

  /**
   * The single path, one after the other in this worker (the pool's bound on requests in flight
   * holds). `sent`: they went out in a bulk request that may have applied them, so a create is
   * looked up before anything is sent again.
   */
  async #oneByOne(items: readonly BulkItem[], sent: boolean, askedForFirst: boolean): Promise<void> {
    for (const [i, item] of items.entries()) {
      const why = i === 0 && askedForFirst ? undefined : this.#stop();
      if (why !== undefined) return this.#stopped(items.slice(i), why, sent);
      this.#settle(item.seq, item.write.op, await this.#single.apply(item.write.op, sent));
    }
  }

  #stopped(items: readonly BulkItem[], why: string, sent: boolean): void {
    (sent ? this.unconfirmed : this.notSent).push(...items.map((i) => i.seq));
    this.stopReason ??= why;
  }

  #turnOff(err: unknown, what = 'a SCIM bulk request failed as a whole'): void {
    if (this.#off !== undefined) return;
    this.#off = errorMessage(err);
    this.#ctx.logger.warn(`${what}; the rest of this run is sent one operation at a time`, { error: this.#off });
  }
}
