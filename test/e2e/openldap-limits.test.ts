/**
 * A size limit set by the server, against a real slapd: the read that hits it is incomplete,
 * so the run reports that base, exits 3 and deactivates nobody.
 *
 * The limit is per identity (`olcLimits: dn.exact=...`), set at run time through cn=config on a
 * private slapd that this file starts with scripts/openldap.sh on free ports and its own run
 * directory (the script gives cn=config a random password in config-admin.pw). The shared slapd
 * is never touched, so no other test file can meet the limit.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Attribute, Change, Client } from 'ldapts';
import { OPENLDAP, REPO_ROOT } from './support/env';
import { runCli, SECRETS_ENV, tempDir, writeConfig } from './support/cli';
import { ScimProcess } from './support/scim';

jest.setTimeout(180_000);

/** Entries the limited identity may get back per search; the base holds more users than this. */
const LIMIT = 5;
const LIMITED_PASSWORD = 'limited-bind-secret-7c1e';
const PEOPLE = `ou=people,${OPENLDAP.suffix}`;

let work: string;
let runDir: string;
let ports: { ldap: number; ldaps: number };
let admin: Client | undefined;
let scim: ScimProcess;
let limitedDn: string;
let adminConfig: string;
let limitedConfig: string;

interface Report {
  outcome: string;
  counts: Record<string, number>;
  directory: { problems: { scope: string; reason: string }[] };
  operations: { kind: string; userName: string }[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** scripts/openldap.sh on the private instance, bounded in time; its output is in the error. */
function openldapScript(command: 'start' | 'stop'): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [path.join(REPO_ROOT, 'scripts/openldap.sh'), command],
      {
        cwd: REPO_ROOT,
        timeout: 90_000,
        env: {
          ...process.env,
          DIRSYNC_RUN_DIR: runDir,
          DIRSYNC_LDAP_PORT: String(ports.ldap),
          DIRSYNC_LDAPS_PORT: String(ports.ldaps),
        },
      },
      (err, stdout, stderr) =>
        err ? reject(new Error(`openldap.sh ${command}: ${err.message}\n${stdout}${stderr}`)) : resolve(),
    );
  });
}

function ldapsUrl(): string {
  return `ldaps://127.0.0.1:${ports.ldaps}`;
}

function caFile(): string {
  return path.join(runDir, 'openldap/tls/cert.pem');
}

async function bound(dn: string, password: string): Promise<Client> {
  const client = new Client({ url: ldapsUrl(), tlsOptions: { ca: readFileSync(caFile()) }, timeout: 10_000 });
  await client.bind(dn, password);
  return client;
}

function config(bindDn: string, name: string): string {
  return writeConfig(
    work,
    {
      directory: {
        url: ldapsUrl(),
        bindDn,
        bindPassword: '${env:DIRSYNC_BIND_PASSWORD}',
        tls: { caFile: caFile() },
        timeoutMs: 10_000,
        // Larger than the limit: the first page already meets it.
        pageSize: 50,
        users: { baseDns: [PEOPLE] },
        groups: [
          { dn: `cn=engineering,ou=groups,${OPENLDAP.suffix}`, role: 'Publisher', userType: 'Creator' },
          { dn: `cn=sales,ou=groups,${OPENLDAP.suffix}`, role: 'User', userType: 'Viewer' },
        ],
      },
      target: { url: scim.url, token: '${env:DIRSYNC_SCIM_TOKEN}' },
      // One state database for both identities: what the admin's sync created is what a
      // mistaken limited read would deactivate.
      state: { path: path.join(work, 'state.db') },
    },
    name,
  );
}

async function sync(file: string, env: Record<string, string>, expectCode: number): Promise<Report> {
  const res = await runCli(['sync', '--json', '--config', file], env);
  if (res.code !== expectCode) throw new Error(`sync exited ${res.code} (expected ${expectCode}): ${res.stderr}${res.stdout}`);
  return JSON.parse(res.stdout) as Report;
}

const LIMITED_ENV = { ...SECRETS_ENV, DIRSYNC_BIND_PASSWORD: LIMITED_PASSWORD };

beforeAll(async () => {
  work = tempDir('limits');
  runDir = path.join(work, 'run');
  ports = { ldap: await freePort(), ldaps: await freePort() };
  await openldapScript('start');
  admin = await bound(OPENLDAP.adminDn, OPENLDAP.adminPassword);
  await addLimitedIdentity(admin);
  scim = new ScimProcess(path.join(work, 'scim.json'));
  await scim.start();
  adminConfig = config(OPENLDAP.adminDn, 'admin.yaml');
  limitedConfig = config(limitedDn, 'limited.yaml');
});

