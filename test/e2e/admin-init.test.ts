/** A new admin's first hour: `dirsync init` from flags, then `doctor` on what it wrote, and typos caught with a hint. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from 'ldapts';
import { runCli, SECRETS_ENV, tempDir } from './support/cli';
import { OPENLDAP } from './support/env';
import { loadOpenldapFixture, openldapAdmin, type Fixture } from './support/ldap';
import { ScimProcess } from './support/scim';

jest.setTimeout(120_000);

let ldap: Client;
let fx: Fixture;
let scim: ScimProcess;
let dir: string;

beforeAll(async () => {
  ldap = await openldapAdmin();
  fx = await loadOpenldapFixture(ldap, `admininit${process.pid}`);
  dir = tempDir('admin-init');
  scim = new ScimProcess(path.join(dir, 'scim.json'));
  await scim.start();
  await scim.post('/Users', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: 'it.admin',
    active: true,
    emails: [{ value: 'it.admin@example.org', primary: true }],
    roles: [{ value: 'Administrator' }],
  });
});

afterAll(async () => {
  await scim?.stop();
  await ldap?.unbind();
});

describe('dirsync init, then doctor', () => {
  const out = (): string => path.join(dir, 'connector.yaml');
  const flags = (): string[] => [
    'init',
    '--directory-type',
    'openldap',
    '--url',
    OPENLDAP.ldapsUrl,
    '--bind-dn',
    OPENLDAP.adminDn,
    '--base-dn',
    fx.people,
    '--group',
    fx.group('engineering'),
    '--role',
    'Publisher',
    '--user-type',
    'Creator',
    '--ca-file',
    OPENLDAP.caFile,
    '--target-url',
    scim.url,
    '--verified-domain',
    'example.org',
    '--admin-user',
    'it.admin',
    '--out',
    out(),
  ];

  it('writes a valid starter config without a secret, names the variables to set, and doctor passes on it', async () => {
    const res = await runCli(flags(), {});
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('DIRSYNC_BIND_PASSWORD');
    expect(res.stdout).toContain('DIRSYNC_SCIM_TOKEN');
    const text = readFileSync(out(), 'utf8');
    expect(text).toContain('${env:DIRSYNC_BIND_PASSWORD}');
    expect(text).not.toContain(OPENLDAP.adminPassword);
    expect(text).toMatch(/^# yaml-language-server: \$schema=.*config\/connector\.schema\.json$/m);
    const doctor = await runCli(['doctor', '--config', out()], SECRETS_ENV);
    expect(doctor.stdout).not.toContain('FAIL');
    expect(doctor.code).toBe(0);
    const plan = await runCli(['plan', '--config', out(), '--json'], SECRETS_ENV);
    expect(plan.code).toBe(0);
  });

  it('refuses to overwrite an existing file without --force', async () => {
    const res = await runCli(flags(), {});
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('exists: choose another --out, or --force');
    expect((await runCli([...flags(), '--force'], {})).code).toBe(0);
  });

  it('a typo in a setting: an error with "did you mean"', async () => {
    writeFileSync(out(), readFileSync(out(), 'utf8').replace('baseDns:', 'baseDn:').replace('userType:', 'usertype:'));
    const res = await runCli(['validate', '--config', out()], SECRETS_ENV);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('directory.users.baseDn: unknown setting (did you mean baseDns?)');
    expect(res.stderr).toContain('directory.groups[0].usertype: unknown setting (did you mean userType?)');
  });
});
