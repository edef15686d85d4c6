/** A SCIM target started in-process on a free port with a temporary data file, and an HTTP client for it. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { request } from 'undici';
import { startScimTarget, type ScimTarget } from '../../../scripts/scim-target/server';

export const TOKEN = 'unit-test-token';
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const LICENSING_USER = 'urn:dirsync:params:scim:schemas:extension:licensing:2.0:User';
export const LICENSING_GROUP = 'urn:dirsync:params:scim:schemas:extension:licensing:2.0:Group';

export type Json = Record<string, unknown>;
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function json(value: unknown): Json {
  if (!isJson(value)) throw new Error(`expected a JSON object, got ${JSON.stringify(value)}`);
  return value;
}

export function field(value: unknown, key: string): unknown {
  return json(value)[key];
}

export function idOf(result: HttpResult): string {
  const id = field(result.body, 'id');
  if (typeof id !== 'string') throw new Error(`no id in ${JSON.stringify(result.body)}`);
  return id;
}

export function resources(result: HttpResult): Json[] {
  const list = field(result.body, 'Resources');
  if (!Array.isArray(list)) throw new Error(`no Resources in ${JSON.stringify(result.body)}`);
  return list.map(json);
}

export function patchBody(...operations: Json[]): Json {
  return { schemas: [PATCH_SCHEMA], Operations: operations };
}

export function expectScimError(result: HttpResult, status: number, scimType?: string): void {
  expect(result.status).toBe(status);
  expect(result.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: String(status) });
  if (scimType !== undefined) expect(field(result.body, 'scimType')).toBe(scimType);
}

export class TestTarget {
  private constructor(
    private readonly dir: string,
    readonly dataFile: string,
    private readonly maxResults: number | undefined,
    private target: ScimTarget,
  ) {}

  static async start(options: { maxResults?: number } = {}): Promise<TestTarget> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-target-test-'));
    const dataFile = path.join(dir, 'data.db');
    try {
      const target = await startScimTarget({ port: 0, dataFile, token: TOKEN, maxResults: options.maxResults });
      return new TestTarget(dir, dataFile, options.maxResults, target);
    } catch (error) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  get url(): string {
    return this.target.url;
  }

  /** Stops the target and starts a new one on the same data file. */
  async restart(): Promise<void> {
    await this.target.close();
    this.target = await startScimTarget({ port: 0, dataFile: this.dataFile, token: TOKEN, maxResults: this.maxResults });
  }

  async close(): Promise<void> {
    try {
      await this.target.close();
    } finally {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }

  async scim(method: Method, resourcePath: string, body?: unknown): Promise<HttpResult> {
    const headers: Record<string, string> = { accept: 'application/scim+json', authorization: `Bearer ${TOKEN}` };
    if (body !== undefined) headers['content-type'] = 'application/scim+json';
    const res = await request(`${this.target.url}${resourcePath}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headersTimeout: 5_000,
      bodyTimeout: 5_000,
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
  }

  /** GET that must succeed; the body as a JSON object. */
  async get(resourcePath: string): Promise<Json> {
    const res = await this.scim('GET', resourcePath);
    expect(res.status).toBe(200);
    return json(res.body);
  }

  /** PATCH that must change the resource (200); the returned resource. */
  async patch(resourcePath: string, ...operations: Json[]): Promise<Json> {
    const res = await this.scim('PATCH', resourcePath, patchBody(...operations));
    if (res.status !== 200) throw new Error(`PATCH ${resourcePath} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return json(res.body);
  }

  async create(endpoint: '/Users' | '/Groups', body: Json): Promise<Json> {
    const res = await this.scim('POST', endpoint, body);
    if (res.status !== 201) throw new Error(`POST ${endpoint} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return json(res.body);
  }
}
