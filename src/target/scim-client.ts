import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import type { Secret } from '../config/secret';
import { TargetError, errorMessage } from '../errors/codes';
import { backoffDelay, DEFAULT_RETRY, isRetryableStatus, parseRetryAfter, type RetryPolicy } from './retry';
import { SCIM_PATCH_SCHEMA, ScimErrorBody, ScimListResponse, ScimUser, type PatchOperation } from './scim-types';

export interface ScimClientSettings {
  readonly url: string;
  readonly token: Secret;
  readonly caFile?: string | undefined;
  readonly allowInsecure: boolean;
  readonly timeoutMs: number;
  readonly retry?: RetryPolicy;
}

export interface ScimCallStats {
  requests: number;
  retries: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

interface Response {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
}

/** Thin SCIM 2.0 client: users by id, filter lookups, create, PATCH. Retries are its business. */
export class ScimClient {
  readonly #base: string;
  readonly #token: Secret;
  readonly #dispatcher: Dispatcher;
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
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
    let ca: Buffer | undefined;
    if (settings.caFile) {
      try {
        ca = readFileSync(settings.caFile);
      } catch (err) {
        throw new TargetError('TARGET_HTTP', `cannot read target.caFile ${settings.caFile}: ${errorMessage(err)}`);
      }
    }
    this.#dispatcher = new Agent({
      connect: ca ? { ca, timeout: settings.timeoutMs } : { timeout: settings.timeoutMs },
      headersTimeout: settings.timeoutMs,
      bodyTimeout: settings.timeoutMs,
      connections: 16,
    });
  }

  async createUser(resource: Record<string, unknown>): Promise<ScimUser> {
    const res = await this.#send('POST', '/Users', resource);
    return parseUser(res, 'POST /Users');
  }

  async patchUser(id: string, operations: readonly PatchOperation[]): Promise<ScimUser | undefined> {
    const path = `/Users/${encodeURIComponent(id)}`;
    const res = await this.#send('PATCH', path, { schemas: [SCIM_PATCH_SCHEMA], Operations: operations });
    // 204 No Content is a valid answer to PATCH.
    return res.status === 204 ? undefined : parseUser(res, `PATCH ${path}`);
  }

  async getUser(id: string): Promise<ScimUser | undefined> {
    const path = `/Users/${encodeURIComponent(id)}`;
    const res = await this.#send('GET', path, undefined, [404]);
    return res.status === 404 ? undefined : parseUser(res, `GET ${path}`);
  }

  /** Exact-match lookup. The value is quoted per RFC 7644 so it cannot change the filter. */
  async findUsers(attribute: 'userName' | 'externalId', value: string): Promise<ScimUser[]> {
    const filter = `${attribute} eq "${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    const path = `/Users?filter=${encodeURIComponent(filter)}&count=10`;
    const res = await this.#send('GET', path);
    const list = ScimListResponse.safeParse(res.body);
    if (!list.success) throw malformed(`GET /Users?filter=${filter}`, res);
    const users: ScimUser[] = [];
    for (const item of list.data.Resources ?? []) {
      const user = ScimUser.safeParse(item);
      if (!user.success) throw malformed(`GET /Users?filter=${filter}`, res);
      // Servers that match case-insensitively (or loosely) are allowed; we decide exactly.
      if (user.data[attribute] === value) users.push(user.data);
    }
    return users;
  }

  async getJson(path: string): Promise<unknown> {
    return (await this.#send('GET', path)).body;
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  async #send(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    okStatuses: readonly number[] = [],
  ): Promise<Response> {
    const url = `${this.#base}${path}`;
    for (let attempt = 1; ; attempt += 1) {
      let res: Response;
      let retryAfter: number | undefined;
      try {
        this.stats.requests += 1;
        const answer = await request(url, {
          method,
          dispatcher: this.#dispatcher,
          headers: {
            authorization: `Bearer ${this.#token.reveal()}`,
            accept: 'application/scim+json, application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          headersTimeout: this.#timeoutMs,
          bodyTimeout: this.#timeoutMs,
        });
        const text = await answer.body.text();
        let parsed: unknown;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          parsed = undefined;
        }
        res = { status: answer.statusCode, body: parsed, text };
        const header = answer.headers['retry-after'];
        retryAfter = parseRetryAfter(Array.isArray(header) ? header[0] : header);
      } catch (err) {
        // A POST that timed out may have been applied: the caller looks before it creates again.
        if (method !== 'POST' && attempt < this.#retry.maxAttempts) {
          this.stats.retries += 1;
          await sleep(backoffDelay(attempt, this.#retry, undefined));
          continue;
        }
        throw new TargetError('TARGET_HTTP', `${method} ${path}: ${errorMessage(err)}`, undefined, {}, { cause: err });
      }
      if ((res.status >= 200 && res.status < 300) || okStatuses.includes(res.status)) return res;
      const retryable = method === 'POST' ? res.status === 429 || res.status === 503 : isRetryableStatus(res.status);
      if (retryable && attempt < this.#retry.maxAttempts) {
        this.stats.retries += 1;
        await sleep(backoffDelay(attempt, this.#retry, retryAfter));
        continue;
      }
      throw httpError(method, path, res);
    }
  }
}

function describeBody(res: Response): { detail: string; scimType: string | undefined } {
  const parsed = ScimErrorBody.safeParse(res.body);
  if (parsed.success && parsed.data.detail) return { detail: parsed.data.detail, scimType: parsed.data.scimType };
  // Not SCIM JSON (an HTML error page, a proxy's text): show the start of it, on one line.
  const snippet = res.text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return { detail: snippet || '(empty body)', scimType: undefined };
}

function httpError(method: string, path: string, res: Response): TargetError {
  const { detail, scimType } = describeBody(res);
  const code = res.status === 401 || res.status === 403 ? 'TARGET_AUTH' : res.status === 409 ? 'TARGET_CONFLICT' : 'TARGET_HTTP';
  return new TargetError(code, `${method} ${path} answered ${res.status}: ${detail}`, res.status, { scimType });
}

function malformed(what: string, res: Response): TargetError {
  const snippet = res.text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return new TargetError(
    'TARGET_RESPONSE',
    `${what} answered ${res.status} with an unexpected body: ${snippet || '(empty)'}`,
    res.status,
  );
}

function parseUser(res: Response, what: string): ScimUser {
  const user = ScimUser.safeParse(res.body);
  if (!user.success) throw malformed(what, res);
  return user.data;
}
