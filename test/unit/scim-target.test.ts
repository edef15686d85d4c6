import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { request } from 'undici';
import { startScimTarget, type ScimTarget } from '../../scripts/scim-target/server';
import { readStoreFile } from '../../scripts/scim-target/store';

const TOKEN = 'unit-test-token';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

jest.setTimeout(10_000);

interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

type Json = Record<string, unknown>;

let dir: string;
let dataFile: string;
let target: ScimTarget;

async function http(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  options: { body?: unknown; token?: string | null } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { accept: 'application/scim+json' };
  const token = options.token === undefined ? TOKEN : options.token;
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/scim+json';
  const res = await request(url, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    headersTimeout: 5_000,
    bodyTimeout: 5_000,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
}

function scim(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  resourcePath: string,
  options: { body?: unknown; token?: string | null } = {},
): Promise<HttpResult> {
  return http(method, `${target.url}${resourcePath}`, options);
}

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function json(value: unknown): Json {
  if (!isJson(value)) throw new Error(`expected a JSON object, got ${JSON.stringify(value)}`);
  return value;
}

function field(value: unknown, key: string): unknown {
  return json(value)[key];
}

function idOf(result: HttpResult): string {
  const id = field(result.body, 'id');
  if (typeof id !== 'string') throw new Error(`no id in ${JSON.stringify(result.body)}`);
  return id;
}

function resources(result: HttpResult): Json[] {
  const list = field(result.body, 'Resources');
  if (!Array.isArray(list)) throw new Error(`no Resources in ${JSON.stringify(result.body)}`);
  return list.map(json);
}

function userNames(result: HttpResult): unknown[] {
  return resources(result).map((r) => r['userName']);
}

async function createUser(userName: string, extra: Json = {}): Promise<string> {
  const res = await scim('POST', '/Users', { body: { schemas: [USER_SCHEMA], userName, ...extra } });
  expect(res.status).toBe(201);
  return idOf(res);
}

async function createGroup(displayName: string, memberIds: string[] = []): Promise<string> {
  const res = await scim('POST', '/Groups', {
    body: {
      schemas: [GROUP_SCHEMA],
      displayName,
      ...(memberIds.length > 0 ? { members: memberIds.map((value) => ({ value })) } : {}),
    },
  });
  expect(res.status).toBe(201);
  return idOf(res);
}

function patchBody(...operations: Json[]): Json {
  return { schemas: [PATCH_SCHEMA], Operations: operations };
}

function filterQuery(filter: string, extra = ''): string {
  return `/Users?filter=${encodeURIComponent(filter)}${extra}`;
}

function expectScimError(result: HttpResult, status: number, scimType?: string): void {
  expect(result.status).toBe(status);
  expect(result.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: String(status) });
  if (scimType !== undefined) expect(field(result.body, 'scimType')).toBe(scimType);
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-target-test-'));
  dataFile = path.join(dir, 'data.json');
  target = await startScimTarget({ port: 0, dataFile, token: TOKEN, maxResults: 5 });
});

