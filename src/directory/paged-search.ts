import {
  FilterParser,
  MessageResponseStatus,
  PagedResultsControl,
  SearchRequest,
  StatusCodeParser,
  type Client,
  type Entry,
  type SearchResponse,
} from 'ldapts';
import { DirectoryError } from '../errors/codes';

/**
 * ldapts' own paging cannot be trusted for completeness: it swallows SizeLimitExceeded when a
 * sizeLimit is set, and stops at an empty page even when the server sent a cookie (AD does
 * send empty pages). This loop sends each page itself and ends only on an empty cookie; any
 * status other than success throws. It needs three ldapts internals, checked at first use,
 * so a library upgrade that moves them fails loudly instead of reading half a directory.
 */
interface LdaptsInternals {
  _ensureConnected(): Promise<void>;
  _nextMessageId(): number;
  _send(message: SearchRequest): Promise<SearchResponse | undefined>;
}

function internals(client: Client): LdaptsInternals {
  const c = client as unknown as Partial<LdaptsInternals>;
  if (typeof c._ensureConnected !== 'function' || typeof c._nextMessageId !== 'function' || typeof c._send !== 'function') {
    throw new DirectoryError('INTERNAL', 'this version of ldapts lacks the internals dirsync pages with; pin ldapts 8');
  }
  return c as LdaptsInternals;
}

export interface PageSpec {
  readonly base: string;
  readonly scope: 'base' | 'one' | 'sub';
  readonly filter: string;
  readonly attributes: readonly string[];
  readonly binaryAttributes: readonly string[];
  readonly pageSize: number;
}

export interface Page {
  readonly entries: Entry[];
  /** Search continuation references: normal in AD subtree searches, not a sign of an incomplete read. */
  readonly references: string[];
}

/** RFC 4511 result codes a search can end with, by name, so admins can look them up. */
const RESULT_NAMES: Record<number, string> = {
  1: 'operationsError',
  2: 'protocolError',
  3: 'timeLimitExceeded',
  4: 'sizeLimitExceeded',
  10: 'referral',
  11: 'adminLimitExceeded',
  12: 'unavailableCriticalExtension',
  32: 'noSuchObject',
  34: 'invalidDNSyntax',
  50: 'insufficientAccessRights',
  51: 'busy',
  52: 'unavailable',
  53: 'unwillingToPerform',
  80: 'other',
};

function resultName(status: number): string {
  return RESULT_NAMES[status] ?? 'an error';
}

export async function* pagedSearch(client: Client, spec: PageSpec): AsyncGenerator<Page> {
  const ldap = internals(client);
  await ldap._ensureConnected();
  const control = new PagedResultsControl({ value: { size: spec.pageSize } });
  const request = new SearchRequest({
    messageId: -1,
    baseDN: spec.base,
    scope: spec.scope,
    filter: FilterParser.parseString(spec.filter),
    attributes: [...spec.attributes],
    explicitBufferAttributes: [...spec.binaryAttributes],
    returnAttributeValues: true,
    sizeLimit: 0,
    timeLimit: 0,
    controls: [control],
  });
  // Once per search, not per entry: toObject only reads them.
  const attributes = [...spec.attributes];
  const binaryAttributes = [...spec.binaryAttributes];
  for (;;) {
    request.messageId = ldap._nextMessageId();
    const response = await ldap._send(request);
    if (!response) throw new DirectoryError('DIRECTORY_SEARCH', `no answer to the search of ${spec.base}`);
    if (response.status !== MessageResponseStatus.Success) {
      const detail = response.errorMessage ? `: ${response.errorMessage.trim()}` : '';
      throw new DirectoryError(
        'DIRECTORY_SEARCH',
        `the server answered ${resultName(response.status)} (${response.status}) to the search of ${spec.base}${detail}`,
        { base: spec.base, status: response.status },
        { cause: StatusCodeParser.parse(response) },
      );
    }
    yield {
      entries: response.searchEntries.map((e) => e.toObject(attributes, binaryAttributes)),
      references: response.searchReferences.flatMap((r) => r.uris),
    };
    const answer = response.controls?.find((c): c is PagedResultsControl => c instanceof PagedResultsControl);
    const cookie = answer?.value?.cookie;
    if (!cookie || cookie.length === 0) return;
    control.value = { size: spec.pageSize, cookie };
  }
}
