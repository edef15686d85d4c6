/**
 * A real SCIM 2.0 service provider (RFC 7643/7644) used as the connector's end-to-end target and
 * in the demo. Built on scimmy (resource/schema model, PatchOp engine, error messages) and
 * scimmy-routers (Express routing and bearer auth), with the gaps listed below filled in here.
 *
 * Deliberately strict: anything a stricter production server could reject is rejected, so the
 * connector cannot come to depend on leniency that only this test server offers.
 *
 * Schemas: core User (with the enterprise extension and the dirsync licensing extension, whose
 * `licenses` has the shape of `entitlements`) and core Group (with the dirsync licensing
 * extension's `seats`); see licensing.ts. All extensions are optional.
 *
 * Where scimmy 1.3.5 / scimmy-routers 1.3.2 fall short, and what this file does instead:
 * - Express 5 re-parses `req.query` on every access, so the routers' cast of startIndex/count to
 *   numbers is lost and scimmy silently ignores string pagination parameters. Pagination is
 *   parsed and validated here (non-integers are 400 invalidValue).
 * - scimmy's ListResponse paginates wrongly: a startIndex past the end returns every resource,
 *   and an explicit totalResults is combined with its own slicing. Lists are paginated here and
 *   the ListResponse's Resources are set after construction.
 * - scimmy's filter lexer accepts unquoted values (`userName eq bob`) and a missing value
 *   (`userName eq`), rejects valid escaped quotes (`"a\"b"`), does not decode JSON escapes,
 *   answers some malformed filters with 500, and `Filter.match` throws on resources that lack a
 *   complex attribute the filter names. List filters are therefore parsed (strict RFC 7644
 *   §3.4.2.2 grammar, attribute names checked against the schema) and evaluated here; a resource
 *   lacking the attribute simply does not match.
 * - scimmy's PatchOp: `replace` without a path appends to multi-valued attributes instead of
 *   replacing them; `replace` of a complex attribute drops sub-attributes the request did not
 *   mention (RFC: they are left unchanged); `add` duplicates values already present (in core
 *   attributes and extensions alike); setting a sub-attribute of an absent complex extension
 *   attribute (e.g. enterprise `manager.value`) fails with noTarget; value filters in paths are
 *   parsed with the lenient lexer and a filter it cannot parse turns a `remove` into a silent
 *   no-op. Operations are normalised first, path filters are validated strictly, and duplicates
 *   are removed before storing.
 * - scimmy's PatchOp assigns a schema extension's object as a whole, so an `add` with the
 *   extension as path, or with an extension object in a path-less value, replaced a multi-valued
 *   extension attribute instead of adding to it; such operations (and the same `replace`) are
 *   split into one per extension attribute.
 * - scimmy's PatchOp throws on a value-filtered `remove` that empties, or finds absent, a
 *   multi-valued extension attribute (`urn:...:User:licenses[value eq "L1"]`), on a `remove` whose
 *   path is a whole extension, and cannot evaluate escaped strings in filters. Every value-filtered
 *   `remove` (core attributes included) and every whole-extension `remove` is therefore applied
 *   here, in sequence with scimmy's operations; the PATCH is still written once.
 * - scimmy casts numeric strings ("5") into integer and decimal attributes; a JSON string is
 *   rejected here instead (400 invalidValue), in bodies and PATCH values.
 * - scimmy drops "schemas" from a resource when `attributes` is given (RFC 7644 §3.9 keeps it)
 *   and then fails (400 "Cannot read properties of undefined") on any resource with an extension,
 *   as it does for `excludedAttributes=schemas`; "schemas" is always selected here.
 * - scimmy's PatchOp accepts operations on readOnly attributes such as `groups` and `meta`, which
 *   were then dropped silently (200/204); they are refused with 400 mutability (RFC 7644 §3.5.2).
 * - scimmy's SchemaDefinition accepts only ids under `urn:ietf:params:scim:schemas:`, which
 *   RFC 7643 §10.2 reserves for registered schemas; the dirsync licensing extensions
 *   (licensing.ts) are given their `urn:dirsync:` ids after construction.
 * - scimmy declares `roles.type` and `x509Certificates.type` with an empty canonical value list,
 *   so any value was rejected; the constraint is removed (RFC 7643 defines none).
 * - scimmy-routers answers 401 without a `WWW-Authenticate` header (RFC 6750 §3); added.
 * - scimmy-routers enables sort and bulk in the ServiceProviderConfig; both are switched off.
 *   Bulk is opt-in (`bulk` option, `--bulk`): served by bulk.ts, not by scimmy (see there why).
 * - Express routes case-insensitively; SCIM endpoint names are matched exactly here.
 *
 * Matching semantics (documented because production servers differ): string comparisons in
 * filters are case-sensitive for every attribute, and userName uniqueness is exact
 * (case-sensitive). A production server may treat userName case-insensitively in both; the
 * connector must not rely on either behaviour. Group displayName and externalId are not unique.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';
import {
  ResourceStore,
  type JsonObject,
  type JsonValue,
  type ResourceKind,
  type StoreTransaction,
  type StoredResource,
} from './store';
import { bulkRoutes, type BulkEndpoint, type BulkHost, type BulkMethod, type BulkSettings, type DispatchResult } from './bulk';
import { licensingGroupDefinition, licensingUserDefinition } from './licensing';

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

export interface ScimTargetOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  dataFile: string;
  token: string;
  /** Largest page the server returns (ServiceProviderConfig filter.maxResults). Default 100. */
  maxResults?: number;
  /** Advertise and serve SCIM Bulk (RFC 7644 §3.7) with these limits. Unset: /Bulk answers 501. */
  bulk?: BulkSettings;
}

export interface EndpointStats {
  requests: number;
  mutating: number;
  byMethod: Record<string, number>;
}

export interface ScimStats extends EndpointStats {
  /** Requests refused by the bearer-token check (also counted in `requests`). */
  unauthorized: number;
  /** Keyed by the first path segment under the SCIM base: Users, Groups, Schemas, ... */
  byResource: Record<string, EndpointStats>;
  /** Operations inside bulk requests, by their endpoint (Users, Groups); absent until the first. */
  bulkOperations?: Record<string, EndpointStats>;
}

export interface ScimTarget {
  /** SCIM base URL, e.g. http://127.0.0.1:18080/scim/v2 */
  url: string;
  port: number;
  stats(): ScimStats;
  resetStats(): void;
  close(): Promise<void>;
}

export const SCIM_BASE_PATH = '/scim/v2';
export const ADMIN_BASE_PATH = '/_admin';
const DEFAULT_MAX_RESULTS = 100;

const CORE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const CORE_GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

