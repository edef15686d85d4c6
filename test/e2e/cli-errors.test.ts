/**
 * What an admin sees when something is wrong, against the real servers: each failure has a
 * documented exit code and a one-line reason naming the setting, server or group, secrets
 * never appear, and a failed read changes nothing on the target.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from 'ldapts';
import { OPENLDAP, REPO_ROOT, SCIM_TOKEN } from './support/env';
import { openldapConfig, runCli, SECRETS_ENV, tempDir, writeConfig } from './support/cli';
import { loadOpenldapFixture, openldapAdmin, replaceAttribute, type Fixture } from './support/ldap';
import { ScimProcess } from './support/scim';

jest.setTimeout(120_000);

let ldap: Client;
let fx: Fixture;
let scim: ScimProcess;
let dir: string;

function config(
  overrides: { directory?: Record<string, unknown>; target?: Record<string, unknown>; groups?: Record<string, unknown>[] } = {},
): string {
  const base = openldapConfig({
    base: fx.base,
    scimUrl: scim.url,
    statePath: path.join(dir, 'state.db'),
    groups: overrides.groups ?? [
      { dn: fx.group('engineering'), role: 'Publisher', userType: 'Creator' },
      { dn: fx.group('sales'), role: 'User', userType: 'Viewer' },
    ],
    extraDirectory: overrides.directory,
  });
  const doc = { ...base, target: { ...(base.target as Record<string, unknown>), ...overrides.target } };
  return writeConfig(dir, doc, `c-${Math.random().toString(36).slice(2)}.yaml`);
}

beforeAll(async () => {
  ldap = await openldapAdmin();
  fx = await loadOpenldapFixture(ldap, 'clierrors');
  dir = tempDir('clierrors');
  scim = new ScimProcess(path.join(dir, 'scim.json'));
  await scim.start();
});

afterAll(async () => {
  await scim?.stop();
  await ldap?.unbind();
});

function expectNoSecrets(text: string): void {
  expect(text).not.toContain(OPENLDAP.adminPassword);
  expect(text).not.toContain(SCIM_TOKEN);
}

describe('dirsync validate', () => {
  it('accepts a good config (exit 0)', async () => {
    const res = await runCli(['validate', '--config', config()]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/valid \(2 mapped groups/);
  });

  it('names the path of a bad setting (exit 2)', async () => {
    const file = config({ groups: [{ dn: fx.group('sales'), role: 'User', userType: 'Viewer' }, { role: 'User' }] });
    const res = await runCli(['validate', '--config', file]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('directory.groups[1].dn: required');
    expect(res.stderr).toContain('directory.groups[1].userType: required');
  });

  it('names an unset environment variable (exit 2)', async () => {
    const res = await runCli(['validate', '--config', config()], { DIRSYNC_SCIM_TOKEN: SCIM_TOKEN });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('directory.bindPassword: environment variable DIRSYNC_BIND_PASSWORD is not set');
  });
});

describe('directory failures (exit 3, nothing sent)', () => {
  it('refuses a clear-text bind unless allowed, and works over StartTLS', async () => {
    const plain = await runCli(['plan', '--config', config({ directory: { url: OPENLDAP.ldapUrl } })]);
    expect(plain.code).toBe(3);
    expect(plain.stderr).toMatch(/refusing a clear-text bind to ldap:\/\/127\.0\.0\.1:3389/);

    const startTls = await runCli([
      'plan',
      '--config',
      config({ directory: { url: OPENLDAP.ldapUrl, tls: { caFile: OPENLDAP.caFile, startTls: true } } }),
      '--json',
    ]);
    expect(startTls.code).toBe(0);
    expect(JSON.parse(startTls.stdout).counts.create).toBeGreaterThan(0);
  });

  it('allows the clear-text bind with directory.allowInsecure: true, and reads the same users', async () => {
    const tls = await runCli(['plan', '--json', '--config', config()]);
    expect(tls.code).toBe(0);
    const res = await runCli([
      'plan',
      '--json',
      '--config',
      config({ directory: { url: OPENLDAP.ldapUrl, allowInsecure: true } }),
    ]);
    expect(res.stderr).not.toMatch(/refusing a clear-text bind/);
    expect(res.code).toBe(0);
    const plain = JSON.parse(res.stdout) as { directory: { server: string; problems: unknown[] }; counts: { create: number } };
    expect(plain.directory.server).toBe(OPENLDAP.ldapUrl);
    expect(plain.directory.problems).toEqual([]);
    expect(plain.counts.create).toBeGreaterThan(0);
    expect(plain.counts.create).toBe((JSON.parse(tls.stdout) as { counts: { create: number } }).counts.create);
  });

  it('refuses a server certificate it cannot verify', async () => {
    const res = await runCli(['plan', '--config', config({ directory: { tls: {} } })]);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/certificate/i);
  });

  it('reports a wrong bind password without printing it', async () => {
    const res = await runCli(['plan', '--config', config()], { ...SECRETS_ENV, DIRSYNC_BIND_PASSWORD: 'wrong-password-123' });
    expect(res.code).toBe(3);
    expect(res.stderr).toContain(`bind as ${OPENLDAP.adminDn}`);
    expect(res.stderr).toContain('invalid credentials');
    expect(res.stderr + res.stdout).not.toContain('wrong-password-123');
  });

  it('fails over to the next URL when the first server does not answer', async () => {
    const res = await runCli([
      'plan',
      '--json',
      '--config',
      config({ directory: { url: ['ldaps://127.0.0.1:1', OPENLDAP.ldapsUrl] } }),
    ]);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).directory.server).toBe(OPENLDAP.ldapsUrl);
  });

  it('a missing mapped group holds every deactivation and role change (exit 3)', async () => {
    const ok = await runCli(['sync', '--json', '--config', config()]);
    expect(ok.code).toBe(0);
    const active = (await scim.users()).filter((u) => u.active).length;
    expect(active).toBeGreaterThan(0);

    const before = await scim.stats();
    const res = await runCli([
      'sync',
      '--config',
      config({
        groups: [
          { dn: fx.group('no-such-group'), role: 'User', userType: 'Viewer' },
          { dn: fx.group('sales'), role: 'User', userType: 'Viewer' },
        ],
      }),
    ]);
    expect(res.code).toBe(3);
    expect(res.stdout).toContain(`Not read completely: group ${fx.group('no-such-group')}: the group does not exist`);
    expect(res.stdout).toMatch(/Held: \d+ user\(s\) absent from this read were not deactivated/);
    expect(res.stdout).toMatch(/Held: 2 role or user type change\(s\) were not sent/);
    const after = await scim.stats();
    expect(after.mutating).toBe(before.mutating);
    expect((await scim.users()).filter((u) => u.active).length).toBe(active);

    const status = await runCli(['status', '--json', '--config', config()]);
    const runs = (JSON.parse(status.stdout) as { runs: { outcome: string; message: string | null }[] }).runs;
    expect(runs[0]).toMatchObject({ outcome: 'partial' });
  });
});

describe('usage errors (exit 2, one line naming the option)', () => {
  const cases: [string, string[], RegExp][] = [
    [
      'an unknown option',
      ['plan', '--no-such-option'],
      /^dirsync: error: unknown option '--no-such-option' \(see dirsync plan --help\)\n$/,
    ],
    [
      'an unknown global option',
      ['--no-such-option'],
      /^dirsync: error: unknown option '--no-such-option' \(see dirsync --help\)\n$/,
    ],
    [
      'a value outside the choices',
      ['export', '--format', 'xlsx'],
      /^dirsync: error: option '--format <format>' argument 'xlsx' is invalid\. Allowed choices are [^\n]+\(see dirsync export --help\)\n$/,
    ],
    [
      'a value its parser refuses',
      ['sync', '--approve', 'many'],
      /^dirsync: error: option '--approve \[count\]' argument 'many' is invalid\. [^\n]+\n$/,
    ],
    ['a missing argument', ['explain'], /^dirsync: error: missing required argument 'user' [^\n]+\n$/],
    ['an unknown command', ['synk'], /^dirsync: error: unknown command 'synk' [^\n]+\n$/],
  ];

  it.each(cases)('%s', async (_what, args, stderr) => {
    // A config that would work: the usage error alone decides the outcome, and nothing runs.
    const before = await scim.stats();
    const res = await runCli([...args, '--config', config()]);
    expect(res.stderr).toMatch(stderr);
    expect(res.stderr).not.toContain('Usage:');
    expect(res.stdout).toBe('');
    expect(res.code).toBe(2);
    expect((await scim.stats()).requests).toBe(before.requests);
  });

  it('--help and --version still exit 0', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: dirsync \[options\] \[command\]/);
    const planHelp = await runCli(['plan', '--help']);
    expect(planHelp.code).toBe(0);
    expect(planHelp.stdout).toContain('Usage: dirsync plan [options]');
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(
      (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version,
    );
    expect(help.stderr + planHelp.stderr + version.stderr).toBe('');
  });
});

describe('target failures', () => {
  it('a rejected token stops the run with exit 4 and never prints it', async () => {
    // Make a change so that the run has something to send.
    await replaceAttribute(ldap, fx.user('grace.hall'), 'displayName', ['Grace H.']);
    const res = await runCli(['sync', '--config', config()], { ...SECRETS_ENV, DIRSYNC_SCIM_TOKEN: 'not-the-token' });
    expect(res.code).toBe(4);
    expect(res.stderr).toMatch(/the target refused the API token \(target\.token\): PATCH \/Users\/\S+ answered 401/);
    expect(res.stdout + res.stderr).not.toContain('not-the-token');
    // With the right token the same change goes through.
    const ok = await runCli(['sync', '--json', '--config', config()]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).operations).toEqual([
      expect.objectContaining({ kind: 'update', userName: 'grace.hall', status: 'done' }),
    ]);
  });

  it('refuses to send the token over plain http to a host other than loopback', async () => {
    const res = await runCli(['plan', '--config', config({ target: { url: 'http://scim.example.com/scim/v2' } })]);
    // plan sends nothing to the target; sync refuses before it reads anything.
    expect(res.code).toBe(0);
    const sync = await runCli(['sync', '--config', config({ target: { url: 'http://scim.example.com/scim/v2' } })]);
    expect(sync.code).toBe(4);
    expect(sync.stderr).toMatch(/refusing to send the API token over plain http to scim\.example\.com/);
  });

  it('never writes secrets into the state database', async () => {
    const db = readFileSync(path.join(dir, 'state.db'));
    expectNoSecrets(db.toString('latin1'));
  });
});