afterEach(async () => {
  try {
    await target.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('authentication', () => {
  it('refuses SCIM and admin requests without the right bearer token', async () => {
    const missing = await scim('GET', '/Users', { token: null });
    expectScimError(missing, 401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);

    expectScimError(await scim('GET', '/ServiceProviderConfig', { token: 'wrong' }), 401);
    expectScimError(await scim('POST', '/Users', { token: 'wrong', body: { schemas: [USER_SCHEMA], userName: 'x' } }), 401);

    const origin = new URL(target.url).origin;
    expect((await http('GET', `${origin}/_admin/stats`, { token: null })).status).toBe(401);
    expect((await http('POST', `${origin}/_admin/stats/reset`, { token: 'wrong' })).status).toBe(401);

    // Nothing was created by the refused POST.
    const list = await scim('GET', '/Users');
    expect(field(list.body, 'totalResults')).toBe(0);
    expect(target.stats().unauthorized).toBe(3);
  });
});

describe('discovery', () => {
  it('advertises patch and filter, but not bulk, sort or etag', async () => {
    const res = await scim('GET', '/ServiceProviderConfig');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      patch: { supported: true },
      filter: { supported: true, maxResults: 5 },
      bulk: { supported: false },
      sort: { supported: false },
      etag: { supported: false },
    });
    expect(res.headers['etag']).toBeUndefined();

    const types = await scim('GET', '/ResourceTypes');
    expect(resources(types).map((r) => r['name'])).toEqual(['User', 'Group']);
    const schemas = await scim('GET', '/Schemas');
    expect(resources(schemas).map((r) => r['id'])).toEqual(
      expect.arrayContaining([USER_SCHEMA, GROUP_SCHEMA, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User']),
    );
  });
});

describe('users', () => {
  it('creates a user with server-assigned id and meta, and reads it back', async () => {
    const created = await scim('POST', '/Users', {
      body: {
        schemas: [USER_SCHEMA, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
        userName: 'alice',
        externalId: 'ext-alice',
        name: { givenName: 'Alice', familyName: 'Liddell' },
        emails: [{ value: 'alice@example.com', type: 'work', primary: true }],
        password: 'never returned',
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: '42' },
      },
    });
    expect(created.status).toBe(201);
    const id = idOf(created);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(created.headers['location']).toBe(`${target.url}/Users/${id}`);
    expect(created.body).toMatchObject({
      userName: 'alice',
      externalId: 'ext-alice',
      meta: { resourceType: 'User', location: `${target.url}/Users/${id}`, version: 'W/"1"' },
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: '42' },
    });
    expect(field(created.body, 'password')).toBeUndefined();
    const meta = json(field(created.body, 'meta'));
    expect(Date.parse(String(meta['created']))).not.toBeNaN();
    expect(meta['lastModified']).toBe(meta['created']);

    const fetched = await scim('GET', `/Users/${id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.body);

    expectScimError(await scim('GET', '/Users/00000000-0000-0000-0000-000000000000'), 404);
  });

  it('rejects bodies a strict server would reject', async () => {
    expectScimError(await scim('POST', '/Users', { body: { userName: 'no-schemas' } }), 400, 'invalidSyntax');
    expectScimError(await scim('POST', '/Users', { body: { schemas: [USER_SCHEMA] } }), 400, 'invalidValue');
    expectScimError(await scim('POST', '/Users', { body: { schemas: [USER_SCHEMA], userName: '' } }), 400, 'invalidValue');
    expectScimError(
      await scim('POST', '/Users', { body: { schemas: [USER_SCHEMA], userName: 'x', active: 'true' } }),
      400,
      'invalidValue',
    );
    expectScimError(
      await scim('POST', '/Users', {
        body: {
          schemas: [USER_SCHEMA],
          userName: 'x',
          emails: [
            { value: 'a@example.com', primary: true },
            { value: 'b@example.com', primary: true },
          ],
        },
      }),
      400,
      'invalidValue',
    );
    expect(field((await scim('GET', '/Users')).body, 'totalResults')).toBe(0);
  });

  it('returns 409 uniqueness for a duplicate userName on POST, PUT and PATCH', async () => {
    const aliceId = await createUser('alice');
    const bobId = await createUser('bob');

    expectScimError(await scim('POST', '/Users', { body: { schemas: [USER_SCHEMA], userName: 'alice' } }), 409, 'uniqueness');
    expectScimError(
      await scim('PUT', `/Users/${bobId}`, { body: { schemas: [USER_SCHEMA], userName: 'alice' } }),
      409,
      'uniqueness',
    );
    expectScimError(
      await scim('PATCH', `/Users/${bobId}`, {
        body: patchBody({ op: 'replace', path: 'userName', value: 'alice' }),
      }),
      409,
      'uniqueness',
    );
    // Uniqueness is exact: a different case is a different userName on this server.
    expect((await scim('POST', '/Users', { body: { schemas: [USER_SCHEMA], userName: 'ALICE' } })).status).toBe(201);
    // Replacing a user with its own userName is not a conflict.
    const put = await scim('PUT', `/Users/${aliceId}`, {
      body: { schemas: [USER_SCHEMA], userName: 'alice', displayName: 'Alice' },
    });
    expect(put.status).toBe(200);
    expect(field((await scim('GET', `/Users/${bobId}`)).body, 'userName')).toBe('bob');
  });

  it('PUT replaces every attribute and deleting removes the user', async () => {
    const id = await createUser('carol', { displayName: 'Carol', title: 'Engineer' });
    const put = await scim('PUT', `/Users/${id}`, { body: { schemas: [USER_SCHEMA], userName: 'carol2' } });
    expect(put.status).toBe(200);
    expect(idOf(put)).toBe(id);
    expect(field(put.body, 'title')).toBeUndefined();
    expect(field(put.body, 'meta')).toMatchObject({ version: 'W/"2"' });

    expect((await scim('DELETE', `/Users/${id}`)).status).toBe(204);
    expectScimError(await scim('GET', `/Users/${id}`), 404);
    expectScimError(await scim('DELETE', `/Users/${id}`), 404);
  });
});

describe('filters', () => {
  beforeEach(async () => {
    await createUser('alice', { externalId: 'e-1', name: { familyName: 'Liddell' }, active: true });
    await createUser('bob'); // no externalId, no name, no active
    await createUser('carol', { externalId: 'e-3', active: false });
    await createUser('quote"back\\slash');
  });

  it('matches userName and externalId, skipping users that lack the attribute', async () => {
    expect(userNames(await scim('GET', filterQuery('userName eq "bob"')))).toEqual(['bob']);
    expect(userNames(await scim('GET', filterQuery('externalId eq "e-3"')))).toEqual(['carol']);
    expect(userNames(await scim('GET', filterQuery('externalId eq "nope"')))).toEqual([]);
    expect(userNames(await scim('GET', filterQuery('name.familyName eq "Liddell"')))).toEqual(['alice']);
    expect(userNames(await scim('GET', filterQuery('externalId pr')))).toEqual(['alice', 'carol']);
    expect(userNames(await scim('GET', filterQuery('externalId ne "e-1"')))).toEqual(['bob', 'carol', 'quote"back\\slash']);
    const escaped = await scim('GET', filterQuery('userName eq "quote\\"back\\\\slash"'));
    expect(userNames(escaped)).toEqual(['quote"back\\slash']);
  });

  it('combines expressions with and, or, not and grouping', async () => {
    expect(userNames(await scim('GET', filterQuery('userName eq "alice" or externalId eq "e-3"')))).toEqual(['alice', 'carol']);
    expect(userNames(await scim('GET', filterQuery('userName eq "alice" and externalId eq "e-3"')))).toEqual([]);
    expect(userNames(await scim('GET', filterQuery('(userName eq "bob" or userName eq "carol") and active eq false')))).toEqual([
      'carol',
    ]);
    expect(userNames(await scim('GET', filterQuery('not (externalId pr) and userName sw "b"')))).toEqual(['bob']);
    // Attribute names and operators are case-insensitive; values are compared exactly.
    expect(userNames(await scim('GET', filterQuery('USERNAME EQ "alice"')))).toEqual(['alice']);
    expect(userNames(await scim('GET', filterQuery('userName eq "ALICE"')))).toEqual([]);
  });

  it('rejects malformed filters with 400 invalidFilter', async () => {
    for (const bad of [
      'userName eq alice',
      'userName eq',
      'userName',
      'userName zz "alice"',
      'nosuchattribute eq "x"',
      'userName eq "alice" and',
      '(userName eq "alice"',
      'active eq "true"',
      'active gt true',
      'userName eq "alice" garbage',
    ]) {
      expectScimError(await scim('GET', filterQuery(bad)), 400, 'invalidFilter');
    }
  });
});

describe('pagination', () => {
  it('reports correct totals and pages, and caps count at maxResults', async () => {
    for (let i = 1; i <= 7; i += 1) await createUser(`user${i}`);

    const first = await scim('GET', '/Users?startIndex=1&count=3');
    expect(first.body).toMatchObject({ schemas: [LIST_SCHEMA], totalResults: 7, startIndex: 1, itemsPerPage: 3 });
    expect(userNames(first)).toEqual(['user1', 'user2', 'user3']);

    const middle = await scim('GET', '/Users?startIndex=4&count=3');
    expect(middle.body).toMatchObject({ totalResults: 7, startIndex: 4, itemsPerPage: 3 });
    expect(userNames(middle)).toEqual(['user4', 'user5', 'user6']);

    const last = await scim('GET', '/Users?startIndex=7&count=3');
    expect(userNames(last)).toEqual(['user7']);
    expect(last.body).toMatchObject({ totalResults: 7, itemsPerPage: 1 });

    const past = await scim('GET', '/Users?startIndex=8&count=3');
    expect(past.body).toMatchObject({ totalResults: 7, startIndex: 8, itemsPerPage: 0 });
    expect(resources(past)).toEqual([]);

    const capped = await scim('GET', '/Users?count=100');
    expect(capped.body).toMatchObject({ totalResults: 7, itemsPerPage: 5 });

    const countOnly = await scim('GET', '/Users?count=0');
    expect(countOnly.body).toMatchObject({ totalResults: 7, itemsPerPage: 0 });

    const filtered = await scim('GET', filterQuery('userName sw "user"', '&startIndex=2&count=2'));
    expect(filtered.body).toMatchObject({ totalResults: 7, startIndex: 2, itemsPerPage: 2 });
    expect(userNames(filtered)).toEqual(['user2', 'user3']);

    expectScimError(await scim('GET', '/Users?startIndex=abc'), 400, 'invalidValue');
    expectScimError(await scim('GET', '/Users?count=1.5'), 400, 'invalidValue');
  });
});

describe('PATCH users', () => {
  it('toggles active without changing the id', async () => {
    const id = await createUser('dora', { active: true });

    const off = await scim('PATCH', `/Users/${id}`, { body: patchBody({ op: 'replace', path: 'active', value: false }) });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ id, active: false, meta: { version: 'W/"2"' } });

    const on = await scim('PATCH', `/Users/${id}`, { body: patchBody({ op: 'replace', value: { active: true } }) });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ id, active: true });

    const fetched = await scim('GET', `/Users/${id}`);
    expect(fetched.body).toMatchObject({ id, userName: 'dora', active: true, meta: { version: 'W/"3"' } });

    // A PATCH that changes nothing answers 204 and does not bump the version.
    const noop = await scim('PATCH', `/Users/${id}`, { body: patchBody({ op: 'replace', path: 'active', value: true }) });
    expect(noop.status).toBe(204);
    expect(field((await scim('GET', `/Users/${id}`)).body, 'meta')).toMatchObject({ version: 'W/"3"' });

    expectScimError(
      await scim('PATCH', `/Users/${id}`, { body: patchBody({ op: 'replace', path: 'active', value: 'False' }) }),
      400,
      'invalidValue',
    );
  });

  it('adds and removes roles and entitlements, including filtered paths', async () => {
    const id = await createUser('erin', { roles: [{ value: 'reader' }] });

    const added = await scim('PATCH', `/Users/${id}`, {
      body: patchBody(
        { op: 'add', path: 'roles', value: [{ value: 'writer' }, { value: 'reader' }] },
        { op: 'add', path: 'entitlements', value: [{ value: 'vpn' }, { value: 'wifi', type: 'network' }] },
      ),
    });
    expect(added.status).toBe(200);
    // Adding a value that is already present does not duplicate it.
    expect(field(added.body, 'roles')).toEqual([{ value: 'reader' }, { value: 'writer' }]);
    expect(field(added.body, 'entitlements')).toEqual([{ value: 'vpn' }, { value: 'wifi', type: 'network' }]);

    const removed = await scim('PATCH', `/Users/${id}`, {
      body: patchBody(
        { op: 'remove', path: 'roles[value eq "reader"]' },
        { op: 'remove', path: 'entitlements[value eq "vpn" or type eq "network"]' },
      ),
    });
    expect(removed.status).toBe(200);
    expect(field(removed.body, 'roles')).toEqual([{ value: 'writer' }]);
    expect(field(removed.body, 'entitlements')).toBeUndefined();

    const typed = await scim('PATCH', `/Users/${id}`, {
      body: patchBody({ op: 'replace', path: 'roles', value: [{ value: 'admin', type: 'app', primary: true }] }),
    });
    expect(field(typed.body, 'roles')).toEqual([{ value: 'admin', type: 'app', primary: true }]);

    expectScimError(
      await scim('PATCH', `/Users/${id}`, { body: patchBody({ op: 'remove', path: 'roles[value eq admin]' }) }),
      400,
      'invalidFilter',
    );
    // Filtered removes are evaluated by this server, escaped strings included.
    await scim('PATCH', `/Users/${id}`, { body: patchBody({ op: 'add', path: 'roles', value: [{ value: 'a"b' }] }) });
    const unescaped = await scim('PATCH', `/Users/${id}`, { body: patchBody({ op: 'remove', path: 'roles[value eq "a\\"b"]' }) });
    expect(unescaped.status).toBe(200);
    // scimmy's PatchOp, which applies add and replace, cannot; refused instead of a silent no-op.
    expectScimError(
      await scim('PATCH', `/Users/${id}`, {
        body: patchBody({ op: 'replace', path: 'roles[value eq "a\\"b"].type', value: 'x' }),
      }),
      400,
      'invalidPath',
    );
    expectScimError(
      await scim('PATCH', `/Users/${id}`, { body: patchBody({ op: 'remove', path: 'nosuch[value eq "x"]' }) }),
      400,
      'invalidPath',
    );
    expect(field((await scim('GET', `/Users/${id}`)).body, 'roles')).toEqual([{ value: 'admin', type: 'app', primary: true }]);
  });

  it('applies RFC replace semantics to name, emails, displayName, userName and externalId', async () => {
    const id = await createUser('frank', {
      name: { givenName: 'Frank', familyName: 'Smith' },
      emails: [{ value: 'old@example.com', type: 'work' }],
    });
    const res = await scim('PATCH', `/Users/${id}`, {
      body: patchBody(
        { op: 'replace', path: 'name', value: { givenName: 'Francis' } },
        { op: 'replace', value: { emails: [{ value: 'new@example.com', type: 'work', primary: true }] } },
        { op: 'replace', path: 'displayName', value: 'Francis Smith' },
        { op: 'replace', path: 'userName', value: 'francis' },
        { op: 'add', path: 'externalId', value: 'ext-f' },
        {
          op: 'replace',
          path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value',
          value: 'boss-id',
        },
      ),
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id,
      userName: 'francis',
      externalId: 'ext-f',
      displayName: 'Francis Smith',
      name: { givenName: 'Francis', familyName: 'Smith' },
      emails: [{ value: 'new@example.com', type: 'work', primary: true }],
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { manager: { value: 'boss-id' } },
    });

    const removed = await scim('PATCH', `/Users/${id}`, {
      body: patchBody({ op: 'remove', path: 'externalId' }, { op: 'remove', path: 'emails[type eq "work"]' }),
    });
    expect(field(removed.body, 'externalId')).toBeUndefined();
    expect(field(removed.body, 'emails')).toBeUndefined();
    expectScimError(
      await scim('PATCH', `/Users/${id}`, { body: { Operations: [{ op: 'remove', path: 'title' }] } }),
      400,
      'invalidSyntax',
    );
  });
});

describe('primary values', () => {
  it('keeps exactly one primary: PATCH demotes the previously primary value', async () => {
    const id = await createUser('gwen', {
      emails: [
        { value: 'work@example.com', type: 'work', primary: true },
        { value: 'home@example.com', type: 'home' },
      ],
    });
    const toHome = await scim('PATCH', `/Users/${id}`, {
      body: patchBody({ op: 'replace', path: 'emails[type eq "home"].primary', value: true }),
    });
    expect(field(toHome.body, 'emails')).toEqual([
      { value: 'work@example.com', type: 'work', primary: false },
      { value: 'home@example.com', type: 'home', primary: true },
    ]);
    // The earlier value becoming primary must win too, not merely the last one in the list.
    const toWork = await scim('PATCH', `/Users/${id}`, {
      body: patchBody({ op: 'replace', path: 'emails[type eq "work"].primary', value: true }),
    });
    expect(field(toWork.body, 'emails')).toEqual([
      { value: 'work@example.com', type: 'work', primary: true },
      { value: 'home@example.com', type: 'home', primary: false },
    ]);
  });
});

describe('groups', () => {
  it('creates, filters, patches members and deletes groups', async () => {
    const u1 = await createUser('gina', { displayName: 'Gina G' });
    const u2 = await createUser('hank');
    const groupId = await createGroup('Engineering', [u1]);
    await createGroup('Sales');

    const got = await scim('GET', `/Groups/${groupId}`);
    expect(got.body).toMatchObject({
      displayName: 'Engineering',
      members: [{ value: u1, type: 'User', display: 'Gina G', $ref: `${target.url}/Users/${u1}` }],
    });
    expect(field((await scim('GET', `/Users/${u1}`)).body, 'groups')).toEqual([
      { value: groupId, $ref: `${target.url}/Groups/${groupId}`, display: 'Engineering', type: 'direct' },
    ]);

    const filtered = await scim('GET', `/Groups?filter=${encodeURIComponent('displayName eq "Engineering"')}`);
    expect(resources(filtered).map((g) => g['id'])).toEqual([groupId]);
    const byMember = await scim('GET', `/Groups?filter=${encodeURIComponent(`members[value eq "${u1}"]`)}`);
    expect(resources(byMember).map((g) => g['id'])).toEqual([groupId]);

    const added = await scim('PATCH', `/Groups/${groupId}`, {
      body: patchBody({ op: 'add', path: 'members', value: [{ value: u2 }, { value: u1 }] }),
    });
    expect(added.status).toBe(200);
    expect(json(added.body)['members']).toEqual([
      expect.objectContaining({ value: u1 }),
      expect.objectContaining({ value: u2, display: 'hank' }),
    ]);

    const removed = await scim('PATCH', `/Groups/${groupId}`, {
      body: patchBody({ op: 'remove', path: `members[value eq "${u1}"]` }),
    });
    expect(removed.status).toBe(200);
    expect(json(removed.body)['members']).toEqual([expect.objectContaining({ value: u2 })]);

    expectScimError(
      await scim('PATCH', `/Groups/${groupId}`, {
        body: patchBody({ op: 'add', path: 'members', value: [{ value: 'no-such-user' }] }),
      }),
      400,
      'invalidValue',
    );

    const excluded = await scim('GET', `/Groups/${groupId}?excludedAttributes=members`);
    expect(field(excluded.body, 'members')).toBeUndefined();
    expect(field(excluded.body, 'displayName')).toBe('Engineering');

    // Deleting a user removes its memberships.
    expect((await scim('DELETE', `/Users/${u2}`)).status).toBe(204);
    expect(field((await scim('GET', `/Groups/${groupId}`)).body, 'members')).toBeUndefined();

    const put = await scim('PUT', `/Groups/${groupId}`, {
      body: { schemas: [GROUP_SCHEMA], displayName: 'Eng', members: [{ value: u1 }] },
    });
    expect(put.body).toMatchObject({ id: groupId, displayName: 'Eng', members: [{ value: u1 }] });

    expect((await scim('DELETE', `/Groups/${groupId}`)).status).toBe(204);
    expectScimError(await scim('GET', `/Groups/${groupId}`), 404);
    expect(field((await scim('GET', `/Users/${u1}`)).body, 'groups')).toBeUndefined();
  });
});

describe('persistence', () => {
  it('serves the same users and ids after a restart with the same data file', async () => {
    const aliceId = await createUser('alice', { externalId: 'e-a' });
    const bobId = await createUser('bob');
    const groupId = await createGroup('Team', [aliceId]);
    await scim('PATCH', `/Users/${bobId}`, { body: patchBody({ op: 'replace', path: 'active', value: false }) });

    // The data file holds the state before the response was sent.
    const onDisk = readStoreFile(dataFile);
    expect(onDisk).toMatchObject({ users: [{ id: aliceId }, { id: bobId, attributes: { active: false } }] });

    // A second server cannot open a data file that is in use.
    await expect(startScimTarget({ port: 0, dataFile, token: TOKEN })).rejects.toThrow(/in use/);

    await target.close();
    target = await startScimTarget({ port: 0, dataFile, token: TOKEN });

    expect((await scim('GET', `/Users/${aliceId}`)).body).toMatchObject({ id: aliceId, userName: 'alice' });
    expect((await scim('GET', `/Users/${bobId}`)).body).toMatchObject({ id: bobId, active: false });
    expect((await scim('GET', `/Groups/${groupId}`)).body).toMatchObject({ members: [{ value: aliceId }] });
    expect(userNames(await scim('GET', filterQuery('externalId eq "e-a"')))).toEqual(['alice']);
    // userName uniqueness survives the restart too.
    expectScimError(await scim('POST', '/Users', { body: { schemas: [USER_SCHEMA], userName: 'bob' } }), 409, 'uniqueness');
  });
});

describe('persistence of a data file in the earlier JSON format', () => {
  it('converts it once to the SQLite store and serves the same resources', async () => {
    const legacy = path.join(dir, 'legacy.json');
    const at = '2024-01-02T03:04:05.000Z';
    const user = { id: 'u-1', created: at, lastModified: at, revision: 2, attributes: { userName: 'old.user', active: true } };
    fs.writeFileSync(legacy, JSON.stringify({ formatVersion: 1, users: [user], groups: [] }));
    const other = await startScimTarget({ port: 0, dataFile: legacy, token: TOKEN });
    try {
      const got = await http('GET', `${other.url}/Users/u-1`);
      expect(got.body).toMatchObject({ id: 'u-1', userName: 'old.user', active: true });
      expectScimError(
        await http('POST', `${other.url}/Users`, { body: { schemas: [USER_SCHEMA], userName: 'old.user' } }),
        409,
        'uniqueness',
      );
    } finally {
      await other.close();
    }
    expect(readStoreFile(legacy).users).toEqual([user]);
  });
});

describe('stats', () => {
  it('counts mutating and non-mutating requests, in process and over HTTP', async () => {
    await scim('GET', '/ServiceProviderConfig');
    target.resetStats();
    expect(target.stats()).toMatchObject({ requests: 0, mutating: 0, byMethod: {} });

    const id = await createUser('ivy'); // POST
    await scim('GET', `/Users/${id}`); // GET
    await scim('GET', '/Users'); // GET
    await scim('PATCH', `/Users/${id}`, { body: patchBody({ op: 'replace', path: 'active', value: false }) });
    await scim('PUT', `/Users/${id}`, { body: { schemas: [USER_SCHEMA], userName: 'ivy' } });
    await scim('POST', '/Groups', { body: { schemas: [GROUP_SCHEMA], displayName: 'G' } });
    await scim('DELETE', `/Users/${id}`);
    await scim('GET', '/Schemas');

    const stats = target.stats();
    expect(stats).toEqual({
      requests: 8,
      mutating: 5,
      unauthorized: 0,
      byMethod: { POST: 2, GET: 3, PATCH: 1, PUT: 1, DELETE: 1 },
      byResource: {
        Users: { requests: 6, mutating: 4, byMethod: { POST: 1, GET: 2, PATCH: 1, PUT: 1, DELETE: 1 } },
        Groups: { requests: 1, mutating: 1, byMethod: { POST: 1 } },
        Schemas: { requests: 1, mutating: 0, byMethod: { GET: 1 } },
      },
    });

    const origin = new URL(target.url).origin;
    const overHttp = await http('GET', `${origin}/_admin/stats`);
    expect(overHttp.status).toBe(200);
    expect(overHttp.body).toEqual(stats);
    // Admin requests are not counted as SCIM traffic.
    expect(target.stats().requests).toBe(8);

    expect((await http('POST', `${origin}/_admin/stats/reset`)).status).toBe(204);
    expect(target.stats()).toMatchObject({ requests: 0, mutating: 0 });
  });
});
