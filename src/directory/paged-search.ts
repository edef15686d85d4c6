import {
  FilterParser,
  MessageResponseStatus,
  PagedResultsControl,
  ProtocolOperation,
  SearchEntry,
  SearchRequest,
  StatusCodeParser,
  type BerReader,
  type Client,
  type Control,
  type SearchResponse,
} from 'ldapts';
import { DirectoryError } from '../errors/codes';
import { binarySetOf, decodeSearchEntry, toEntry, type ReadEntry } from './entry';

/**
 * ldapts' own paging cannot be trusted for completeness: it swallows SizeLimitExceeded when a
 * sizeLimit is set, and stops at an empty page even when the server sent a cookie (AD does
 * send empty pages). This loop sends each page itself and ends only on an empty cookie; any
 * status other than success throws. It needs three ldapts internals, checked at first use,
 * so a library upgrade that moves them fails loudly instead of reading half a directory. A
 * fourth, the message parser's factory, makes entries decode lean (installLeanDecoding); an
 * ldapts without it only makes the read slower.
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
  readonly entries: ReadEntry[];
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

/** ldapts' message parser, whose factory of response messages the lean decoding wraps. */
interface ParserInternals {
  _getMessageFromProtocolOperation(messageId: number, operation: number, reader: BerReader, request: unknown): unknown;
}

/** A search entry decoded straight into a ReadEntry (entry.ts decodeSearchEntry). */
class LeanSearchEntry extends SearchEntry {
  entry: ReadEntry | undefined;
  readonly #binary: ReadonlySet<string>;

  constructor(messageId: number, binary: ReadonlySet<string>) {
    super({ messageId, attributes: NO_ATTRIBUTES });
    this.#binary = binary;
  }

  override parseMessage(reader: BerReader): void {
    // The reader stands at the start of the entry and its length is the entry's (MessageParser.read).
    const start = reader.offset;
    const end = start + reader.length;
    this.entry = decodeSearchEntry(reader.buffer, start, end, this.#binary);
    reader.offset = end;
  }
}

/** Never filled: a lean entry keeps what it decoded in `entry`. */
const NO_ATTRIBUTES: SearchEntry['attributes'] = Object.freeze([]) as unknown as SearchEntry['attributes'];

/** Search requests whose entries are decoded lean, with their binary attribute names. */
const leanRequests = new WeakMap<object, ReadonlySet<string>>();
const leanParsers = new WeakSet<object>();

/**
 * Makes the client's parser decode the entries of the requests in leanRequests with
 * decodeSearchEntry. False when this ldapts lacks the parser internals (a test double, or a
 * version that moved them): entries then go through ldapts' own objects, slower but the same.
 */
function installLeanDecoding(client: Client): boolean {
  const parser = (client as unknown as { messageParser?: Partial<ParserInternals> }).messageParser;
  if (!parser || typeof parser._getMessageFromProtocolOperation !== 'function') return false;
  if (leanParsers.has(parser)) return true;
  const original = parser._getMessageFromProtocolOperation;
  const lean: ParserInternals['_getMessageFromProtocolOperation'] = function (
    this: unknown,
    messageId,
    operation,
    reader,
    request,
  ) {
    const binary =
      operation === ProtocolOperation.LDAP_RES_SEARCH_ENTRY && typeof request === 'object' && request !== null
        ? leanRequests.get(request)
        : undefined;
    if (!binary) return original.call(this, messageId, operation, reader, request);
    const message = new LeanSearchEntry(messageId, binary);
    message.parse(reader, (request as { controls?: Control[] }).controls ?? []);
    return message;
  };
  parser._getMessageFromProtocolOperation = lean;
  leanParsers.add(parser);
  return true;
}

/** A search request whose entries the client decodes lean, and how to turn its entries into ReadEntries. */
function leanRequest(
  client: Client,
  spec: Omit<PageSpec, 'pageSize'>,
  controls: Control[],
): { request: SearchRequest; entryOf: (e: SearchEntry) => ReadEntry } {
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
    controls,
  });
  // Once per search, not per entry: toObject only reads them.
  const attributes = [...spec.attributes];
  const binaryAttributes = [...spec.binaryAttributes];
  const binarySet = binarySetOf(spec.binaryAttributes);
  if (installLeanDecoding(client)) leanRequests.set(request, binarySet);
  const entryOf = (e: SearchEntry): ReadEntry =>
    e instanceof LeanSearchEntry && e.entry ? e.entry : toEntry(e.toObject(attributes, binaryAttributes), binarySet);
  return { request, entryOf };
}

/**
 * One search without paging (reading an entry by DN), its entries decoded lean. A result other
 * than success throws ldapts' error for that code, as Client.search does (NoSuchObjectError...).
 */
export async function searchOnce(client: Client, spec: Omit<PageSpec, 'pageSize'>): Promise<ReadEntry[]> {
  const ldap = internals(client);
  await ldap._ensureConnected();
  const { request, entryOf } = leanRequest(client, spec, []);
  request.messageId = ldap._nextMessageId();
  const response = await ldap._send(request);
  if (!response) throw new DirectoryError('DIRECTORY_SEARCH', `no answer to the search of ${spec.base}`);
  if (response.status !== MessageResponseStatus.Success) throw StatusCodeParser.parse(response);
  return response.searchEntries.map(entryOf);
}

export async function* pagedSearch(client: Client, spec: PageSpec): AsyncGenerator<Page> {
  const ldap = internals(client);
  await ldap._ensureConnected();
  const control = new PagedResultsControl({ value: { size: spec.pageSize } });
  const { request, entryOf } = leanRequest(client, spec, [control]);
  const send = (): Promise<SearchResponse | undefined> => {
    request.messageId = ldap._nextMessageId();
    return ldap._send(request);
  };
  let next: Promise<SearchResponse | undefined> | undefined = send();
  try {
    while (next) {
      const response = await next;
      next = undefined;
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
      const entries = response.searchEntries.map(entryOf);
      // The page's messages are dropped before the caller works on it.
      response.searchEntries.length = 0;
      const answer = response.controls?.find((c): c is PagedResultsControl => c instanceof PagedResultsControl);
      const cookie = answer?.value?.cookie;
      if (cookie && cookie.length > 0) {
        control.value = { size: spec.pageSize, cookie };
        // Asked for before this page is handed over: the server reads the next page while the
        // caller works on this one, instead of each waiting for the other.
        next = send();
      }
      yield { entries, references: response.searchReferences.flatMap((r) => r.uris) };
    }
  } finally {
    // A caller that stops early leaves a page in flight: its answer, or its error, is dropped.
    next?.catch(() => undefined);
  }
}
