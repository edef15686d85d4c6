import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { doctorExitCode, doctorText } from '../../../src/cli/commands/doctor';
import { EXIT } from '../../../src/cli/exit-codes';
import { parseConfig } from '../../../src/config/load';
import type { Config } from '../../../src/config/schema';
import { Secret } from '../../../src/config/secret';
import type { Check } from '../../../src/doctor/check';
import { checkAdmin, checkTarget } from '../../../src/doctor/target-checks';
import type { ScimUser } from '../../../src/target/scim-types';

const ADMIN_FIX =
  'the product requires an active organisation admin with an admin role whose email domain is verified: fix the account in the product, or point product.adminUserName at one that is';

function config(product: Record<string, unknown>, targetUrl = 'https://api.example.com/scim/v2'): Config {
  return parseConfig(
    {
      directory: {
        url: 'ldaps://dc1.example.org:636',
        bindDn: 'cn=svc,dc=example,dc=org',
        bindPassword: '${env:DIRSYNC_BIND_PASSWORD}',
        users: { baseDns: ['ou=people,dc=example,dc=org'] },
        groups: [{ dn: 'cn=staff,dc=example,dc=org', role: 'User', userType: 'Viewer' }],
      },
      target: { url: targetUrl, token: '${env:DIRSYNC_SCIM_TOKEN}' },
      product,
    },
    '/unused',
  );
}

const PRODUCT = { verifiedDomains: ['example.org'], adminUserName: 'it.admin' };

function admin(over: Record<string, unknown> = {}): ScimUser {
  return {
    id: 'a1',
    userName: 'it.admin',
    active: true,
    emails: [{ value: 'it.admin@example.org', primary: true }],
    roles: [{ value: 'Administrator' }],
    ...over,
  } as ScimUser;
}

/** The target as the admin check sees it: a user lookup by userName, recording what it was asked. */
function fakeTarget(users: readonly ScimUser[]): {
  findUsers: (a: 'userName' | 'externalId', v: string) => Promise<ScimUser[]>;
  asked: string[];
} {
  const asked: string[] = [];
  return {
    asked,
    findUsers: async (attribute, value) => {
      asked.push(`${attribute}=${value}`);
      return users.filter((u) => u[attribute] === value);
    },
  };
}

function expectFailure(check: Check, message: string | RegExp, fix: string): void {
  expect(check.status).toBe('fail');
  expect(check.area).toBe('product');
  if (typeof message === 'string') expect(check.message).toBe(message);
  else expect(check.message).toMatch(message);
  expect(check.fix).toBe(fix);
}

