import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import type { Secret } from '../config/secret';
import { TargetError, errorMessage } from '../errors/codes';
import { bulkSupportOf, codeOfStatus, parseBulkResponse } from './bulk-response';
import { SCIM_BULK_REQUEST_SCHEMA, type BulkAnswer, type BulkOperation, type BulkSupport, type BulkTarget } from './bulk-types';
import { exchange } from './http-exchange';
import { describeBody, snippet, type RawResponse } from './response-text';
import { RateLimiter } from './rate-limit';
import { backoffDelay, DEFAULT_RETRY, isRetryableStatus, parseRetryAfter, type RetryPolicy } from './retry';
import {
  SCIM_GROUP_SCHEMA,
  SCIM_PATCH_SCHEMA,
  ScimGroup,
  ScimListResponse,
  ScimServiceProviderConfig,
  ScimUser,
  type PatchOperation,
} from './scim-types';

export interface ScimClientSettings {
  readonly url: string;
  readonly token: Secret;
  readonly caFile?: string | undefined;
  readonly allowInsecure: boolean;
  readonly timeoutMs: number;
  readonly retry?: RetryPolicy;
  /** Unset: no client-side limit (concurrency still bounds the load). */
  readonly requestsPerSecond?: number | undefined;
}

export interface ScimCallStats {
  requests: number;
  retries: number;
}

/** What the server's /ServiceProviderConfig says we may use. */
export interface TargetFeatures {
  readonly etag: boolean;
  /** Present only when `bulk.supported` is true (RFC 7644 §3.7). */
  readonly bulk?: BulkSupport;
}

export interface VersionedUser {
  readonly user: ScimUser;
  /** The ETag (or meta.version) to send in If-Match; undefined when the server gave none. */
  readonly version: string | undefined;
}

/** The calls the apply step makes; ScimClient is the real one, unit tests pass fakes. */
export interface UserTarget {
  createUser(resource: Record<string, unknown>): Promise<ScimUser>;
  patchUser(id: string, operations: readonly PatchOperation[], ifMatch?: string): Promise<ScimUser | undefined>;
  getUserVersioned(id: string): Promise<VersionedUser | undefined>;
  findUsers(attribute: 'userName' | 'externalId', value: string): Promise<ScimUser[]>;
  findUsersByEmail(email: string): Promise<ScimUser[]>;
  /** DELETE; false when the account was already gone (404). */
  deleteUser(id: string): Promise<boolean>;
  /** Groups whose displayName is exactly this (members left out). */
  findGroups(displayName: string): Promise<ScimGroup[]>;
  getGroup(id: string): Promise<ScimGroup | undefined>;
  createGroup(displayName: string): Promise<ScimGroup>;
  patchGroup(id: string, operations: readonly PatchOperation[]): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * undici, loaded at the first request: loading it takes 50-80 ms, a few percent of a no-op sync
 * of 100,000 users, which sends nothing.
 */
let undiciModule: typeof import('undici') | undefined;
function undici(): typeof import('undici') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy loading is the point
  undiciModule ??= require('undici') as typeof import('undici');
  return undiciModule;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** Thin SCIM 2.0 client: users by id, filter lookups, create, PATCH. Retries are its business. */
export class ScimClient implements UserTarget, BulkTarget {
  readonly #base: string;
  readonly #token: Secret;
  /** Made at the first request (undici loads then); its settings are checked in the constructor. */
  #dispatcher: Dispatcher | undefined;
  #closed = false;
  readonly #agentOptions: ConstructorParameters<typeof import('undici').Agent>[0];
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #limiter: RateLimiter | undefined;
  readonly stats: ScimCallStats = { requests: 0, retries: 0 };