export async function startScimTarget(options: ScimTargetOptions): Promise<ScimTarget> {
  if (options.token.length === 0) throw new Error('SCIM target token must not be empty');
  const maxResults = options.maxResults ?? DEFAULT_MAX_RESULTS;
  if (!Number.isInteger(maxResults) || maxResults < 1) {
    throw new Error('maxResults must be a positive integer');
  }
  const bulk = options.bulk;
  if (
    bulk &&
    !(
      Number.isInteger(bulk.maxOperations) &&
      bulk.maxOperations > 0 &&
      Number.isInteger(bulk.maxPayloadSize) &&
      bulk.maxPayloadSize > 0
    )
  ) {
    throw new Error('bulk.maxOperations and bulk.maxPayloadSize must be positive integers');
  }
  const host = options.host ?? '127.0.0.1';
  const router = scimRouter();
  // Process-wide in scimmy; the last started target's value is what /ServiceProviderConfig shows.
  SCIMMY.Config.set('filter', { supported: true, maxResults });

  const store = ResourceStore.open(options.dataFile);
  const stats = new StatsCollector();
  const app = express();
  app.disable('x-powered-by');
  // Express's body-hash ETags would contradict etag.supported=false in the ServiceProviderConfig.
  app.set('etag', false);
  let server: Server;
  try {
    server = await listen(app, options.port ?? 0, host);
  } catch (error) {
    store.close();
    throw error;
  }
  const { port } = addressOf(server);
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const target: TargetState = {
    store,
    stats,
    maxResults,
    origin,
    baseUrl: `${origin}${SCIM_BASE_PATH}`,
    tokenDigest: digest(options.token),
    bulk,
  };
  targets.set(app, target);

  app.use(SCIM_BASE_PATH, (req, _res, next) => {
    stats.record(req.method, endpointOf(req.path));
    next();
  });
  app.use(SCIM_BASE_PATH, rejectMiscasedEndpoints);
  app.use(SCIM_BASE_PATH, bulkRoutes({ hostOf: bulkHostOf, authenticate }));
  app.use(SCIM_BASE_PATH, router);
  app.use(ADMIN_BASE_PATH, adminRouter(target));
  app.use(logUnexpectedErrors);

  let closing: Promise<void> | undefined;
  return {
    url: target.baseUrl,
    port,
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => {
          targets.delete(app);
          store.close();
          if (error) reject(error);
          else resolve();
        });
        // Keep-alive sockets from HTTP clients would otherwise hold close() open.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Per-target state and request context
// ---------------------------------------------------------------------------------------------

interface TargetState {
  readonly store: ResourceStore;
  readonly stats: StatsCollector;
  readonly maxResults: number;
  readonly origin: string;
  readonly baseUrl: string;
  readonly tokenDigest: Buffer;
  readonly bulk: BulkSettings | undefined;
}

/**
 * scimmy's resource classes are process-wide singletons, so one router serves every target in
 * the process; the target is found from the Express app that received the request.
 */
const targets = new WeakMap<express.Application, TargetState>();

function targetOf(req: express.Request): TargetState {
  const target = targets.get(req.app);
  if (target === undefined) throw new Error('Request reached a SCIM target that is not running');
  return target;
}

type Mode = 'POST' | 'PUT' | 'PATCH';

/** Handed to scimmy as the handler context; scimmy passes it back to our resource methods. */
class RequestContext {
  constructor(
    readonly target: TargetState,
    readonly method: string,
    readonly res: express.Response | undefined,
  ) {}
}

function requireContext(ctx: unknown): RequestContext {
  if (ctx instanceof RequestContext) return ctx;
  throw new Error('SCIM resource invoked without a request context');
}

// ---------------------------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------------------------

const MUTATING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function emptyEndpointStats(): EndpointStats {
  return { requests: 0, mutating: 0, byMethod: {} };
}

function countInto(stats: EndpointStats, method: string): void {
  stats.requests += 1;
  if (MUTATING_METHODS.has(method)) stats.mutating += 1;
  stats.byMethod[method] = (stats.byMethod[method] ?? 0) + 1;
}

class StatsCollector {
  private current: ScimStats = StatsCollector.empty();

  private static empty(): ScimStats {
    return { ...emptyEndpointStats(), unauthorized: 0, byResource: {} };
  }

  record(method: string, endpoint: string): void {
    countInto(this.current, method);
    const perEndpoint = (this.current.byResource[endpoint] ??= emptyEndpointStats());
    countInto(perEndpoint, method);
  }

  recordBulkOperation(method: string, endpoint: string): void {
    const byEndpoint = (this.current.bulkOperations ??= {});
    countInto((byEndpoint[endpoint] ??= emptyEndpointStats()), method);
  }

  recordUnauthorized(): void {
    this.current.unauthorized += 1;
  }

  snapshot(): ScimStats {
    return structuredClone(this.current);
  }

  reset(): void {
    this.current = StatsCollector.empty();
  }
}

function endpointOf(pathUnderBase: string): string {
  const segment = pathUnderBase.split('/')[1] ?? '';
  return segment === '' ? '(root)' : segment;
}

// ---------------------------------------------------------------------------------------------
// Express plumbing
// ---------------------------------------------------------------------------------------------

const SCIM_ENDPOINTS = ['Users', 'Groups', 'Schemas', 'ResourceTypes', 'ServiceProviderConfig', 'Bulk', 'Me'];

const rejectMiscasedEndpoints: express.RequestHandler = (req, res, next) => {
  const endpoint = endpointOf(req.path);
  const lower = endpoint.toLowerCase();
  if (SCIM_ENDPOINTS.some((name) => name !== endpoint && name.toLowerCase() === lower)) {
    res
      .status(404)
      .type('application/scim+json')
      .send(JSON.stringify(new SCIMMY.Messages.Error({ status: 404, detail: 'Endpoint Not Found' })));
    return;
  }
  next();
};

const logUnexpectedErrors: express.ErrorRequestHandler = (error: unknown, _req, res, next) => {
  // scimmy-routers has already answered with a SCIM error and forwards only status >= 500 here;
  // 501 (Bulk, /Me) is expected, anything else is a bug worth seeing in the log.
  if (!(error instanceof SCIMMY.Types.Error && error.status === 501)) {
    process.stderr.write(`[scim-target] unexpected error: ${error instanceof Error ? error.stack : String(error)}\n`);
  }
  if (res.headersSent) return;
  next(error);
};

let sharedRouter: express.Router | undefined;

function scimRouter(): express.Router {
  if (sharedRouter !== undefined) return sharedRouter;

  for (const path of ['roles.type', 'x509Certificates.type']) {
    SCIMMY.Schemas.User.definition.attribute(path).config.canonicalValues = undefined;
  }
  UserResource.extend(SCIMMY.Schemas.EnterpriseUser, false);
  SCIMMY.Schemas.User.definition.extend(licensingUserDefinition, false);
  SCIMMY.Schemas.Group.definition.extend(licensingGroupDefinition, false);
  SCIMMY.Resources.declare(UserResource, 'User');
  SCIMMY.Resources.declare(GroupResource, 'Group');

  const router = new SCIMMYRouters({
    type: 'bearer',
    handler: (req) => {
      checkBearer(req);
      // /Me is not supported; this id only names the caller.
      return 'dirsync-connector';
    },
    context: (req) => new RequestContext(targetOf(req), req.method, req.res),
    baseUri: (req) => targetOf(req).origin,
  });
  // The routers' constructor advertises sort and bulk; this server implements neither.
  SCIMMY.Config.set({
    patch: true,
    bulk: false,
    sort: false,
    etag: false,
    changePassword: false,
    filter: { supported: true, maxResults: DEFAULT_MAX_RESULTS },
  });
  sharedRouter = router;
  return router;
}

/** The bearer check of every SCIM request; throws (after counting it) when the token is wrong. */
function checkBearer(req: express.Request): void {
  const target = targetOf(req);
  const presented = bearerToken(req);
  if (presented === undefined || !tokenMatches(target, presented)) {
    target.stats.recordUnauthorized();
    req.res?.setHeader(
      'WWW-Authenticate',
      presented === undefined ? 'Bearer realm="scim"' : 'Bearer realm="scim", error="invalid_token"',
    );
    throw new Error(presented === undefined ? 'Bearer token required' : 'Invalid bearer token');
  }
}

/** checkBearer for routes outside scimmy-routers, answering 401 as scimmy-routers does. */
function authenticate(req: express.Request, res: express.Response): boolean {
  try {
    checkBearer(req);
    return true;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    res
      .status(401)
      .type('application/scim+json')
      .send(JSON.stringify(new SCIMMY.Messages.Error({ status: 401, message })));
    return false;
  }
}

/** The target as the bulk endpoint sees it; undefined when it was started without bulk. */
function bulkHostOf(req: express.Request): BulkHost | undefined {
  const target = targetOf(req);
  const settings = target.bulk;
  if (settings === undefined) return undefined;
  return {
    settings,
    baseUrl: target.baseUrl,
    dispatch: (method, endpoint, id, data) => dispatchBulkOperation(target, method, endpoint, id, data),
    recordOperation: (method, endpoint) => target.stats.recordBulkOperation(method, endpoint),
  };
}

function adminRouter(target: TargetState): express.Router {
  const router = express.Router();
  router.use((req, res, next) => {
    const presented = bearerToken(req);
    if (presented === undefined || !tokenMatches(target, presented)) {
      res.status(401).set('WWW-Authenticate', 'Bearer realm="scim-admin"').json({ error: 'unauthorized' });
      return;
    }
    next();
  });
  router.get('/stats', (_req, res) => {
    res.json(target.stats.snapshot());
  });
  router.post('/stats/reset', (_req, res) => {
    target.stats.reset();
    res.status(204).end();
  });
  router.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  return router;
}

function listen(app: express.Application, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

function addressOf(server: Server): AddressInfo {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('Server has no TCP address');
  return address;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** The credentials of an `Authorization: Bearer <token>` header (scheme is case-insensitive). */
function bearerToken(req: express.Request): string | undefined {
  const header = req.get('authorization');
  return header === undefined ? undefined : /^Bearer +(\S+) *$/i.exec(header)?.[1];
}

// Comparing fixed-length digests keeps the comparison constant-time whatever the token length.
function tokenMatches(target: TargetState, presented: string): boolean {
  return timingSafeEqual(digest(presented), target.tokenDigest);
}

// ---------------------------------------------------------------------------------------------
// Errors and JSON helpers
// ---------------------------------------------------------------------------------------------

type ScimType = 'uniqueness' | 'invalidFilter' | 'invalidSyntax' | 'invalidPath' | 'invalidValue' | 'noTarget' | 'mutability';

function scimError(status: 400 | 404 | 409, scimType: ScimType | undefined, detail: string): Error {
  // scimmy's own code passes a falsy scimType when there is none.
  return new SCIMMY.Types.Error(status, scimType ?? '', detail);
}

function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Plain JSON as a client would receive it (scimmy instances serialise through toJSON). */
function toJsonObject(value: unknown): JsonObject {
  const parsed: JsonValue = JSON.parse(JSON.stringify(value));
  if (!isJsonObject(parsed)) throw new Error('Expected a JSON object');
  return parsed;
}

function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isJsonObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] ?? null)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function getIgnoringCase(object: JsonObject, key: string): JsonValue | undefined {
  if (key in object) return object[key];
  const lower = key.toLowerCase();
  const actual = Object.keys(object).find((k) => k.toLowerCase() === lower);
  return actual === undefined ? undefined : object[actual];
}

// ---------------------------------------------------------------------------------------------
// Schema helpers
// ---------------------------------------------------------------------------------------------

type SchemaDefinition = SCIMMY.Types.SchemaDefinition;
type AttributeType = SCIMMY.Types.Attribute.ValidAttributeTypes;

/** scimmy's typings omit the basepath/filter parameters its schema constructors accept. */
type SchemaConstructor<S extends SCIMMY.Types.Schema> = new (
  data: unknown,
  direction: 'in' | 'out' | 'both',
  basepath?: string,
  filter?: SCIMMY.Types.Filter,
) => S;

function lookupAttribute(definition: SchemaDefinition, name: string): SCIMMY.Types.Attribute | SchemaDefinition | undefined {
  try {
    return definition.attribute<SCIMMY.Types.Attribute | SchemaDefinition>(name);
  } catch {
    return undefined;
  }
}

function extensionIds(definition: SchemaDefinition): string[] {
  const attributes: readonly unknown[] = definition.attributes;
  return attributes.filter((a): a is SchemaDefinition => a instanceof SCIMMY.Types.SchemaDefinition).map((a) => a.id);
}

/** Splits an attribute path into the JSON keys that reach it in a resource. */
function pathSegments(definition: SchemaDefinition, path: string): string[] {
  const lower = path.toLowerCase();
  if (lower.startsWith(`${definition.id.toLowerCase()}:`)) {
    return path.slice(definition.id.length + 1).split('.');
  }
  for (const extension of extensionIds(definition)) {
    if (lower.startsWith(`${extension.toLowerCase()}:`)) {
      return [extension, ...path.slice(extension.length + 1).split('.')];
    }
  }
  return path.split('.');
}

// ---------------------------------------------------------------------------------------------
// Filters (RFC 7644 §3.4.2.2)
// ---------------------------------------------------------------------------------------------

type CompareOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'lt' | 'ge' | 'le';
type FilterLiteral = string | number | boolean | null;

interface FilterAttribute {
  /** JSON keys from the evaluation scope (resource, or element for value filters). */
  readonly segments: readonly string[];
  readonly type: AttributeType;
}

type FilterNode =
  | { readonly kind: 'and' | 'or'; readonly left: FilterNode; readonly right: FilterNode }
  | { readonly kind: 'not'; readonly operand: FilterNode }
  | { readonly kind: 'present'; readonly attribute: FilterAttribute }
  | {
      readonly kind: 'compare';
      readonly attribute: FilterAttribute;
      readonly operator: CompareOperator;
      readonly value: FilterLiteral;
    }
  | { readonly kind: 'valuePath'; readonly attribute: FilterAttribute; readonly filter: FilterNode };

type Token =
  | { readonly kind: '(' | ')' | '[' | ']'; readonly offset: number }
  | { readonly kind: 'word'; readonly text: string; readonly offset: number }
  | { readonly kind: 'literal'; readonly value: string | number; readonly offset: number };

const COMPARE_OPERATORS: readonly string[] = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le'];
const NUMBER_TOKEN = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/;
const WORD_TOKEN = /^[A-Za-z$][\w$:.-]*/;

function isCompareOperator(value: string): value is CompareOperator {
  return COMPARE_OPERATORS.includes(value);
}

function invalidFilter(detail: string): Error {
  return scimError(400, 'invalidFilter', detail);
}

/** Length of the quoted string at the start of `rest`, honouring backslash escapes. */
function stringTokenLength(rest: string, offset: number): number {
  for (let i = 1; i < rest.length; i += 1) {
    if (rest[i] === '\\') i += 1;
    else if (rest[i] === '"') return i + 1;
  }
  throw invalidFilter(`Unterminated string starting at offset ${offset} in filter`);
}

/** compValue strings are JSON strings (RFC 7644 §3.4.2.2), escapes and all. */
function parseJsonString(quoted: string, offset: number): string {
  let value: unknown;
  try {
    value = JSON.parse(quoted);
  } catch {
    throw invalidFilter(`Invalid string starting at offset ${offset} in filter`);
  }
  if (typeof value !== 'string') throw invalidFilter(`Invalid string starting at offset ${offset} in filter`);
  return value;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let offset = 0;
  while (offset < text.length) {
    const rest = text.slice(offset);
    const whitespace = /^\s+/.exec(rest);
    if (whitespace) {
      offset += whitespace[0].length;
      continue;
    }
    const char = rest[0];
    if (char === '(' || char === ')' || char === '[' || char === ']') {
      tokens.push({ kind: char, offset });
      offset += 1;
      continue;
    }
    let length: number;
    const number = NUMBER_TOKEN.exec(rest);
    const word = number ? null : WORD_TOKEN.exec(rest);
    if (char === '"') {
      length = stringTokenLength(rest, offset);
      tokens.push({ kind: 'literal', value: parseJsonString(rest.slice(0, length), offset), offset });
    } else if (number) {
      tokens.push({ kind: 'literal', value: Number(number[0]), offset });
      length = number[0].length;
    } else if (word) {
      tokens.push({ kind: 'word', text: word[0], offset });
      length = word[0].length;
    } else {
      throw invalidFilter(`Unexpected character '${char ?? ''}' at offset ${offset} in filter`);
    }
    // RFC 7644 separates attribute paths, operators and values with SP.
    const following = rest[length];
    if (following !== undefined && !/[\s()[\]]/.test(following)) {
      throw invalidFilter(`Missing space after '${rest.slice(0, length)}' at offset ${offset} in filter`);
    }
    offset += length;
  }
  return tokens;
}

class FilterParser {
  private position = 0;
  private readonly tokens: Token[];

  constructor(
    private readonly definition: SchemaDefinition,
    text: string,
    /** For PATCH path filters: the multi-valued attribute the filter applies to. */
    private readonly outerScope?: string,
  ) {
    this.tokens = tokenize(text);
  }

  parse(): FilterNode {
    if (this.tokens.length === 0) throw invalidFilter('Filter is empty');
    const node = this.parseOr(this.outerScope);
    const extra = this.tokens[this.position];
    if (extra !== undefined) throw invalidFilter(`Unexpected token at offset ${extra.offset} in filter`);
    return node;
  }

  private parseOr(scope: string | undefined): FilterNode {
    let left = this.parseAnd(scope);
    while (this.peekKeyword('or')) {
      this.position += 1;
      left = { kind: 'or', left, right: this.parseAnd(scope) };
    }
    return left;
  }

  private parseAnd(scope: string | undefined): FilterNode {
    let left = this.parseUnary(scope);
    while (this.peekKeyword('and')) {
      this.position += 1;
      left = { kind: 'and', left, right: this.parseUnary(scope) };
    }
    return left;
  }

  private parseUnary(scope: string | undefined): FilterNode {
    const token = this.next('an attribute path, "not" or "("');
    if (token.kind === 'word' && token.text.toLowerCase() === 'not' && this.tokens[this.position]?.kind === '(') {
      this.position += 1;
      const operand = this.parseOr(scope);
      this.expect(')');
      return { kind: 'not', operand };
    }
    if (token.kind === '(') {
      const inner = this.parseOr(scope);
      this.expect(')');
      return inner;
    }
    if (token.kind !== 'word') throw invalidFilter(`Expected an attribute path at offset ${token.offset} in filter`);

    if (this.tokens[this.position]?.kind === '[') {
      if (scope !== undefined) throw invalidFilter('Value filters cannot be nested');
      this.position += 1;
      const attribute = this.resolve(token.text, undefined, 'valuePath');
      const filter = this.parseOr(token.text);
      this.expect(']');
      return { kind: 'valuePath', attribute, filter };
    }

    const operatorToken = this.next('an operator');
    if (operatorToken.kind !== 'word') {
      throw invalidFilter(`Expected an operator at offset ${operatorToken.offset} in filter`);
    }
    const operator = operatorToken.text.toLowerCase();
    if (operator === 'pr') {
      return { kind: 'present', attribute: this.resolve(token.text, scope, 'present') };
    }
    if (!isCompareOperator(operator)) {
      throw invalidFilter(`Unknown operator '${operatorToken.text}' in filter`);
    }
    const value = this.literal(this.next('a comparison value'));
    const attribute = this.resolve(token.text, scope, 'compare');
    checkOperand(attribute, operator, value, token.text);
    return { kind: 'compare', attribute, operator, value };
  }

  private literal(token: Token): FilterLiteral {
    if (token.kind === 'literal') return token.value;
    // JSON literals are lower-case; anything else is an unquoted string, which RFC 7644 forbids.
    if (token.kind === 'word') {
      if (token.text === 'true') return true;
      if (token.text === 'false') return false;
      if (token.text === 'null') return null;
      throw invalidFilter(`Comparison value '${token.text}' must be a quoted string, number, true, false or null`);
    }
    throw invalidFilter(`Expected a comparison value at offset ${token.offset} in filter`);
  }

  private resolve(path: string, scope: string | undefined, usage: 'valuePath' | 'present' | 'compare'): FilterAttribute {
    if (scope !== undefined && /[.:]/.test(path)) {
      throw invalidFilter(`'${path}' must be a sub-attribute name of '${scope}'`);
    }
    const fullPath = scope === undefined ? path : `${scope}.${path}`;
    const attribute = lookupAttribute(this.definition, fullPath);
    if (!(attribute instanceof SCIMMY.Types.Attribute)) {
      throw invalidFilter(`Unknown attribute '${fullPath}' in filter`);
    }
    const segments = scope === undefined ? pathSegments(this.definition, fullPath) : [path];
    if (usage === 'valuePath') {
      if (attribute.type !== 'complex') throw invalidFilter(`'${fullPath}' is not a complex attribute`);
      return { segments, type: attribute.type };
    }
    if (attribute.type === 'complex' && usage === 'compare') {
      // RFC 7644 §3.4.2.2: comparing a complex attribute compares its "value" sub-attribute.
      const value = attribute.subAttributes?.find((a) => a.name === 'value');
      if (value === undefined) throw invalidFilter(`Complex attribute '${fullPath}' cannot be compared`);
      return { segments: [...segments, 'value'], type: value.type };
    }
    return { segments, type: attribute.type };
  }

  private peekKeyword(keyword: 'and' | 'or'): boolean {
    const token = this.tokens[this.position];
    return token?.kind === 'word' && token.text.toLowerCase() === keyword;
  }

  private next(expected: string): Token {
    const token = this.tokens[this.position];
    if (token === undefined) throw invalidFilter(`Filter ended where ${expected} was expected`);
    this.position += 1;
    return token;
  }

  private expect(kind: ')' | ']'): void {
    const token = this.tokens[this.position];
    if (token?.kind !== kind) {
      throw invalidFilter(`Expected '${kind}' ${token ? `at offset ${token.offset}` : 'at end of filter'}`);
    }
    this.position += 1;
  }
}

function checkOperand(attribute: FilterAttribute, operator: CompareOperator, value: FilterLiteral, path: string): void {
  const ordering = operator === 'gt' || operator === 'ge' || operator === 'lt' || operator === 'le';
  const substring = operator === 'co' || operator === 'sw' || operator === 'ew';
  const fail = (why: string): never => {
    throw invalidFilter(`Cannot apply '${operator}' to '${path}': ${why}`);
  };
  if (value === null) {
    if (operator !== 'eq' && operator !== 'ne') fail('null only supports eq and ne');
    return;
  }
  switch (attribute.type) {
    case 'string':
    case 'reference':
    case 'binary':
      if (typeof value !== 'string') fail('expected a string value');
      if (attribute.type === 'binary' && ordering) fail('binary attributes are not ordered');
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail('expected true or false');
      if (ordering || substring) fail('boolean attributes only support eq, ne and pr');
      return;
    case 'integer':
    case 'decimal':
      if (typeof value !== 'number') fail('expected a number');
      if (substring) fail('numeric attributes do not support substring operators');
      return;
    case 'dateTime':
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) fail('expected a dateTime string');
      if (substring) fail('dateTime attributes do not support substring operators');
      return;
    case 'complex':
      fail('complex attributes cannot be compared');
  }
}

