import { z } from 'zod';

export const SCIM_BULK_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const SCIM_BULK_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

export type BulkMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One operation of a BulkRequest (RFC 7644 §3.7). */
export interface BulkOperation {
  readonly method: BulkMethod;
  /** Unique within the request; every operation carries one so that its result can be found. */
  readonly bulkId: string;
  /** Relative to the SCIM base URL: /Users, /Users/{id}. */
  readonly path: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** The server's result for one operation we sent. */
export interface BulkResult {
  readonly kind: 'result';
  readonly bulkId: string;
  readonly status: number;
  readonly location: string | undefined;
  /** The operation's response body: a SCIM Error when it failed, maybe the resource when it did not. */
  readonly response: unknown;
}

/** An operation the BulkResponse says nothing about: it may or may not have been applied. */
export interface BulkMissing {
  readonly kind: 'missing';
  readonly bulkId: string;
  /** Names the operation and what was missing, for logs. */
  readonly detail: string;
}

/** One per operation sent, in the order they were sent. */
export type BulkAnswer = BulkResult | BulkMissing;

/** What /ServiceProviderConfig advertises when `bulk.supported` is true; the limits as given. */
export interface BulkSupport {
  readonly maxOperations: number | undefined;
  readonly maxPayloadSize: number | undefined;
}

/** The call the apply step makes to send a batch; ScimClient is the real one. */
export interface BulkTarget {
  sendBulk(operations: readonly BulkOperation[]): Promise<BulkAnswer[]>;
}

/** `bulk` of /ServiceProviderConfig: limits that are not positive integers count as not given. */
export const ScimBulkConfig = z.looseObject({
  supported: z.boolean().optional(),
  maxOperations: z.unknown().optional(),
  maxPayloadSize: z.unknown().optional(),
});

/** RFC 7644 writes the status as a string ("201"); a number is accepted too. */
const BulkStatus = z.union([
  z.string().regex(/^[1-5]\d\d$/, { message: 'must be an HTTP status code' }),
  z.number().int().min(100).max(599),
]);

export const ScimBulkResponseOperation = z.looseObject({
  method: z.string().optional(),
  bulkId: z.string().optional(),
  location: z.string().optional(),
  version: z.string().optional(),
  status: BulkStatus,
  response: z.unknown().optional(),
});
export type ScimBulkResponseOperation = z.infer<typeof ScimBulkResponseOperation>;

export const ScimBulkResponse = z.looseObject({
  schemas: z.array(z.string()),
  Operations: z.array(z.unknown()),
});