describe('doctor: the API admin account (product precondition)', () => {
  it('passes for an active admin with an admin role and a verified email domain', async () => {
    const target = fakeTarget([admin()]);
    const check = await checkAdmin(target, config(PRODUCT));
    expect(target.asked).toEqual(['userName=it.admin']);
    expect(check).toEqual({
      area: 'product',
      status: 'pass',
      message: 'admin account it.admin: active, role Administrator, email it.admin@example.org (verified domain)',
    });
  });

  it('fails when the account is not found on the target, with the fix naming product.adminUserName', async () => {
    const check = await checkAdmin(fakeTarget([admin({ userName: 'someone.else' })]), config(PRODUCT));
    expectFailure(
      check,
      'admin account it.admin: not found on the target',
      'set product.adminUserName to the exact userName of an existing organisation admin',
    );
  });

  it('fails when the account is inactive', async () => {
    const check = await checkAdmin(fakeTarget([admin({ active: false })]), config(PRODUCT));
    expectFailure(check, 'admin account it.admin: it is inactive', ADMIN_FIX);
  });

  it('fails when the account has no role of product.adminRoles, naming the roles it has', async () => {
    const check = await checkAdmin(fakeTarget([admin({ roles: [{ value: 'User' }, { value: 'Publisher' }] })]), config(PRODUCT));
    expectFailure(
      check,
      'admin account it.admin: its roles (User, Publisher) include none of product.adminRoles (Administrator)',
      ADMIN_FIX,
    );
    const none = await checkAdmin(fakeTarget([admin({ roles: undefined })]), config(PRODUCT));
    expectFailure(none, 'admin account it.admin: its roles (none) include none of product.adminRoles (Administrator)', ADMIN_FIX);
  });

  it('takes the roles of product.adminRoles, ignoring case', async () => {
    const roles = { ...PRODUCT, adminRoles: ['Org Admin'] };
    expect((await checkAdmin(fakeTarget([admin({ roles: [{ value: 'org admin' }] })]), config(roles))).status).toBe('pass');
    expectFailure(
      await checkAdmin(fakeTarget([admin()]), config(roles)),
      'admin account it.admin: its roles (Administrator) include none of product.adminRoles (Org Admin)',
      ADMIN_FIX,
    );
  });

  it('lists every problem of one account in one failing check', async () => {
    const check = await checkAdmin(
      fakeTarget([admin({ active: false, roles: [], emails: [{ value: 'it.admin@gmail.com', primary: true }] })]),
      config(PRODUCT),
    );
    expectFailure(
      check,
      'admin account it.admin: it is inactive; its roles (none) include none of product.adminRoles (Administrator); its email domain gmail.com is not in product.verifiedDomains',
      ADMIN_FIX,
    );
  });

  it('fails when product.adminUserName is not set, without asking the target', async () => {
    const target = fakeTarget([admin()]);
    const check = await checkAdmin(target, config({ verifiedDomains: ['example.org'] }));
    expectFailure(
      check,
      'admin account: product.adminUserName is not set',
      'set product.adminUserName to the userName of the organisation admin the API token belongs to',
    );
    expect(target.asked).toEqual([]);
  });

  it('fails when the lookup itself fails', async () => {
    const check = await checkAdmin(
      {
        findUsers: async () => {
          throw new Error('filter not supported');
        },
      },
      config(PRODUCT),
    );
    expectFailure(
      check,
      'admin account it.admin: lookup failed (filter not supported)',
      'check that the API allows filtering Users by userName',
    );
  });

  it('doctor prints the failure with its fix and exits 4', async () => {
    const check = await checkAdmin(fakeTarget([admin({ active: false })]), config(PRODUCT));
    const result = { file: '/etc/dirsync/connector.yaml', ok: false, checks: [check] };
    const text = doctorText(result, 200, false);
    expect(text).toContain('FAIL  admin account it.admin: it is inactive');
    expect(text).toContain(`fix: ${ADMIN_FIX}`);
    expect(text).toContain('Not ready: 0 passed, 0 warning(s), 1 failed, 0 not checked.');
    expect(doctorExitCode(result)).toBe(EXIT.target);
  });
});

describe('doctor: the admin check against a fake SCIM target', () => {
  let server: Server;
  let url: string;
  let users: ScimUser[];
  const requests: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
      const send = (body: unknown): void => {
        res.writeHead(200, { 'content-type': 'application/scim+json' });
        res.end(JSON.stringify(body));
      };
      const u = new URL(req.url ?? '/', 'http://fake');
      if (u.pathname.endsWith('/ServiceProviderConfig')) return send({ bulk: { supported: false }, etag: { supported: true } });
      if (u.pathname.endsWith('/Users')) {
        const wanted = /^userName eq "(.*)"$/.exec(u.searchParams.get('filter') ?? '')?.[1];
        const found = wanted === undefined ? users : users.filter((x) => x.userName === wanted);
        return send({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
          totalResults: found.length,
          Resources: found,
        });
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const run = async (found: ScimUser[]): Promise<readonly Check[]> => {
    users = found;
    requests.length = 0;
    return checkTarget(config(PRODUCT, url), new Secret('token'));
  };

  it.each([
    ['not found', [] as ScimUser[], 'admin account it.admin: not found on the target'],
    ['inactive', [admin({ active: false })], 'admin account it.admin: it is inactive'],
    [
      'without an admin role',
      [admin({ roles: [{ value: 'User' }] })],
      'admin account it.admin: its roles (User) include none of product.adminRoles (Administrator)',
    ],
  ])('%s: the last target check fails with its fix', async (_name, found, message) => {
    const checks = await run(found);
    expect(checks.map((c) => c.status)).toEqual(['pass', 'pass', 'pass', 'fail']);
    expect(checks.at(-1)).toMatchObject({ area: 'product', status: 'fail', message });
    expect(checks.at(-1)?.fix).toMatch(/^(set product\.adminUserName|the product requires an active organisation admin)/);
    expect(requests).toContain(`GET /scim/v2/Users?filter=${encodeURIComponent('userName eq "it.admin"')}&count=10`);
  });

  it('a proper admin passes', async () => {
    const checks = await run([admin()]);
    expect(checks.map((c) => c.status)).toEqual(['pass', 'pass', 'pass', 'pass']);
  });
});