function parseFilter(definition: SchemaDefinition, text: string, scope?: string): FilterNode {
  return new FilterParser(definition, text, scope).parse();
}

function valuesAt(scope: JsonObject, segments: readonly string[]): JsonValue[] {
  let current: JsonValue[] = [scope];
  for (const segment of segments) {
    const next: JsonValue[] = [];
    for (const item of current) {
      if (!isJsonObject(item)) continue;
      const value = getIgnoringCase(item, segment);
      if (value === undefined || value === null) continue;
      if (Array.isArray(value)) next.push(...value.filter((v) => v !== null));
      else next.push(value);
    }
    current = next;
  }
  return current;
}

function equalsLiteral(actual: JsonValue, expected: FilterLiteral, type: AttributeType): boolean {
  if (type === 'dateTime' && typeof actual === 'string' && typeof expected === 'string') {
    const a = Date.parse(actual);
    return !Number.isNaN(a) && a === Date.parse(expected);
  }
  return actual === expected;
}

function compareOne(actual: JsonValue, operator: CompareOperator, expected: FilterLiteral, type: AttributeType): boolean {
  switch (operator) {
    case 'eq':
      return equalsLiteral(actual, expected, type);
    case 'ne':
      return !equalsLiteral(actual, expected, type);
    case 'co':
      return typeof actual === 'string' && typeof expected === 'string' && actual.includes(expected);
    case 'sw':
      return typeof actual === 'string' && typeof expected === 'string' && actual.startsWith(expected);
    case 'ew':
      return typeof actual === 'string' && typeof expected === 'string' && actual.endsWith(expected);
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le': {
      let a: number | string;
      let b: number | string;
      if (type === 'dateTime' && typeof actual === 'string' && typeof expected === 'string') {
        a = Date.parse(actual);
        b = Date.parse(expected);
        if (Number.isNaN(a)) return false;
      } else if (typeof actual === 'number' && typeof expected === 'number') {
        a = actual;
        b = expected;
      } else if (typeof actual === 'string' && typeof expected === 'string') {
        a = actual;
        b = expected;
      } else {
        return false;
      }
      if (operator === 'gt') return a > b;
      if (operator === 'ge') return a >= b;
      if (operator === 'lt') return a < b;
      return a <= b;
    }
  }
}

