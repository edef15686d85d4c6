import type { TargetError } from '../errors/codes';
import { bulkOperationError } from '../target/bulk-response';
import type { BulkAnswer, BulkResult } from '../target/bulk-types';
import { ScimUser } from '../target/scim-types';
import type { BulkItem } from './bulk-context';

/** What one bulk operation's answer means for the plan entry it carried. */
export type BulkVerdict =
  /** Applied: confirmed exactly as the single path confirms its own request. */
  | { readonly kind: 'confirmed'; readonly targetId: string }
  /** Refused for a reason of this user's (400, 404 ...): reported as the single path would. */
  | { readonly kind: 'failed'; readonly error: TargetError }
  /** Unknown or worth another try: sent again on the single path, a create looked up first. */
  | { readonly kind: 'single'; readonly why: string };

/** The id at the end of a location such as https://host/scim/v2/Users/{id}. */
function idFromLocation(location: string | undefined): string | undefined {
  if (location === undefined) return undefined;
  try {
    const match = /\/Users\/([^/]+)\/?$/.exec(new URL(location, 'http://relative.invalid').pathname);
    return match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

/** The created account's id: `response.id` when the server sent the resource, else from `location`. */
function createdId(result: BulkResult): { id: string } | { why: string } {
  const resource = ScimUser.safeParse(result.response);
  const fromResponse = resource.success ? resource.data.id : undefined;
  const fromLocation = idFromLocation(result.location);
  if (fromResponse !== undefined && fromLocation !== undefined && fromResponse !== fromLocation) {
    return {
      why: `answered ${result.status} with location ${result.location ?? ''} and response.id "${fromResponse}", which disagree`,
    };
  }
  const id = fromResponse ?? fromLocation;
  return id === undefined ? { why: `answered ${result.status} with neither a /Users/{id} location nor response.id` } : { id };
}

/**
 * The rules (README, Performance): 2xx is confirmed; 409 (uniqueness), 412, 429, 5xx, 401/403
 * (the single path decides whether the token is refused), any other status outside 4xx, and a
 * missing or unreadable result go the single way; any other 4xx is this user's failure.
 */
export function verdictOf(item: BulkItem, answer: BulkAnswer | undefined): BulkVerdict {
  if (!answer || answer.kind === 'missing') return { kind: 'single', why: answer?.detail ?? 'no result' };
  const { status } = answer;
  if (status >= 200 && status < 300) {
    const { op } = item.write;
    if (op.kind !== 'create') return { kind: 'confirmed', targetId: op.targetId };
    const created = createdId(answer);
    return 'id' in created ? { kind: 'confirmed', targetId: created.id } : { kind: 'single', why: created.why };
  }
  const retried = status === 401 || status === 403 || status === 409 || status === 412 || status === 429;
  if (retried || status < 400 || status >= 500) return { kind: 'single', why: `answered ${status} in the bulk request` };
  return { kind: 'failed', error: bulkOperationError(item.request, answer) };
}
