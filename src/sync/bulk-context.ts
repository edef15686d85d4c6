import type { CreateOperation, DeactivateOperation, Operation, UpdateOperation } from '../model/plan';
import type { BulkOperation, BulkTarget } from '../target/bulk-types';
import type { OperationOutcome } from './apply';

/** How much one bulk request may carry: the target's limits, and ours (target.bulkMaxOperations). */
export interface BulkLimits {
  readonly maxOperations: number;
  readonly maxPayloadBytes: number;
}

/** Bulk is on for this run: where batches go and how large they may be. */
export interface BulkContext extends BulkLimits {
  readonly target: BulkTarget;
}

/** The kinds of operation that may go in a bulk request. */
export type BulkableOperation = CreateOperation | UpdateOperation | DeactivateOperation;

/** The one request an operation simple enough for bulk would make on the single path. */
export interface BulkWrite {
  readonly op: BulkableOperation;
  readonly method: 'POST' | 'PATCH';
  readonly path: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** One plan entry in a batch: its place in the plan (and journal), and its bulk operation. */
export interface BulkItem {
  readonly seq: number;
  readonly write: BulkWrite;
  readonly request: BulkOperation;
  /** Length of the operation's JSON in the request body. */
  readonly bytes: number;
}

/** What the bulk sender needs of the single path (apply.ts), passed in rather than imported. */
export interface SinglePath {
  /** applyOperation: the operation on its own, never a throw. */
  apply(op: Operation, lookFirst: boolean): Promise<OperationOutcome>;
  /** What the single path does once the target confirmed the operation's own request. */
  confirm(op: BulkableOperation, targetId: string): Promise<OperationOutcome>;
  /** A failure as the single path reports it. */
  fail(op: Operation, err: unknown): OperationOutcome;
}