/** Never throws: a resource without the filtered attribute simply does not match. */
function matchesFilter(node: FilterNode, scope: JsonObject): boolean {
  switch (node.kind) {
    case 'and':
      return matchesFilter(node.left, scope) && matchesFilter(node.right, scope);
    case 'or':
      return matchesFilter(node.left, scope) || matchesFilter(node.right, scope);
    case 'not':
      return !matchesFilter(node.operand, scope);
    case 'present':
      return valuesAt(scope, node.attribute.segments).some((v) => v !== '' && !(isJsonObject(v) && Object.keys(v).length === 0));
    case 'valuePath':
      return valuesAt(scope, node.attribute.segments).some((v) => isJsonObject(v) && matchesFilter(node.filter, v));
    case 'compare': {
      const values = valuesAt(scope, node.attribute.segments);
      if (node.value === null) return node.operator === 'eq' ? values.length === 0 : values.length > 0;
      const expected = node.value;
      // "ne" holds when no value equals, including when the attribute is absent.
      if (node.operator === 'ne') return !values.some((v) => equalsLiteral(v, expected, node.attribute.type));
      return values.some((v) => compareOne(v, node.operator, expected, node.attribute.type));
    }
  }
}

function containsQuoteOrBackslash(node: FilterNode): boolean {
  switch (node.kind) {
    case 'and':
    case 'or':
      return containsQuoteOrBackslash(node.left) || containsQuoteOrBackslash(node.right);
    case 'not':
      return containsQuoteOrBackslash(node.operand);
    case 'valuePath':
      return containsQuoteOrBackslash(node.filter);
    case 'present':
      return false;
    case 'compare':
      return typeof node.value === 'string' && /["\\]/.test(node.value);
  }
}

// ---------------------------------------------------------------------------------------------
// PATCH normalisation
// ---------------------------------------------------------------------------------------------

type PatchMessage = Parameters<SCIMMY.Resources.User['patch']>[0];
type PatchOperation = SCIMMY.Messages.PatchOp.PatchOpOperation;

const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const PATCH_PATH = /^([^[\]]+?)(?:\[(.*)\](?:\.([A-Za-z$][\w$-]*))?)?$/s;

function invalidPath(detail: string): Error {
  return scimError(400, 'invalidPath', detail);
}

/**
 * Checks a PATCH path strictly (RFC 7644 §3.5.2 PATH grammar) before scimmy sees it: scimmy
 * treats a path filter it cannot parse as matching nothing, which would turn a bad `remove` into
 * a silent success.
 */
function validatePatchPath(definition: SchemaDefinition, path: string, appliedLocally: boolean): void {
  const match = PATCH_PATH.exec(path);
  const attributePath = match?.[1];
  if (match === null || attributePath === undefined) throw invalidPath(`Invalid path '${path}'`);
  const attribute = lookupAttribute(definition, attributePath);
  if (attribute === undefined) throw invalidPath(`Unknown attribute in path '${path}'`);
  const filterText = match[2];
  if (filterText === undefined) return;
  if (!(attribute instanceof SCIMMY.Types.Attribute) || attribute.type !== 'complex' || !attribute.config.multiValued) {
    throw invalidPath(`Value filter in '${path}' requires a multi-valued complex attribute`);
  }
  const filter = parseFilter(definition, filterText, attributePath);
  if (!appliedLocally && containsQuoteOrBackslash(filter)) {
    // scimmy's PatchOp re-parses the filter with a lexer that mishandles escapes.
    throw invalidPath(`This server cannot apply path filters whose strings contain '"' or '\\' ('${path}')`);
  }
  const sub = match[3];
  if (sub !== undefined && lookupAttribute(definition, `${attributePath}.${sub}`) === undefined) {
    throw invalidPath(`Unknown sub-attribute in path '${path}'`);
  }
}

function isSingleValuedComplex(attribute: SCIMMY.Types.Attribute | SchemaDefinition | undefined): boolean {
  if (attribute instanceof SCIMMY.Types.SchemaDefinition) return true;
  return attribute !== undefined && attribute.type === 'complex' && attribute.config.multiValued !== true;
}

/** The schema extension whose URN is exactly `path`, if any. */
function extensionNamed(definition: SchemaDefinition, path: string): string | undefined {
  const lower = path.toLowerCase();
  return extensionIds(definition).find((id) => id.toLowerCase() === lower);
}

/**
 * Rewrites an add/replace so scimmy applies RFC semantics. On a single-valued complex attribute
 * both merge the given sub-attributes, which scimmy does only for "add". On a schema extension
 * each attribute is assigned on its own: scimmy assigns the extension object as a whole, so an
 * "add" would replace a multi-valued extension attribute instead of adding to it.
 */
function rewriteAssignment(definition: SchemaDefinition, op: 'add' | 'replace', path: string, value: unknown): PatchOperation[] {
  if (path.includes('[')) return [{ op, path, value }];
  const extension = extensionNamed(definition, path);
  if (extension !== undefined && isRecord(value)) {
    return Object.entries(value).flatMap(([name, v]) => rewriteAssignment(definition, op, `${extension}:${name}`, v));
  }
  if (isSingleValuedComplex(lookupAttribute(definition, path)) && isRecord(value)) {
    return [{ op: 'add', path, value }];
  }
  const dot = path.lastIndexOf('.');
  if (dot > 0) {
    const parent = path.slice(0, dot);
    const child = path.slice(dot + 1);
    if (!child.includes(':') && isSingleValuedComplex(lookupAttribute(definition, parent))) {
      return [{ op: 'add', path: parent, value: { [child]: value } }];
    }
  }
  return [{ op, path, value }];
}

/**
 * scimmy casts numeric strings ("5") into integer and decimal attributes. A JSON string is not a
 * number, so such values are rejected, in resource bodies and PATCH values alike. `target` is
 * what `value` is a value of: an attribute, or a schema (the resource, or an extension).
 */
function checkNumbers(target: SCIMMY.Types.Attribute | SchemaDefinition | undefined, value: unknown, name: string): void {
  if (target === undefined || value === undefined || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) checkNumbers(target, item, name);
    return;
  }
  if (target instanceof SCIMMY.Types.SchemaDefinition) {
    if (isRecord(value)) for (const [key, v] of Object.entries(value)) checkNumbers(lookupAttribute(target, key), v, key);
    return;
  }
  if (target.type === 'complex') {
    if (!isRecord(value)) return;
    for (const [key, v] of Object.entries(value)) {
      const sub = target.subAttributes?.find((a) => a.name.toLowerCase() === key.toLowerCase());
      checkNumbers(sub, v, `${name}.${key}`);
    }
    return;
  }
  if ((target.type === 'integer' || target.type === 'decimal') && typeof value !== 'number') {
    throw scimError(400, 'invalidValue', `Attribute '${name}' expected a JSON number of type '${target.type}'`);
  }
}