/** The dedicated identity, and its limit set through cn=config. */
async function addLimitedIdentity(client: Client): Promise<void> {
  // The dedicated identity, in an OU of its own, outside the users base.
  const ou = `ou=limits-${Date.now().toString(36)}${process.pid},${OPENLDAP.suffix}`;
  limitedDn = `cn=dirsync-limited,${ou}`;
  await client.add(ou, { objectClass: ['top', 'organizationalUnit'] });
  await client.add(limitedDn, {
    objectClass: ['top', 'person'],
    cn: 'dirsync-limited',
    sn: 'Limited',
    userPassword: LIMITED_PASSWORD,
  });

  // Its limit, at run time, through cn=config.
  const configPassword = readFileSync(path.join(runDir, 'openldap/config-admin.pw'), 'utf8').trim();
  const cnConfig = await bound('cn=config', configPassword);
  try {
    const { searchEntries } = await cnConfig.search('cn=config', {
      scope: 'one',
      filter: `(olcSuffix=${OPENLDAP.suffix})`,
      attributes: ['1.1'],
    });
    expect(searchEntries).toHaveLength(1);
    await cnConfig.modify(
      (searchEntries[0] as { dn: string }).dn,
      new Change({
        operation: 'add',
        modification: new Attribute({
          type: 'olcLimits',
          values: [`dn.exact="${limitedDn}" size.soft=${LIMIT} size.hard=${LIMIT}`],
        }),
      }),
    );
  } finally {
    await cnConfig.unbind();
  }
}

afterAll(async () => {
  await scim?.stop();
  await admin?.unbind().catch(() => undefined);
  if (ports) await openldapScript('stop');
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('a size limit from the server (OpenLDAP, per identity through cn=config)', () => {
  it('is in force for the dedicated identity only', async () => {
    const all = await bound(OPENLDAP.adminDn, OPENLDAP.adminPassword).then(async (client) => {
      try {
        return await client.search(PEOPLE, { scope: 'sub', filter: '(objectClass=inetOrgPerson)', attributes: ['1.1'] });
      } finally {
        await client.unbind();
      }
    });
    expect(all.searchEntries.length).toBeGreaterThan(LIMIT);
    const limited = await bound(limitedDn, LIMITED_PASSWORD);
    try {
      await expect(
        limited.search(PEOPLE, { scope: 'sub', filter: '(objectClass=inetOrgPerson)', attributes: ['1.1'] }),
      ).rejects.toMatchObject({ code: 4 });
    } finally {
      await limited.unbind();
    }
  });

  it('makes the read incomplete: that base is reported, exit 3, and nobody is deactivated', async () => {
    const first = await sync(adminConfig, SECRETS_ENV, 0);
    expect(first.directory.problems).toEqual([]);
    const created = (await scim.users()).filter((u) => u.active).map((u) => u.userName);
    // More accounts than the limit lets the limited identity see: a read it took for complete
    // would deactivate the rest.
    expect(created.length).toBeGreaterThan(LIMIT);
    expect(first.counts.create).toBe(created.length);

    const before = await scim.stats();
    const limited = await sync(limitedConfig, LIMITED_ENV, 3);
    expect(limited.directory.problems).toEqual([
      { scope: `users under ${PEOPLE}`, reason: expect.stringMatching(/sizeLimitExceeded/) },
    ]);
    expect(limited.operations.filter((o) => o.kind === 'deactivate')).toEqual([]);
    expect((await scim.stats()).mutating).toBe(before.mutating);
    const after = await scim.users();
    expect(
      after
        .filter((u) => u.active)
        .map((u) => u.userName)
        .sort(),
    ).toEqual([...created].sort());

    // What an admin reads: the scope and the held deactivations, and the same exit code.
    const text = await runCli(['plan', '--config', limitedConfig], LIMITED_ENV);
    expect(text.code).toBe(3);
    expect(text.stdout).toContain(`Not read completely: users under ${PEOPLE}:`);
    expect(text.stdout).toMatch(/sizeLimitExceeded/);

    // The complete read again (as the admin): nothing to change.
    const again = await sync(adminConfig, SECRETS_ENV, 0);
    expect(again.operations).toEqual([]);
  });
});
