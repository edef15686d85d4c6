import type { Operation } from '../model/plan';
import { SCIM_BULK_REQUEST_SCHEMA, type BulkOperation } from '../target/bulk-types';
import type { BulkItem, BulkLimits, BulkWrite } from './bulk-context';

/** What one worker of the apply pool takes at a time: one operation, or one bulk request's worth. */
export type WorkUnit =
  | { readonly kind: 'single'; readonly seq: number }
  | {
      readonly kind: 'batch';
      readonly seqs: readonly number[];
      /**
       * The batch's bulk operations, built when asked for (when the batch is sent): a plan of
       * 100,000 creates never holds 100,000 request bodies at once.
       */
      readonly items: readonly BulkItem[];
    };

/** The operations' places in the plan (and in the journal). */
export function seqsOf(unit: WorkUnit | undefined): number[] {
  if (!unit) return [];
  return unit.kind === 'single' ? [unit.seq] : [...unit.seqs];
}

/** Bytes of a BulkRequest with no operation: what the client sends around them. */
const ENVELOPE_BYTES = Buffer.byteLength(JSON.stringify({ schemas: [SCIM_BULK_REQUEST_SCHEMA], Operations: [] }));

/** The bulk operation of a plan entry; its bulkId is its place in the plan, unique in any request. */
export function bulkItemOf(seq: number, write: BulkWrite): BulkItem {
  const request: BulkOperation = { method: write.method, bulkId: `op${seq}`, path: write.path, data: write.data };
  return { seq, write, request, bytes: Buffer.byteLength(JSON.stringify(request)) };
}

/** Whether one more item keeps the request within both limits (the body is exactly this long). */
function fits(batch: readonly BulkItem[], bytes: number, item: BulkItem, limits: BulkLimits): boolean {
  return batch.length < limits.maxOperations && bytes + (batch.length > 0 ? 1 : 0) + item.bytes <= limits.maxPayloadBytes;
}

/**
 * Cuts the plan into work units. Without bulk: one unit per operation, in plan order (the single
 * path as it always was). With it: the operations `bulkWrite` accepts go in batches of at most
 * maxOperations and maxPayloadBytes, in plan order; one too large for a request on its own stays
 * single. Units come in the order of their first operation, so the pool starts them in plan order.
 */
export function workUnits(
  operations: readonly Operation[],
  limits: BulkLimits | undefined,
  bulkWrite: (op: Operation) => BulkWrite | undefined,
): WorkUnit[] {
  if (!limits) return operations.map((_, seq) => ({ kind: 'single', seq }));
  const units: { first: number; unit: WorkUnit }[] = [];
  // The items are measured here and built again when sent: bulkWrite is a pure function of the operation.
  const itemAt = (seq: number): BulkItem => {
    const write = bulkWrite(operations[seq] as Operation);
    if (!write) throw new Error(`internal: operation ${seq} was batched but is no longer bulkable`);
    return bulkItemOf(seq, write);
  };
  const batchOf = (seqs: readonly number[]): WorkUnit => ({
    kind: 'batch',
    seqs,
    get items(): readonly BulkItem[] {
      return seqs.map(itemAt);
    },
  });
  let batch: BulkItem[] = [];
  let bytes = ENVELOPE_BYTES;
  const close = (): void => {
    const first = batch[0];
    if (first) units.push({ first: first.seq, unit: batchOf(batch.map((i) => i.seq)) });
    batch = [];
    bytes = ENVELOPE_BYTES;
  };
  operations.forEach((op, seq) => {
    const write = bulkWrite(op);
    const item = write && bulkItemOf(seq, write);
    if (!item || !fits([], ENVELOPE_BYTES, item, limits)) {
      units.push({ first: seq, unit: { kind: 'single', seq } });
      return;
    }
    if (!fits(batch, bytes, item, limits)) close();
    bytes += (batch.length > 0 ? 1 : 0) + item.bytes;
    batch.push(item);
  });
  close();
  return units.sort((a, b) => a.first - b.first).map((u) => u.unit);
}