/**
 * RFC 7644 §3.5.2: an operation must be compatible with the attribute's mutability. scimmy lets
 * one on a readOnly attribute (`groups`, `meta`) through, to be dropped silently; refused here.
 */
function checkMutability(definition: SchemaDefinition, attributePath: string): void {
  const names = [attributePath];
  const dot = attributePath.lastIndexOf('.');
  if (dot > 0) names.push(attributePath.slice(0, dot));
  for (const name of names) {
    const attribute = lookupAttribute(definition, name);
    if (attribute instanceof SCIMMY.Types.Attribute && attribute.config.mutable === false) {
      throw scimError(400, 'mutability', `Attribute '${attributePath}' is readOnly`);
    }
  }
}

/** The attribute path an operation's path designates, value filter removed. */
function targetAttributePath(path: string): string | undefined {
  const match = PATCH_PATH.exec(path);
  const attributePath = match?.[1];
  if (match === null || attributePath === undefined) return undefined;
  const sub = match[3];
  return sub === undefined ? attributePath : `${attributePath}.${sub}`;
}

/** What the value of a PATCH operation is a value of, for `checkNumbers`. */
function patchValueTarget(
  definition: SchemaDefinition,
  path: string | undefined,
): SCIMMY.Types.Attribute | SchemaDefinition | undefined {
  if (path === undefined) return definition;
  const attributePath = targetAttributePath(path);
  return attributePath === undefined ? undefined : lookupAttribute(definition, attributePath);
}

/**
 * A remove this server applies itself (see `applyLocalRemove`) rather than scimmy's PatchOp:
 * one with a value filter in its path, or one naming a whole schema extension.
 */
function isLocalRemove(definition: SchemaDefinition, operation: PatchOperation): boolean {
  const raw: unknown = operation;
  if (!isRecord(raw) || typeof raw['op'] !== 'string' || raw['op'].toLowerCase() !== 'remove') return false;
  const path = raw['path'];
  return typeof path === 'string' && (path.includes('[') || extensionNamed(definition, path) !== undefined);
}

function normalizeOperation(definition: SchemaDefinition, operation: PatchOperation): PatchOperation[] {
  const raw: unknown = operation;
  if (!isRecord(raw) || typeof raw['op'] !== 'string') return [operation];
  const op = raw['op'].toLowerCase();
  // planPatch has had scimmy check that a path, if any, is a string.
  const path = typeof raw['path'] === 'string' ? raw['path'] : undefined;
  const value = raw['value'];
  if (path !== undefined) {
    validatePatchPath(definition, path, op === 'remove');
    const attributePath = targetAttributePath(path);
    if (attributePath !== undefined) checkMutability(definition, attributePath);
  } else if (isRecord(value)) {
    for (const key of Object.keys(value)) checkMutability(definition, key);
  }
  if (op === 'add' || op === 'replace') checkNumbers(patchValueTarget(definition, path), value, path ?? '');
  if ((op === 'replace' || op === 'add') && path === undefined && isRecord(value)) {
    // RFC 7644 §3.5.2.1 and §3.5.2.3: without a path, each attribute in value is added or replaced.
    return Object.entries(value).flatMap(([key, attributeValue]) => rewriteAssignment(definition, op, key, attributeValue));
  }
  if ((op === 'replace' || op === 'add') && path !== undefined) {
    return rewriteAssignment(definition, op, path, value);
  }
  return [operation];
}

/** An operation as it will be applied, with the position in the request it came from. */
interface PlannedOperation {
  readonly operation: PatchOperation;
  /** 1-based, as in scimmy's error messages. */
  readonly index: number;
  /** Applied by `applyLocalRemove` rather than by scimmy's PatchOp. */
  readonly local: boolean;
}

/** Validates the message as scimmy would, then normalises its operations. */
function planPatch(definition: SchemaDefinition, message: PatchMessage): PlannedOperation[] {
  const raw: unknown = message;
  if (raw === undefined) throw scimError(400, 'invalidSyntax', 'Missing message body from PatchOp request');
  if (!isRecord(raw)) throw scimError(400, 'invalidSyntax', 'PatchOp request expected message body to be single complex value');
  const schemas = raw['schemas'];
  if (!Array.isArray(schemas) || schemas.length !== 1 || schemas[0] !== PATCH_OP_SCHEMA) {
    throw scimError(
      400,
      'invalidSyntax',
      `PatchOp request body messages must exclusively specify schema as '${PATCH_OP_SCHEMA}'`,
    );
  }
  // Checks every operation's op, path and value, numbering them as the client did.
  new SCIMMY.Messages.PatchOp({ schemas: [PATCH_OP_SCHEMA], Operations: message.Operations });
  return message.Operations.flatMap((operation, i) =>
    normalizeOperation(definition, operation).map((normalized) => ({
      operation: normalized,
      index: i + 1,
      local: isLocalRemove(definition, normalized),
    })),
  );
}

/** The key under which `object` holds attribute `name` (SCIM attribute names are case-insensitive). */
function keyOf(object: JsonObject, name: string): string | undefined {
  if (name in object) return name;
  const lower = name.toLowerCase();
  return Object.keys(object).find((k) => k.toLowerCase() === lower);
}

function withoutKey(object: JsonObject, key: string): JsonObject {
  return Object.fromEntries(Object.entries(object).filter(([k]) => k !== key));
}

/**
 * `holder` without the values of the multi-valued attribute at `segments` that match `filter`
 * (or, with `sub`, without that sub-attribute of them). What is left empty is unset: the
 * attribute, then an extension with no attribute left.
 */
function removeMatching(
  holder: JsonObject,
  segments: readonly string[],
  filter: FilterNode,
  sub: string | undefined,
): JsonObject {
  const [segment, ...rest] = segments;
  const key = segment === undefined ? undefined : keyOf(holder, segment);
  if (key === undefined) return holder;
  const value = holder[key];
  let next: JsonValue | undefined;
  if (rest.length > 0) {
    if (!isJsonObject(value)) return holder;
    const inner = removeMatching(value, rest, filter, sub);
    next = Object.keys(inner).length > 0 ? inner : undefined;
  } else {
    if (!Array.isArray(value)) return holder;
    const kept: JsonValue[] = [];
    for (const item of value) {
      if (!isJsonObject(item) || !matchesFilter(filter, item)) kept.push(item);
      else if (sub !== undefined) {
        const subKey = keyOf(item, sub);
        const remaining = subKey === undefined ? item : withoutKey(item, subKey);
        if (Object.keys(remaining).length > 0) kept.push(remaining);
      }
    }
    next = kept.length > 0 ? kept : undefined;
  }
  return next === undefined ? withoutKey(holder, key) : { ...holder, [key]: next };
}

