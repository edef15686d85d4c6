/** SCIM Bulk on the test target: opt-in, served by the same handlers as the single routes. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { request } from 'undici';
import { startScimTarget, type ScimTarget } from '../../../scripts/scim-target/server';
import { GROUP_SCHEMA, PATCH_SCHEMA, TOKEN, USER_SCHEMA, field, json, type Json } from './harness';

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

const dirs: string[] = [];
const targets: ScimTarget[] = [];

async function start(bulk?: { maxOperations: number; maxPayloadSize: number }): Promise<ScimTarget> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-bulk-test-'));
  dirs.push(dir);
  const target = await startScimTarget({ port: 0, dataFile: path.join(dir, 'data.db'), token: TOKEN, ...(bulk ? { bulk } : {}) });
  targets.push(target);
  return target;
}

afterAll(async () => {
  for (const t of targets) await t.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function call(
  target: ScimTarget,
  method: 'GET' | 'POST',
  resource: string,
  body?: unknown,
  token = TOKEN,
): Promise<{ status: number; headers: Record<string, unknown>; body: unknown }> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await request(`${target.url}${resource}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/scim+json',
      ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
    },
    ...(body === undefined ? {} : { body: text }),
  });
  const out = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: out === '' ? undefined : JSON.parse(out) };
}

const bulk = (target: ScimTarget, operations: unknown[], extra: Json = {}) =>
  call(target, 'POST', '/Bulk', { schemas: [BULK_REQUEST], Operations: operations, ...extra });

const user = (userName: string): Json => ({ schemas: [USER_SCHEMA], userName, emails: [{ value: `${userName}@example.org` }] });
const post = (bulkId: string, data: Json, endpoint = '/Users'): Json => ({ method: 'POST', bulkId, path: endpoint, data });
const patchActive = (id: string, active: boolean, bulkId?: string): Json => ({
  method: 'PATCH',
  path: `/Users/${id}`,
  ...(bulkId ? { bulkId } : {}),
  data: { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'active', value: active }] },
});

function results(res: { body: unknown }): Json[] {
  expect(field(res.body, 'schemas')).toEqual([BULK_RESPONSE]);
  return (field(res.body, 'Operations') as unknown[]).map(json);
}

function idFrom(result: Json): string {
  return String(result['location']).split('/').pop() ?? '';
}

describe('a target started without bulk', () => {
  it('advertises bulk unsupported and answers /Bulk with 501, as before', async () => {
    const target = await start();
    expect(field((await call(target, 'GET', '/ServiceProviderConfig')).body, 'bulk')).toMatchObject({ supported: false });
    expect((await bulk(target, [post('a', user('alice.smith'))])).status).toBe(501);
  });
});

describe('a target started with bulk', () => {
  let target: ScimTarget;
  beforeAll(async () => {
    target = await start({ maxOperations: 5, maxPayloadSize: 4096 });
  });

  it('advertises its limits, and keeps the rest of the ServiceProviderConfig', async () => {
    const config = (await call(target, 'GET', '/ServiceProviderConfig')).body;
    expect(field(config, 'bulk')).toEqual({ supported: true, maxOperations: 5, maxPayloadSize: 4096 });
    expect(field(config, 'patch')).toEqual({ supported: true });
    expect(field(config, 'etag')).toEqual({ supported: false });
  });

  it("applies each operation with the single routes' statuses, counted apart from single requests", async () => {
    target.resetStats();
    const first = results(await bulk(target, [post('a', user('alice.smith')), post('b', user('bob.jones'))]));
    expect(first).toEqual([
      {
        method: 'POST',
        bulkId: 'a',
        version: expect.any(String),
        location: expect.stringMatching(/\/scim\/v2\/Users\/.+/),
        status: '201',
      },
      expect.objectContaining({ method: 'POST', bulkId: 'b', status: '201' }),
    ]);
    const alice = idFrom(first[0] as Json);
    const bob = idFrom(first[1] as Json);
    const second = results(
      await bulk(target, [
        patchActive(alice, false, 'p1'),
        patchActive(alice, false),
        { method: 'DELETE', path: `/Users/${bob}`, bulkId: 'd1' },
        patchActive('missing-id', false, 'p2'),
      ]),
    );
    expect(second.map((r) => [r['bulkId'], r['status']])).toEqual([
      ['p1', '200'],
      [undefined, '204'],
      ['d1', '204'],
      ['p2', '404'],
    ]);
    expect(second[3]).toMatchObject({ location: `${target.url}/Users/missing-id`, response: { status: '404' } });
    const stored = (await call(target, 'GET', `/Users/${alice}`)).body;
    expect(field(stored, 'active')).toBe(false);
    expect((await call(target, 'GET', `/Users/${bob}`)).status).toBe(404);

    const stats = target.stats();
    expect(stats.byResource['Bulk']?.byMethod).toEqual({ POST: 2 });
    expect(stats.bulkOperations?.['Users']?.byMethod).toEqual({ POST: 2, PATCH: 3, DELETE: 1 });
    expect(stats.byResource['Users']?.byMethod).toEqual({ GET: 2 });
  });

  it('checks userName uniqueness like POST /Users, across and within requests', async () => {
    const res = results(
      await bulk(target, [post('c1', user('carol.white')), post('c2', user('carol.white')), post('a2', user('alice.smith'))]),
    );
    expect(res.map((r) => r['status'])).toEqual(['201', '409', '409']);
    expect(res[1]).toEqual({
      method: 'POST',
      bulkId: 'c2',
      status: '409',
      response: expect.objectContaining({ scimType: 'uniqueness', detail: "userName 'carol.white' is already in use" }),
    });
  });

  it('stops after failOnErrors errors, and resolves bulkId references to resources created before', async () => {
    const stopped = results(
      await bulk(target, [post('x', user('carol.white')), post('y', user('dave.brown'))], { failOnErrors: 1 }),
    );
    expect(stopped.map((r) => r['status'])).toEqual(['409']);
    const linked = results(
      await bulk(target, [
        post('erin', user('erin.green')),
        post('g', { schemas: [GROUP_SCHEMA], displayName: 'Staff', members: [{ value: 'bulkId:erin' }] }, '/Groups'),
        post('h', { schemas: [GROUP_SCHEMA], displayName: 'Other', members: [{ value: 'bulkId:nobody' }] }, '/Groups'),
      ]),
    );
    expect(linked.map((r) => r['status'])).toEqual(['201', '201', '400']);
    const group = (await call(target, 'GET', `/Groups/${idFrom(linked[1] as Json)}`)).body;
    expect(field(group, 'members')).toEqual([expect.objectContaining({ value: idFrom(linked[0] as Json), type: 'User' })]);
  });

  it('refuses a malformed request, too many operations or too large a body as a whole', async () => {
    const statusOf = async (body: unknown) => (await call(target, 'POST', '/Bulk', body)).status;
    expect(await statusOf({ schemas: ['urn:wrong'], Operations: [post('a', user('zed.one'))] })).toBe(400);
    expect(await statusOf({ schemas: [BULK_REQUEST], Operations: [] })).toBe(400);
    expect(
      await statusOf({ schemas: [BULK_REQUEST], Operations: [post('a', user('zed.one')), post('a', user('zed.two'))] }),
    ).toBe(400);
    expect(await statusOf('{"schemas":')).toBe(400);
    const six = Array.from({ length: 6 }, (_, i) => post(`b${i}`, user(`many.${i}`)));
    expect(await statusOf({ schemas: [BULK_REQUEST], Operations: six })).toBe(413);
    const big = { ...user('big.user'), displayName: 'x'.repeat(5000) };
    expect(await statusOf({ schemas: [BULK_REQUEST], Operations: [post('big', big)] })).toBe(413);
    expect((await call(target, 'GET', '/Users?filter=userName%20sw%20%22zed%22')).body).toMatchObject({ totalResults: 0 });
  });

  it('refuses an operation it cannot run, with a per-operation error', async () => {
    const res = results(
      await bulk(target, [
        { method: 'POST', path: '/Users', data: user('no.bulkid') },
        { method: 'GET', path: '/Users' },
        { method: 'PATCH', path: '/Elsewhere/1', data: {} },
      ]),
    );
    expect(res.map((r) => r['status'])).toEqual(['400', '400', '400']);
  });

  it('asks for the token like every other endpoint', async () => {
    const res = await call(target, 'POST', '/Bulk', { schemas: [BULK_REQUEST], Operations: [] }, 'wrong');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="scim", error="invalid_token"');
    expect((await call(target, 'GET', '/ServiceProviderConfig', undefined, 'wrong')).status).toBe(401);
  });
});