  constructor(settings: ScimClientSettings) {
    const url = new URL(settings.url);
    if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname) && !settings.allowInsecure) {
      throw new TargetError(
        'TARGET_INSECURE',
        `refusing to send the API token over plain http to ${url.host}: use https, or (never in production) target.allowInsecure: true`,
      );
    }
    this.#base = settings.url.replace(/\/+$/, '');
    this.#token = settings.token;
    this.#timeoutMs = settings.timeoutMs;
    this.#retry = settings.retry ?? DEFAULT_RETRY;
    this.#limiter = settings.requestsPerSecond ? new RateLimiter(settings.requestsPerSecond) : undefined;
    let ca: Buffer | undefined;
    if (settings.caFile) {
      try {
        ca = readFileSync(settings.caFile);
      } catch (err) {
        throw new TargetError('TARGET_HTTP', `cannot read target.caFile ${settings.caFile}: ${errorMessage(err)}`);
      }
    }
    this.#agentOptions = {
      connect: ca ? { ca, timeout: settings.timeoutMs } : { timeout: settings.timeoutMs },
      headersTimeout: settings.timeoutMs,
      bodyTimeout: settings.timeoutMs,
      connections: 16,
    };
  }

  #agent(): Dispatcher {
    if (this.#closed) throw new Error('the SCIM client is closed');
    this.#dispatcher ??= new (undici().Agent)(this.#agentOptions);
    return this.#dispatcher;
  }

  get retryPolicy(): RetryPolicy {
    return this.#retry;
  }

  /**
   * Reads /ServiceProviderConfig. Only `etag.supported: true` turns If-Match on, and only
   * `bulk.supported: true` offers Bulk; a server that does not answer, or answers something
   * else, is treated as not supporting them.
   */
  async discover(): Promise<TargetFeatures> {
    const res = await this.#send('GET', '/ServiceProviderConfig');
    const parsed = ScimServiceProviderConfig.safeParse(res.body);
    const bulk = parsed.success ? bulkSupportOf(parsed.data['bulk']) : undefined;
    return { etag: parsed.success && parsed.data.etag?.supported === true, ...(bulk ? { bulk } : {}) };
  }

  /**
   * One BulkRequest (RFC 7644 §3.7) to {base}/Bulk; the answers come back in the order of
   * `operations`. A bulk holding a POST is retried only on 429, like a single create (its
   * creates may have happened); one of PATCH, PUT and DELETE only is retried like a PATCH.
   */
  async sendBulk(operations: readonly BulkOperation[]): Promise<BulkAnswer[]> {
    const ids = new Set(operations.map((op) => op.bulkId));
    if (operations.length === 0 || ids.size !== operations.length) {
      throw new TargetError('INTERNAL', 'a BulkRequest needs at least one operation and a unique bulkId for each');
    }
    const idempotent = operations.every((op) => op.method !== 'POST');
    const body = { schemas: [SCIM_BULK_REQUEST_SCHEMA], Operations: operations };
    const res = await this.#send('POST', '/Bulk', body, [], undefined, idempotent);
    return parseBulkResponse(res, operations);
  }

  async createUser(resource: Record<string, unknown>): Promise<ScimUser> {
    const res = await this.#send('POST', '/Users', resource);
    return parseUser(res, 'POST /Users');
  }

  async patchUser(id: string, operations: readonly PatchOperation[], ifMatch?: string): Promise<ScimUser | undefined> {
    const path = `/Users/${encodeURIComponent(id)}`;
    const res = await this.#send('PATCH', path, { schemas: [SCIM_PATCH_SCHEMA], Operations: operations }, [], ifMatch);
    // 204 No Content is a valid answer to PATCH; a 200 must carry the resource (RFC 7644 §3.5.2).
    return res.status === 204 ? undefined : parseUser(res, `PATCH ${path}`);
  }

  async getUser(id: string): Promise<ScimUser | undefined> {
    return (await this.getUserVersioned(id))?.user;
  }

  async getUserVersioned(id: string): Promise<VersionedUser | undefined> {
    const path = `/Users/${encodeURIComponent(id)}`;
    const res = await this.#send('GET', path, undefined, [404]);
    if (res.status === 404) return undefined;
    const user = parseUser(res, `GET ${path}`);
    const header = res.headers['etag'];
    const etag = Array.isArray(header) ? header[0] : header;
    return { user, version: etag ?? user.meta?.version };
  }

  /** Exact-match lookup. The value is quoted per RFC 7644 so it cannot change the filter. */
  async findUsers(attribute: 'userName' | 'externalId', value: string): Promise<ScimUser[]> {
    // Servers that match case-insensitively (or loosely) are allowed; we decide exactly.
    return this.#filter(attribute, value, (u) => u[attribute] === value);
  }

  /** Accounts holding this address; emails compare ignoring case (RFC 7643: caseExact false). */
  async findUsersByEmail(email: string): Promise<ScimUser[]> {
    const wanted = email.toLowerCase();
    return this.#filter('emails.value', email, (u) => (u.emails ?? []).some((e) => e.value?.toLowerCase() === wanted));
  }

  async deleteUser(id: string): Promise<boolean> {
    const res = await this.#send('DELETE', `/Users/${encodeURIComponent(id)}`, undefined, [404]);
    return res.status !== 404;
  }

  async findGroups(displayName: string): Promise<ScimGroup[]> {
    const filter = `displayName eq "${quote(displayName)}"`;
    const what = `GET /Groups?filter=${filter}`;
    const res = await this.#send('GET', `/Groups?filter=${encodeURIComponent(filter)}&excludedAttributes=members&count=10`);
    const list = ScimListResponse.safeParse(res.body);
    if (!list.success) throw malformed(what, res);
    const groups: ScimGroup[] = [];
    for (const item of list.data.Resources ?? []) {
      const group = ScimGroup.safeParse(item);
      if (!group.success) throw malformed(what, res);
      // A server that matches loosely (case, substring) is allowed; we decide exactly.
      if (group.data.displayName === displayName) groups.push(group.data);
    }
    return groups;
  }

  /** The group with its members and every attribute the server returns (seat counts live in an extension). */
  async getGroupRaw(id: string): Promise<Record<string, unknown> | undefined> {
    const path = `/Groups/${encodeURIComponent(id)}`;
    const res = await this.#send('GET', path, undefined, [404]);
    if (res.status === 404) return undefined;
    if (!ScimGroup.safeParse(res.body).success) throw malformed(`GET ${path}`, res);
    return res.body as Record<string, unknown>;
  }

  async getGroup(id: string): Promise<ScimGroup | undefined> {
    const raw = await this.getGroupRaw(id);
    return raw && ScimGroup.parse(raw);
  }

  async createGroup(displayName: string): Promise<ScimGroup> {
    const res = await this.#send('POST', '/Groups', { schemas: [SCIM_GROUP_SCHEMA], displayName });
    const group = ScimGroup.safeParse(res.body);
    if (!group.success) throw malformed('POST /Groups', res);
    return group.data;
  }

  async patchGroup(id: string, operations: readonly PatchOperation[]): Promise<void> {
    await this.#send('PATCH', `/Groups/${encodeURIComponent(id)}`, { schemas: [SCIM_PATCH_SCHEMA], Operations: operations });
  }

  /**
   * Every user, a page at a time (startIndex/count, RFC 7644 §3.4.2.4), with only the listed
   * attributes. Stops at totalResults, or at a short page from a server that miscounts.
   */
  async forEachUser(
    attributes: readonly string[],
    visit: (user: Record<string, unknown>) => void,
    pageSize = 500,
  ): Promise<void> {
    for (let start = 1; ;) {
      const path = `/Users?attributes=${encodeURIComponent(attributes.join(','))}&startIndex=${start}&count=${pageSize}`;
      const res = await this.#send('GET', path);
      const list = ScimListResponse.safeParse(res.body);
      if (!list.success) throw malformed(`GET ${path}`, res);
      const page = list.data.Resources ?? [];
      for (const item of page) {
        if (item === null || typeof item !== 'object') throw malformed(`GET ${path}`, res);
        visit(item as Record<string, unknown>);
      }
      start += page.length;
      if (page.length === 0 || start > list.data.totalResults) return;
    }
  }

  async getJson(path: string): Promise<unknown> {
    return (await this.#send('GET', path)).body;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#dispatcher?.close();
  }

  async #filter(attribute: string, value: string, keep: (u: ScimUser) => boolean): Promise<ScimUser[]> {
    const filter = `${attribute} eq "${quote(value)}"`;
    const path = `/Users?filter=${encodeURIComponent(filter)}&count=10`;
    const what = `GET /Users?filter=${filter}`;
    const res = await this.#send('GET', path);
    const list = ScimListResponse.safeParse(res.body);
    if (!list.success) throw malformed(what, res);
    const users: ScimUser[] = [];
    for (const item of list.data.Resources ?? []) {
      const user = ScimUser.safeParse(item);
      if (!user.success) throw malformed(what, res);
      if (keep(user.data)) users.push(user.data);
    }
    return users;
  }

  async #send(
    method: Method,
    path: string,
    body?: unknown,
    okStatuses: readonly number[] = [],
    ifMatch?: string,
    /** Safe to send again after no answer or a 5xx: everything but a POST, unless told. */
    idempotent: boolean = method !== 'POST',
  ): Promise<RawResponse> {
    const url = new URL(`${this.#base}${path}`);
    for (let attempt = 1; ; attempt += 1) {
      let res: RawResponse;
      try {
        // undici is loaded before the slot is taken: a start paced by the limiter is a start.
        const dispatcher = this.#agent();
        await this.#limiter?.acquire();
        this.stats.requests += 1;
        const answer = await exchange(dispatcher, url, {
          method,
          headers: {
            authorization: `Bearer ${this.#token.reveal()}`,
            accept: 'application/scim+json, application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
            ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          timeoutMs: this.#timeoutMs,
        });
        const text = answer.text;
        let parsed: unknown;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          parsed = undefined;
        }
        res = { status: answer.status, body: parsed, text, headers: answer.headers };
      } catch (err) {
        // A POST that got no answer may have been applied: the caller looks before it creates again.
        if (idempotent && attempt < this.#retry.maxAttempts) {
          this.stats.retries += 1;
          await sleep(backoffDelay(attempt, this.#retry, undefined));
          continue;
        }
        throw new TargetError('TARGET_HTTP', `${method} ${path}: ${errorMessage(err)}`, undefined, {}, { cause: err });
      }
      if ((res.status >= 200 && res.status < 300) || okStatuses.includes(res.status)) return res;
      // Only 429 says for sure that a POST was not processed; any other failure of a create is
      // settled by the caller looking the account up (invariant 3), never by sending it again blind.
      const retryable = idempotent ? isRetryableStatus(res.status) : res.status === 429;
      if (retryable && attempt < this.#retry.maxAttempts) {
        this.stats.retries += 1;
        const header = res.headers['retry-after'];
        const retryAfter = parseRetryAfter(Array.isArray(header) ? header[0] : header);
        await sleep(backoffDelay(attempt, this.#retry, retryAfter));
        continue;
      }
      throw httpError(method, path, res);
    }
  }
}

/** A string inside a filter's double quotes (RFC 7644 §3.4.2.2: JSON string escaping). */
function quote(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

function httpError(method: string, path: string, res: RawResponse): TargetError {
  const { detail, scimType } = describeBody(res);
  return new TargetError(codeOfStatus(res.status), `${method} ${path} answered ${res.status}: ${detail}`, res.status, {
    scimType,
  });
}

function malformed(what: string, res: RawResponse): TargetError {
  return new TargetError(
    'TARGET_RESPONSE',
    `${what} answered ${res.status} with an unexpected body: ${snippet(res.text) || '(empty)'}`,
    res.status,
  );
}

function parseUser(res: RawResponse, what: string): ScimUser {
  const user = ScimUser.safeParse(res.body);
  if (!user.success) throw malformed(what, res);
  return user.data;
}