/**
 * Applies a remove (RFC 7644 §3.5.2.2) to the resource's JSON. scimmy's PatchOp throws when a
 * value-filtered remove empties, or finds absent, a multi-valued attribute of an extension, and
 * when the path names a whole extension; it also cannot evaluate escaped strings in filters.
 * A filter matching nothing changes nothing, as for core attributes.
 */
function applyLocalRemove(definition: SchemaDefinition, data: JsonObject, path: string): JsonObject {
  const extension = extensionNamed(definition, path);
  if (extension !== undefined) {
    const key = keyOf(data, extension);
    return key === undefined ? data : withoutKey(data, key);
  }
  const match = PATCH_PATH.exec(path);
  const attributePath = match?.[1];
  const filterText = match?.[2];
  if (match === null || attributePath === undefined || filterText === undefined) throw invalidPath(`Invalid path '${path}'`);
  const filter = parseFilter(definition, filterText, attributePath);
  return removeMatching(data, pathSegments(definition, attributePath), filter, match[3]);
}

/** Renumbers a scimmy PatchOp error raised for `batch` to the operation's place in the request. */
function renumberPatchError(error: unknown, batch: readonly PlannedOperation[]): unknown {
  if (!(error instanceof SCIMMY.Types.Error)) return error;
  error.message = error.message.replace(/\boperation (\d+) in PatchOp request body/, (text, n: string) => {
    const planned = batch[Number(n) - 1];
    return planned === undefined ? text : `operation ${planned.index} in PatchOp request body`;
  });
  return error;
}

/** Consecutive operations applied the same way (all by scimmy, or all here). */
function batchesOf(plan: readonly PlannedOperation[]): PlannedOperation[][] {
  const batches: PlannedOperation[][] = [];
  for (const planned of plan) {
    const current = batches[batches.length - 1];
    if (current?.[0]?.local === planned.local) current.push(planned);
    else batches.push([planned]);
  }
  return batches;
}

// ---------------------------------------------------------------------------------------------
// Resource model
// ---------------------------------------------------------------------------------------------

interface KindSpec<S extends SCIMMY.Types.Schema> {
  readonly kind: ResourceKind;
  readonly endpoint: '/Users' | '/Groups';
  readonly coreSchema: string;
  readonly schema: SchemaConstructor<S>;
  readonly definition: () => SchemaDefinition;
  /** Validation that needs no other resources; `previous` is the stored state for PATCH. */
  readonly normalize: (attributes: JsonObject, mode: Mode, previous: JsonObject | undefined) => JsonObject;
  /** Validation against the rest of the data set, run inside the write transaction. */
  readonly checkConstraints: (tx: StoreTransaction, attributes: JsonObject, id: string | undefined) => JsonObject;
}

/**
 * Read-side view of the store used to compute derived attributes (groups, member display).
 * Resources are looked up by id in the store; only groups are indexed here, because one is
 * built per request and copying every user would make each request O(users).
 */
class Lookup {
  private readonly groupsOfMember = new Map<string, StoredResource[]>();

  constructor(private readonly source: ResourceStore) {
    for (const group of source.list('Group')) {
      for (const member of memberEntries(group.attributes)) {
        const list = this.groupsOfMember.get(member.value) ?? [];
        list.push(group);
        this.groupsOfMember.set(member.value, list);
      }
    }
  }

  resource(id: string): { kind: ResourceKind; resource: StoredResource } | undefined {
    const user = this.source.get('User', id);
    if (user !== undefined) return { kind: 'User', resource: user };
    const group = this.source.get('Group', id);
    return group === undefined ? undefined : { kind: 'Group', resource: group };
  }

  groupsOf(id: string): readonly StoredResource[] {
    return this.groupsOfMember.get(id) ?? [];
  }
}

interface MemberEntry {
  value: string;
  type?: string;
}

function memberEntries(attributes: JsonObject): MemberEntry[] {
  const members = attributes['members'];
  if (!Array.isArray(members)) return [];
  const entries: MemberEntry[] = [];
  for (const member of members) {
    if (!isJsonObject(member)) continue;
    const value = member['value'];
    const type = member['type'];
    if (typeof value === 'string') entries.push(typeof type === 'string' ? { value, type } : { value });
  }
  return entries;
}

function displayOf(kind: ResourceKind, resource: StoredResource): string | undefined {
  const display = resource.attributes['displayName'];
  if (typeof display === 'string') return display;
  const userName = resource.attributes['userName'];
  return kind === 'User' && typeof userName === 'string' ? userName : undefined;
}

function endpointFor(kind: ResourceKind): string {
  return kind === 'User' ? '/Users' : '/Groups';
}

/** The resource exactly as a client would see it, before attribute selection. */
function outboundData(kind: ResourceKind, stored: StoredResource, lookup: Lookup, baseUrl: string): JsonObject {
  const data: JsonObject = {
    ...stored.attributes,
    id: stored.id,
    meta: {
      resourceType: kind,
      created: stored.created,
      lastModified: stored.lastModified,
      location: `${baseUrl}${endpointFor(kind)}/${stored.id}`,
      version: `W/"${stored.revision}"`,
    },
  };
  if (kind === 'User') {
    const groups = lookup.groupsOf(stored.id).map((group): JsonObject => {
      const display = displayOf('Group', group);
      return {
        value: group.id,
        $ref: `${baseUrl}/Groups/${group.id}`,
        ...(display === undefined ? {} : { display }),
        type: 'direct',
      };
    });
    if (groups.length > 0) data['groups'] = groups;
  } else {
    const members = memberEntries(stored.attributes).map((member): JsonObject => {
      const found = lookup.resource(member.value);
      const display = found === undefined ? undefined : displayOf(found.kind, found.resource);
      const type = found?.kind ?? member.type;
      return {
        value: member.value,
        $ref: `${baseUrl}${endpointFor(type === 'Group' ? 'Group' : 'User')}/${member.value}`,
        ...(display === undefined ? {} : { display }),
        ...(type === undefined ? {} : { type }),
      };
    });
    if (members.length > 0) data['members'] = members;
  }
  return data;
}

function toSchema<S extends SCIMMY.Types.Schema>(
  spec: KindSpec<S>,
  data: JsonObject,
  target: TargetState,
  attributes: SCIMMY.Types.Filter | undefined,
): S {
  return new spec.schema(data, 'out', `${target.baseUrl}${spec.endpoint}`, attributes);
}

const SERVER_OWNED_ATTRIBUTES = new Set(['schemas', 'id', 'meta', 'groups']);

function coerceInbound<S extends SCIMMY.Types.Schema>(spec: KindSpec<S>, instance: unknown): JsonObject {
  let coerced: S;
  try {
    coerced = new spec.schema(instance, 'in');
  } catch (error) {
    if (error instanceof SCIMMY.Types.Error) throw error;
    // scimmy reports schema violations as plain TypeErrors; its own write() maps them the same way.
    if (error instanceof Error && error.name === 'TypeError') throw scimError(400, 'invalidValue', error.message);
    throw error;
  }
  // Server-computed or read-only; schemas is recomputed from the data on output.
  return Object.fromEntries(Object.entries(toJsonObject(coerced)).filter(([key]) => !SERVER_OWNED_ATTRIBUTES.has(key)));
}

/**
 * RFC 7644 §3.3 requires "schemas" in a resource body and every extension used to be listed.
 * scimmy fills it in when absent; a stricter server would reject the request.
 */
function checkSchemasAttribute(spec: KindSpec<SCIMMY.Types.Schema>, body: Record<string, unknown>): void {
  const schemas = body['schemas'];
  if (!Array.isArray(schemas) || !schemas.every((s): s is string => typeof s === 'string')) {
    throw scimError(400, 'invalidSyntax', `Request body must contain a "schemas" array including '${spec.coreSchema}'`);
  }
  if (!schemas.includes(spec.coreSchema)) {
    throw scimError(400, 'invalidSyntax', `"schemas" must include '${spec.coreSchema}'`);
  }
  const extensions = extensionIds(spec.definition());
  for (const schema of schemas) {
    if (schema !== spec.coreSchema && !extensions.includes(schema)) {
      throw scimError(400, 'invalidSyntax', `Unsupported schema '${schema}' for ${spec.kind} resources`);
    }
  }
  for (const key of Object.keys(body).map((k) => k.toLowerCase())) {
    const extension = extensions.find((id) => key === id.toLowerCase() || key.startsWith(`${id.toLowerCase()}:`));
    if (extension !== undefined && !schemas.includes(extension)) {
      throw scimError(400, 'invalidSyntax', `Extension '${extension}' is used but not listed in "schemas"`);
    }
  }
}

function requireNonBlank(attributes: JsonObject, name: string): void {
  const value = attributes[name];
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw scimError(400, 'invalidValue', `Attribute '${name}' must be a non-empty string`);
  }
}

