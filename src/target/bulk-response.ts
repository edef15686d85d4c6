import type { z } from 'zod';
import { TargetError, type ErrorCode } from '../errors/codes';
import { describeBody, snippet, type RawResponse } from './response-text';
import {
  SCIM_BULK_RESPONSE_SCHEMA,
  ScimBulkConfig,
  ScimBulkResponse,
  ScimBulkResponseOperation,
  type BulkAnswer,
  type BulkOperation,
  type BulkResult,
  type BulkSupport,
} from './bulk-types';

/** The stable code of a refused request (or bulk operation), by HTTP status. */
export function codeOfStatus(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'TARGET_AUTH';
  if (status === 409) return 'TARGET_CONFLICT';
  if (status === 412) return 'TARGET_PRECONDITION';
  return 'TARGET_HTTP';
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** `bulk` of a /ServiceProviderConfig body; undefined unless `supported` is exactly true. */
export function bulkSupportOf(config: unknown): BulkSupport | undefined {
  const parsed = ScimBulkConfig.safeParse(config);
  if (!parsed.success || parsed.data.supported !== true) return undefined;
  return {
    maxOperations: positiveInteger(parsed.data.maxOperations),
    maxPayloadSize: positiveInteger(parsed.data.maxPayloadSize),
  };
}

function describeOperation(op: BulkOperation): string {
  return `bulkId "${op.bulkId}" (${op.method} ${op.path})`;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

/** "Operations[2].status is missing", "schemas: expected array, received string". */
function firstIssue(error: z.ZodError, input: unknown, prefix = ''): string {
  const issue = error.issues[0];
  const path = issue?.path ?? [];
  const where = `${prefix}${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`.replace(/^\./, '');
  if (path.length > 0 && valueAt(input, path) === undefined) return `${where} is missing`;
  return `${where || 'the body'}: ${issue?.message ?? 'invalid'}`;
}

function malformedBulk(res: RawResponse, why: string): TargetError {
  return new TargetError(
    'TARGET_RESPONSE',
    `POST /Bulk answered ${res.status} with a malformed BulkResponse (${why}): ${snippet(res.text) || '(empty)'}`,
    res.status,
  );
}

/** The path of a location URI (absolute or relative), decoded; undefined when it is no URI. */
function locationPath(location: string): string | undefined {
  try {
    return decodeURIComponent(new URL(location, 'http://relative.invalid').pathname).replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

/**
 * The request's operation a result answers: by bulkId (every operation we send has one), else,
 * for a server that echoes bulkId only for POST (RFC 7644 requires no more), by method and the
 * resource path at the end of its location. Undefined when nothing matches.
 */
function matchResult(
  result: ScimBulkResponseOperation,
  byBulkId: ReadonlyMap<string, number>,
  requested: readonly BulkOperation[],
): number | undefined {
  if (result.bulkId !== undefined) return byBulkId.get(result.bulkId);
  const path = result.location === undefined ? undefined : locationPath(result.location);
  if (path === undefined) return undefined;
  const candidates = requested.flatMap((op, i) => {
    if (op.method === 'POST' || (result.method !== undefined && result.method.toUpperCase() !== op.method)) return [];
    return path.endsWith(decodeURIComponent(op.path)) ? [i] : [];
  });
  return candidates.length === 1 ? candidates[0] : undefined;
}

/**
 * Reads a BulkResponse strictly: a body that is not one, a result that cannot be matched to an
 * operation we sent, or two results for one operation are a TARGET_RESPONSE error naming what
 * is wrong. An operation without a result is answered `missing`: the caller must not assume it
 * was applied, nor that it was not.
 */
export function parseBulkResponse(res: RawResponse, requested: readonly BulkOperation[]): BulkAnswer[] {
  const body = ScimBulkResponse.safeParse(res.body);
  if (!body.success) throw malformedBulk(res, firstIssue(body.error, res.body));
  if (!body.data.schemas.includes(SCIM_BULK_RESPONSE_SCHEMA)) {
    throw malformedBulk(res, `"schemas" lacks ${SCIM_BULK_RESPONSE_SCHEMA}`);
  }
  const byBulkId = new Map(requested.map((op, i) => [op.bulkId, i]));
  const answers: (BulkResult | undefined)[] = requested.map(() => undefined);
  body.data.Operations.forEach((raw, position) => {
    const parsed = ScimBulkResponseOperation.safeParse(raw);
    if (!parsed.success) throw malformedBulk(res, firstIssue(parsed.error, raw, `Operations[${position}]`));
    const result = parsed.data;
    const index = matchResult(result, byBulkId, requested);
    const op = index === undefined ? undefined : requested[index];
    if (index === undefined || op === undefined) {
      const named = result.bulkId !== undefined ? `bulkId "${result.bulkId}"` : `location "${result.location ?? '(none)'}"`;
      throw malformedBulk(res, `Operations[${position}] answers no operation that was sent (${named})`);
    }
    if (answers[index] !== undefined) throw malformedBulk(res, `two results for ${describeOperation(op)}`);
    answers[index] = {
      kind: 'result',
      bulkId: op.bulkId,
      status: Number(result.status),
      location: result.location,
      response: result.response,
    };
  });
  return requested.map(
    (op, i): BulkAnswer =>
      answers[i] ?? {
        kind: 'missing',
        bulkId: op.bulkId,
        detail: `the BulkResponse has no result for ${describeOperation(op)}`,
      },
  );
}

/** A refused bulk operation as the error the same single request would have given. */
export function bulkOperationError(op: BulkOperation, result: BulkResult): TargetError {
  const text = result.response === undefined ? '' : JSON.stringify(result.response);
  const { detail, scimType } = describeBody({ status: result.status, body: result.response, text, headers: {} });
  return new TargetError(
    codeOfStatus(result.status),
    `${op.method} ${op.path} (in POST /Bulk) answered ${result.status}: ${detail}`,
    result.status,
    { scimType },
  );
}
