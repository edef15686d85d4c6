/**
 * `dirsync doctor` against the real servers: all checks pass on a good set-up, and each broken
 * set-up an admin meets on a bad day fails with its own message and fix.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import type { Client } from 'ldapts';
import { openldapConfig, runCli, SAMBA_ENV, sambaConfig, SECRETS_ENV, tempDir, writeConfig } from './support/cli';
import { OPENLDAP, SAMBA } from './support/env';
import { loadOpenldapFixture, openldapAdmin, type Fixture } from './support/ldap';
import { ScimProcess } from './support/scim';

jest.setTimeout(120_000);

interface DoctorJson {
  ok: boolean;
  checks: { area: string; status: 'pass' | 'warn' | 'fail' | 'skip'; message: string; fix?: string; details?: string[] }[];
}

let ldap: Client;
let fx: Fixture;
let scim: ScimProcess;
let dir: string;

const ADMIN = 'org.admin';

function config(change: (c: Record<string, unknown>) => void = () => undefined): string {
  const c = openldapConfig({
    base: fx.base,
    scimUrl: scim.url,
    groups: [
      { dn: fx.group('engineering'), role: 'Publisher', userType: 'Creator' },
      { dn: fx.group('contractors'), role: 'Viewer', userType: 'Viewer', nested: true },
    ],
  });
  c.product = { verifiedDomains: ['example.org'], adminUserName: ADMIN };
  change(c);
  return writeConfig(dir, c, `c-${Math.random().toString(36).slice(2)}.yaml`);
}

const directory = (c: Record<string, unknown>): Record<string, unknown> => c.directory as Record<string, unknown>;

async function doctor(file: string, env: Record<string, string> = SECRETS_ENV): Promise<{ code: number; json: DoctorJson }> {
  const res = await runCli(['doctor', '--json', '--config', file], env);
  return { code: res.code, json: JSON.parse(res.stdout) as DoctorJson };
}

function failures(json: DoctorJson): DoctorJson['checks'] {
  return json.checks.filter((c) => c.status === 'fail');
}

beforeAll(async () => {
  ldap = await openldapAdmin();
  fx = await loadOpenldapFixture(ldap, `admindoc${process.pid}`);
  dir = tempDir('admin-doctor');
  scim = new ScimProcess(path.join(dir, 'scim.json'));
  await scim.start();
  const created = await scim.post('/Users', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: ADMIN,
    active: true,
    emails: [{ value: 'org.admin@example.org', primary: true }],
    roles: [{ value: 'Administrator' }],
  });
  expect(created.status).toBe(201);
});

afterAll(async () => {
  await scim?.stop();
  await ldap?.unbind();
});

describe('dirsync doctor', () => {
  it('passes every check on a good set-up, with certificate expiry, member counts and target features', async () => {
    const { code, json } = await doctor(config());
    expect(failures(json)).toEqual([]);
    expect(code).toBe(0);
    expect(json.ok).toBe(true);
    const messages = json.checks.map((c) => c.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^TLS certificate of ldaps:\/\/127\.0\.0\.1:3636: trusted, expires \d{4}-\d\d-\d\d/),
        expect.stringMatching(/^bind as cn=admin,dc=example,dc=org to .*: accepted/),
        expect.stringMatching(new RegExp(`^users base ${fx.people}: exists, \\d+ user entries`)),
        expect.stringMatching(new RegExp(`^group ${fx.group('engineering')}: \\d+ member\\(s\\), \\d+ user\\(s\\)`)),
        expect.stringMatching(/^ServiceProviderConfig: bulk (yes|no), ETag (yes|no), filter yes/),
        'API token: accepted (GET /Users)',
        expect.stringMatching(/^admin account org\.admin: active, role Administrator/),
        expect.stringMatching(/^users of unverified domains: none of \d+/),
      ]),
    );
    const text = await runCli(['doctor', '--config', config()]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^PASS {2}/m);
    expect(text.stdout).toContain('Ready: ');
    // Not a TTY: no colour codes.
    expect(text.stdout).not.toContain('\u001b[');
    for (const line of text.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('a wrong bind password: the bind fails, naming the variable to fix', async () => {
    const { code, json } = await doctor(config(), { ...SECRETS_ENV, DIRSYNC_BIND_PASSWORD: 'wrong-password' });
    expect(code).toBe(3);
    expect(failures(json)).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('invalid credentials'),
        fix: expect.stringContaining('the environment variable DIRSYNC_BIND_PASSWORD'),
      }),
    ]);
  });

  it('a wrong base DN: named, with the naming context the server holds', async () => {
    const { code, json } = await doctor(
      config((c) => {
        directory(c).users = { baseDns: [`ou=peple,${fx.base}`] };
      }),
    );
    expect(code).toBe(3);
    expect(failures(json)).toEqual([
      expect.objectContaining({
        message: `users base ou=peple,${fx.base}: does not exist (or the bind account cannot see it)`,
        fix: expect.stringContaining(`this server holds ${OPENLDAP.suffix}`),
      }),
    ]);
  });

  it('a missing group: named with the setting to correct', async () => {
    const { code, json } = await doctor(
      config((c) => {
        (directory(c).groups as unknown[]).push({ dn: fx.group('no-such-group'), role: 'User', userType: 'Viewer' });
      }),
    );
    expect(code).toBe(3);
    expect(failures(json)).toEqual([
      expect.objectContaining({
        message: `group ${fx.group('no-such-group')}: the group does not exist`,
        fix: expect.stringContaining('directory.groups[2].dn'),
      }),
    ]);
  });

  it('a self-signed certificate without caFile: not trusted, set directory.tls.caFile', async () => {
    const { code, json } = await doctor(
      config((c) => {
        directory(c).tls = {};
      }),
    );
    expect(code).toBe(3);
    const [tlsFailure] = failures(json);
    expect(tlsFailure?.message).toMatch(
      /^TLS certificate of ldaps:\/\/127\.0\.0\.1:3636: NOT trusted \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)/,
    );
    expect(tlsFailure?.fix).toContain('set directory.tls.caFile');
    expect(json.checks).toContainEqual(
      expect.objectContaining({ status: 'skip', message: expect.stringContaining('bind to ldaps://127.0.0.1:3636: not tried') }),
    );
  });

  it('an expired certificate: not trusted, expiry date shown, renew it', async () => {
    const certDir = tempDir('expired-cert');
    const key = path.join(certDir, 'key.pem');
    const cert = path.join(certDir, 'cert.pem');
    const csr = path.join(certDir, 'req.csr');
    execFileSync(
      'openssl',
      ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-subj', '/CN=127.0.0.1', '-out', csr],
      {
        stdio: 'ignore',
      },
    );
    // -days -1: valid until yesterday, whatever today is.
    execFileSync('openssl', ['x509', '-req', '-in', csr, '-signkey', key, '-days', '-1', '-out', cert], { stdio: 'ignore' });
    const server = tls.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const { code, json } = await doctor(
        config((c) => {
          directory(c).url = `ldaps://127.0.0.1:${port}`;
          directory(c).tls = { caFile: cert };
        }),
      );
      expect(code).toBe(3);
      const [expired] = failures(json);
      expect(expired?.message).toMatch(
        new RegExp(`^TLS certificate of ldaps://127\\.0\\.0\\.1:${port}: NOT trusted \\(CERT_HAS_EXPIRED\\)`),
      );
      expect(expired?.fix).toMatch(/^the certificate expired on \d{4}-\d\d-\d\d: renew/);
    } finally {
      server.close();
    }
  });

  it('a wrong API token: refused, naming the variable to fix', async () => {
    const { code, json } = await doctor(config(), { ...SECRETS_ENV, DIRSYNC_SCIM_TOKEN: 'not-the-token' });
    expect(code).toBe(4);
    expect(failures(json)).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/^API token: .*401/),
        fix: expect.stringContaining('the environment variable DIRSYNC_SCIM_TOKEN'),
      }),
    ]);
  });

  it('product preconditions: no verified domain, admin of an unverified domain, users who would land Unverified', async () => {
    const { code, json } = await doctor(
      config((c) => {
        c.product = { verifiedDomains: [], adminUserName: ADMIN };
      }),
    );
    expect(code).toBe(4);
    expect(failures(json).map((f) => f.message)).toEqual([
      'verified domains: none configured in product.verifiedDomains',
      expect.stringContaining('its email domain example.org is not in product.verifiedDomains'),
    ]);
    const unverified = json.checks.find((c) => c.message.startsWith('users of unverified domains'));
    expect(unverified).toMatchObject({ status: 'warn', details: [expect.stringMatching(/^example\.org: \d+$/)] });
    expect(unverified?.message).toMatch(/^users of unverified domains: (\d+) of \1 would land Unverified/);
  });

  it('an invalid config: the problems listed, exit 2', async () => {
    const { code, json } = await doctor(
      config((c) => {
        directory(c).pageSise = 10;
      }),
    );
    expect(code).toBe(2);
    expect(json.checks).toEqual([
      expect.objectContaining({ status: 'fail', details: ['directory.pageSise: unknown setting (did you mean pageSize?)'] }),
    ]);
  });

  it('Samba AD: ldaps:// and ldap:// with StartTLS both checked, certificate, bind, base and primary group all pass', async () => {
    const c = sambaConfig({
      baseDns: [`CN=Users,${SAMBA.baseDn}`],
      scimUrl: scim.url,
      groups: [{ dn: `CN=Domain Users,CN=Users,${SAMBA.baseDn}`, role: 'User', userType: 'Viewer' }],
    });
    const d = c.directory as Record<string, unknown>;
    d.url = [SAMBA.ldapsUrl, SAMBA.ldapUrl];
    d.tls = { caFile: SAMBA.caFile, startTls: true };
    c.product = { verifiedDomains: ['example.org'], adminUserName: ADMIN };
    const { code, json } = await doctor(writeConfig(dir, c, 'samba.yaml'), SAMBA_ENV);
    expect(failures(json)).toEqual([]);
    expect(code).toBe(0);
    const messages = json.checks.map((m) => m.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^TLS certificate of ldaps:\/\/127\.0\.0\.1:636: trusted, expires/),
        expect.stringMatching(/^StartTLS certificate of ldap:\/\/127\.0\.0\.1:389: trusted, expires/),
        expect.stringMatching(/^bind as Administrator@EXAMPLE\.TEST to ldap:\/\/127\.0\.0\.1:389: accepted/),
        expect.stringMatching(/\(vendor activedirectory, id attribute objectGUID\)$/),
        // Domain Users is everyone's primary group: its members come from primaryGroupID, not `member`.
        expect.stringMatching(/^group CN=Domain Users,CN=Users,DC=example,DC=test: [1-9]\d* member\(s\) with nesting/),
      ]),
    );
  });
});