/**
 * Removes exact duplicates from multi-valued attributes (RFC 7644 §3.5.2.1: adding a value that
 * is already present changes nothing) and enforces at most one primary value (RFC 7643 §2.4).
 * A POST/PUT with two primaries is rejected; for PATCH the value that just became primary wins
 * and the others are demoted, as RFC 7644 §3.5.2 asks of the server.
 */
function tidyMultiValued(
  definition: SchemaDefinition,
  attributes: JsonObject,
  mode: Mode,
  previous: JsonObject | undefined,
  prefix = '',
): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (prefix === '' && isJsonObject(value) && extensionNamed(definition, name) !== undefined) {
      // The multi-valued attributes of a schema extension are held one level down.
      const before = previous?.[name];
      tidyMultiValued(definition, value, mode, isJsonObject(before) ? before : undefined, `${name}:`);
      continue;
    }
    if (!Array.isArray(value)) continue;
    const seen = new Set<string>();
    const unique = value.filter((item) => {
      const key = canonicalJson(item);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const primaries = unique.filter((item) => isJsonObject(item) && item['primary'] === true);
    if (primaries.length > 1) {
      if (mode !== 'PATCH') {
        throw scimError(400, 'invalidValue', `At most one value of '${prefix}${name}' may be primary`);
      }
      const before = previous?.[name];
      const primaryBefore = new Set(
        (Array.isArray(before) ? before : []).filter((b) => isJsonObject(b) && b['primary'] === true).map(canonicalJson),
      );
      const keep = primaries.find((p) => !primaryBefore.has(canonicalJson(p))) ?? primaries[primaries.length - 1];
      for (const item of unique) {
        if (isJsonObject(item) && item !== keep && item['primary'] === true) item['primary'] = false;
      }
    }
    attributes[name] = unique;
  }
}

const userSpec: KindSpec<SCIMMY.Schemas.User> = {
  kind: 'User',
  endpoint: '/Users',
  coreSchema: CORE_USER_SCHEMA,
  schema: SCIMMY.Schemas.User,
  definition: () => SCIMMY.Schemas.User.definition,
  normalize: (attributes, mode, previous) => {
    requireNonBlank(attributes, 'userName');
    tidyMultiValued(SCIMMY.Schemas.User.definition, attributes, mode, previous);
    return attributes;
  },
  checkConstraints: (tx, attributes, id) => {
    const userName = attributes['userName'];
    const holder = typeof userName === 'string' ? tx.userIdByName(userName) : undefined;
    if (holder !== undefined && holder !== id) {
      throw scimError(409, 'uniqueness', `userName '${String(userName)}' is already in use`);
    }
    return attributes;
  },
};

const groupSpec: KindSpec<SCIMMY.Schemas.Group> = {
  kind: 'Group',
  endpoint: '/Groups',
  coreSchema: CORE_GROUP_SCHEMA,
  schema: SCIMMY.Schemas.Group,
  definition: () => SCIMMY.Schemas.Group.definition,
  normalize: (attributes, mode, previous) => {
    requireNonBlank(attributes, 'displayName');
    const members = attributes['members'];
    if (members !== undefined) {
      if (!Array.isArray(members)) throw scimError(400, 'invalidValue', "'members' must be an array");
      for (const member of members) {
        const value = isJsonObject(member) ? member['value'] : undefined;
        if (typeof value !== 'string' || value.length === 0) {
          throw scimError(400, 'invalidValue', 'Every member needs a non-empty "value" (the member id)');
        }
      }
    }
    tidyMultiValued(SCIMMY.Schemas.Group.definition, attributes, mode, previous);
    return attributes;
  },
  checkConstraints: (tx, attributes, id) => {
    const seen = new Set<string>();
    const members: JsonObject[] = [];
    for (const member of memberEntries(attributes)) {
      if (member.value === id) throw scimError(400, 'invalidValue', 'A group cannot be a member of itself');
      const kind: ResourceKind | undefined =
        tx.get('User', member.value) !== undefined ? 'User' : tx.get('Group', member.value) !== undefined ? 'Group' : undefined;
      if (kind === undefined) {
        throw scimError(400, 'invalidValue', `Member '${member.value}' does not exist`);
      }
      if (member.type !== undefined && member.type !== kind) {
        throw scimError(400, 'invalidValue', `Member '${member.value}' is a ${kind}, not a ${member.type}`);
      }
      if (seen.has(member.value)) continue;
      seen.add(member.value);
      members.push({ value: member.value, type: kind });
    }
    const result: JsonObject = { ...attributes };
    if (members.length > 0) result['members'] = members;
    else delete result['members'];
    return result;
  },
};

interface ParsedQuery {
  readonly id: string | undefined;
  readonly scimmyParams: { attributes?: string; excludedAttributes?: string };
  readonly filter: FilterNode | undefined;
  readonly startIndex: number | undefined;
  readonly count: number | undefined;
}

function parseInteger(name: string, raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
  if (typeof raw === 'string' && /^-?\d+$/.test(raw)) return Number.parseInt(raw, 10);
  throw scimError(400, 'invalidValue', `'${name}' must be an integer`);
}

function optionalString(name: string, raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw scimError(400, 'invalidValue', `'${name}' must be given once, as a string`);
  return raw;
}

function attributeNames(list: string): string[] {
  return list.split(',').map((name) => name.trim());
}

/**
 * "schemas" is part of every representation (RFC 7644 §3.9's example of `attributes` keeps it).
 * scimmy drops it unless asked for, and then fails on any resource with an extension.
 */
function withSchemas(attributes: string | undefined): string | undefined {
  if (attributes === undefined || attributes.trim() === '') return attributes;
  return attributeNames(attributes).some((name) => name.toLowerCase() === 'schemas') ? attributes : `${attributes},schemas`;
}

function withoutSchemas(excluded: string | undefined): string | undefined {
  if (excluded === undefined || excluded.trim() === '') return excluded;
  const kept = attributeNames(excluded).filter((name) => name.toLowerCase() !== 'schemas');
  return kept.length === 0 ? undefined : kept.join(',');
}

/**
 * Takes over filter and pagination parsing from scimmy (see the file header); only attribute
 * selection is left to scimmy.
 */
function parseQuery(definition: SchemaDefinition, idOrParams: unknown, maybeParams: unknown): ParsedQuery {
  const id = typeof idOrParams === 'string' ? idOrParams : undefined;
  const raw = typeof idOrParams === 'string' || maybeParams !== undefined ? maybeParams : idOrParams;
  const params = isRecord(raw) ? raw : {};
  const filterText = optionalString('filter', params['filter']);
  if (filterText !== undefined && filterText.trim().length === 0) throw invalidFilter('Filter is empty');
  const attributes = withSchemas(optionalString('attributes', params['attributes']));
  const excludedAttributes = withoutSchemas(optionalString('excludedAttributes', params['excludedAttributes']));
  return {
    id,
    scimmyParams: {
      ...(attributes === undefined ? {} : { attributes }),
      ...(excludedAttributes === undefined ? {} : { excludedAttributes }),
    },
    filter: id === undefined && filterText !== undefined ? parseFilter(definition, filterText) : undefined,
    startIndex: parseInteger('startIndex', params['startIndex']),
    count: parseInteger('count', params['count']),
  };
}

interface ResourceInstance {
  readonly id?: string;
  readonly attributes?: SCIMMY.Types.Filter;
}

function notFound(kind: ResourceKind, id: string): Error {
  return scimError(404, undefined, `${kind} ${id} not found`);
}

async function readResource<S extends SCIMMY.Types.Schema>(
  spec: KindSpec<S>,
  resource: ResourceInstance,
  query: ParsedQuery,
  rawContext: unknown,
): Promise<SCIMMY.Messages.ListResponse<S> | S> {
  const ctx = requireContext(rawContext);
  const { store, baseUrl, maxResults } = ctx.target;
  const lookup = new Lookup(store);
  // scimmy's PatchOp patches whatever read() returns, so it must see every attribute.
  const selection = ctx.method === 'PATCH' ? undefined : resource.attributes;

  if (resource.id !== undefined) {
    const stored = store.get(spec.kind, resource.id);
    if (stored === undefined) throw notFound(spec.kind, resource.id);
    return toSchema(spec, outboundData(spec.kind, stored, lookup, baseUrl), ctx.target, selection);
  }

  const filter = query.filter;
  const matches = store
    .list(spec.kind)
    .map((stored) => outboundData(spec.kind, stored, lookup, baseUrl))
    .filter((data) => filter === undefined || matchesFilter(filter, data));
  // RFC 7644 §3.4.2.4: startIndex < 1 means 1, count < 0 means 0; the server may cap count.
  const startIndex = Math.max(query.startIndex ?? 1, 1);
  const count = Math.min(Math.max(query.count ?? maxResults, 0), maxResults);
  const page = matches.slice(startIndex - 1, startIndex - 1 + count).map((d) => toSchema(spec, d, ctx.target, selection));
  const list = new SCIMMY.Messages.ListResponse<S>(page, {
    startIndex,
    itemsPerPage: page.length,
    totalResults: matches.length,
  });
  // ListResponse re-slices an explicit page when startIndex > 1; restore the page we computed.
  list.Resources = page;
  return list;
}

async function writeResource<S extends SCIMMY.Types.Schema>(
  spec: KindSpec<S>,
  resource: ResourceInstance,
  instance: unknown,
  rawContext: unknown,
): Promise<S> {
  const ctx = requireContext(rawContext);
  const id = resource.id;
  const mode: Mode = ctx.method === 'PATCH' ? 'PATCH' : id === undefined ? 'POST' : 'PUT';
  if (instance === undefined) throw scimError(400, 'invalidSyntax', `Missing request body for ${mode}`);
  if (!isRecord(instance)) throw scimError(400, 'invalidSyntax', `${mode} body must be a single JSON object`);
  if (mode !== 'PATCH') {
    checkSchemasAttribute(spec, instance);
    // PATCH values were checked operation by operation (normalizeOperation).
    checkNumbers(spec.definition(), instance, '');
  }
  const { store } = ctx.target;
  const previous = id === undefined ? undefined : store.get(spec.kind, id)?.attributes;
  const attributes = spec.normalize(coerceInbound(spec, instance), mode, previous);

  const stored = store.transaction((tx) => {
    if (id === undefined) return tx.create(spec.kind, spec.checkConstraints(tx, attributes, undefined));
    const existing = tx.get(spec.kind, id);
    if (existing === undefined) throw notFound(spec.kind, id);
    const checked = spec.checkConstraints(tx, attributes, id);
    // A PATCH that changes nothing must not bump lastModified/version.
    if (canonicalJson(existing.attributes) === canonicalJson(checked)) return existing;
    return tx.replace(spec.kind, id, checked) ?? existing;
  });

  const data = outboundData(spec.kind, stored, new Lookup(store), ctx.target.baseUrl);
  if (mode === 'POST') ctx.res?.location(`${ctx.target.baseUrl}${spec.endpoint}/${stored.id}`);
  return toSchema(spec, data, ctx.target, mode === 'PATCH' ? undefined : resource.attributes);
}

/**
 * RFC 7644 §3.5.2. scimmy's PatchOp applies the operations, except the removes listed by
 * `isLocalRemove`, which are applied here in their place in the sequence; the result is written
 * once, so a PATCH is atomic. Like scimmy, answers undefined (204) when nothing changed.
 */
async function patchResource<S extends SCIMMY.Types.Schema>(
  spec: KindSpec<S>,
  resource: ResourceInstance,
  message: PatchMessage,
  rawContext: unknown,
  io: { read: () => Promise<unknown>; write: (instance: S) => Promise<S> },
): Promise<S | undefined> {
  const ctx = requireContext(rawContext);
  if (resource.id === undefined) throw scimError(404, undefined, 'PATCH operation must target a specific resource');
  const definition = spec.definition();
  const plan = planPatch(definition, message);
  const source = await io.read();
  if (!(source instanceof spec.schema)) throw new Error(`PATCH read of ${spec.kind} ${resource.id} returned a list`);
  let current: S = source;
  for (const batch of batchesOf(plan)) {
    if (batch[0]?.local) {
      let data = toJsonObject(current);
      // Recomputed from the data, so a removed extension is no longer listed.
      delete data['schemas'];
      for (const planned of batch) {
        const path: unknown = planned.operation.path;
        if (typeof path === 'string') data = applyLocalRemove(definition, data, path);
      }
      current = toSchema(spec, data, ctx.target, undefined);
      continue;
    }
    const operations = batch.map((planned) => planned.operation);
    let patched: S | undefined;
    try {
      // Typed as always returning a resource; scimmy returns undefined when nothing changed.
      patched = await new SCIMMY.Messages.PatchOp({ schemas: [PATCH_OP_SCHEMA], Operations: operations }).apply(current);
    } catch (error) {
      throw renumberPatchError(error, batch);
    }
    if (patched !== undefined) current = patched;
  }
  const written = await io.write(current);
  const before = toJsonObject(source);
  const after = toJsonObject(written);
  delete before['meta'];
  delete after['meta'];
  if (canonicalJson(before) === canonicalJson(after)) return undefined;
  return toSchema(spec, toJsonObject(written), ctx.target, resource.attributes);
}

async function disposeResource(kind: ResourceKind, resource: ResourceInstance, rawContext: unknown): Promise<void> {
  const ctx = requireContext(rawContext);
  const id = resource.id;
  if (id === undefined) throw scimError(404, undefined, 'DELETE must target a specific resource');
  ctx.target.store.transaction((tx) => {
    if (!tx.delete(kind, id)) throw notFound(kind, id);
    // Like a production directory: deleting a resource removes it from every group.
    for (const group of tx.list('Group')) {
      const members = memberEntries(group.attributes);
      if (!members.some((m) => m.value === id)) continue;
      const remaining = members.filter((m) => m.value !== id).map((m): JsonObject => ({ ...m }));
      const attributes: JsonObject = { ...group.attributes };
      if (remaining.length > 0) attributes['members'] = remaining;
      else delete attributes['members'];
      tx.replace('Group', group.id, attributes);
    }
  });
}

/**
 * scimmy's typings say patch() always resolves to a resource, but scimmy resolves to undefined
 * when nothing changed, which scimmy-routers answers with 204; this server does the same.
 */
function patchOutcome<S>(result: S | undefined): S {
  return result as S;
}

class UserResource extends SCIMMY.Resources.User {
  readonly #query: ParsedQuery;

  constructor(idOrParams?: unknown, params?: unknown) {
    const query = parseQuery(SCIMMY.Schemas.User.definition, idOrParams, params);
    super(query.id, query.scimmyParams);
    this.#query = query;
  }

  override async read(ctx?: unknown): Promise<SCIMMY.Messages.ListResponse | SCIMMY.Schemas.User> {
    return readResource(userSpec, this, this.#query, ctx);
  }

  override async write(instance: unknown, ctx?: unknown): Promise<SCIMMY.Schemas.User> {
    return writeResource(userSpec, this, instance, ctx);
  }

  override async patch(message: PatchMessage, ctx?: unknown): Promise<SCIMMY.Schemas.User> {
    return patchOutcome(
      await patchResource(userSpec, this, message, ctx, {
        read: () => this.read(ctx),
        write: (instance) => this.write(instance, ctx),
      }),
    );
  }

  override async dispose(ctx?: unknown): Promise<void> {
    return disposeResource('User', this, ctx);
  }
}

class GroupResource extends SCIMMY.Resources.Group {
  readonly #query: ParsedQuery;

  constructor(idOrParams?: unknown, params?: unknown) {
    const query = parseQuery(SCIMMY.Schemas.Group.definition, idOrParams, params);
    super(query.id, query.scimmyParams);
    this.#query = query;
  }

  override async read(ctx?: unknown): Promise<SCIMMY.Messages.ListResponse | SCIMMY.Schemas.Group> {
    return readResource(groupSpec, this, this.#query, ctx);
  }

  override async write(instance: unknown, ctx?: unknown): Promise<SCIMMY.Schemas.Group> {
    return writeResource(groupSpec, this, instance, ctx);
  }

  override async patch(message: PatchMessage, ctx?: unknown): Promise<SCIMMY.Schemas.Group> {
    return patchOutcome(
      await patchResource(groupSpec, this, message, ctx, {
        read: () => this.read(ctx),
        write: (instance) => this.write(instance, ctx),
      }),
    );
  }

  override async dispose(ctx?: unknown): Promise<void> {
    return disposeResource('Group', this, ctx);
  }
}

function dispatched(status: number, value: unknown): DispatchResult {
  if (value === undefined) return { status: 204 };
  const data = toJsonObject(value);
  const meta = isJsonObject(data['meta']) ? data['meta'] : {};
  const id = data['id'];
  if (typeof id !== 'string') throw new Error('a resource handler returned a resource without an id');
  const location = meta['location'];
  const version = meta['version'];
  return {
    status,
    resource: {
      id,
      ...(typeof location === 'string' ? { location } : {}),
      ...(typeof version === 'string' ? { version } : {}),
    },
  };
}

/**
 * One bulk operation through the handlers of the single routes (scimmy-routers' Resources
 * router: POST 201, PUT 200, PATCH 200 or 204, DELETE 204), with the operation's own method in
 * the context and no response object (a create inside a bulk sets no Location header).
 */
async function dispatchBulkOperation(
  target: TargetState,
  method: BulkMethod,
  endpoint: BulkEndpoint,
  id: string | undefined,
  data: unknown,
): Promise<DispatchResult> {
  const ctx = new RequestContext(target, method, undefined);
  const Resource = endpoint === 'Users' ? UserResource : GroupResource;
  switch (method) {
    case 'POST':
      return dispatched(201, await new Resource().write(data, ctx));
    case 'PUT':
      return dispatched(200, await new Resource(id).write(data, ctx));
    case 'PATCH':
      // patch() resolves to undefined when nothing changed, whatever its typing says.
      return dispatched(200, await new Resource(id).patch(data as PatchMessage, ctx));
    case 'DELETE':
      await new Resource(id).dispose(ctx);
      return { status: 204 };
  }
}
