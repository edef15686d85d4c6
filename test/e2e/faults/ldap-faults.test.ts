/**
 * The directory failing in the ways that made other connectors deactivate whole companies:
 * the server vanishing mid-read (a TCP proxy in front of the shared slapd, cut at random
 * points), a deleted mapped group, a users base that suddenly answers empty. Each must
 * deactivate nobody. A complete read, in between, does deactivate the one user who really
 * left: the suite would notice a connector that never deactivates.
 */
import path from 'node:path';
import type { Client } from 'ldapts';
import { OPENLDAP } from '../support/env';
import { runCli, tempDir, writeConfig } from '../support/cli';
import { openldapAdmin } from '../support/ldap';
import { GeneratedDirectory, person } from '../support/people';
import { prng, suiteSeed } from '../support/prng';
import { ScimProcess, type ScimUserView } from '../support/scim';
import { TcpProxy } from '../support/tcp-proxy';

jest.setTimeout(150_000);

const CUTS = 10;

let ldap: Client;
let dir: GeneratedDirectory;
let scim: ScimProcess;
let tcp: TcpProxy;
let configFile: string;
const uids = Array.from({ length: 30 }, (_, i) => `ldapf.${String(i).padStart(2, '0')}`);
const staff = uids.slice(0, 24);
const admins = uids.slice(20, 26);

beforeAll(async () => {
  ldap = await openldapAdmin();
  dir = new GeneratedDirectory(ldap, 'ldapfaults');
  await dir.create(
    uids.map((u, i) => person(u, i)),
    { staff, admins },
  );
  const work = tempDir('ldapfaults');
  scim = new ScimProcess(path.join(work, 'scim.json'));
  await scim.start();
  tcp = new TcpProxy('127.0.0.1', Number(new URL(OPENLDAP.ldapsUrl).port));
  const port = await tcp.start();
  configFile = writeConfig(work, {
    directory: {
      url: `ldaps://127.0.0.1:${port}`,
      bindDn: OPENLDAP.adminDn,
      bindPassword: '${env:DIRSYNC_BIND_PASSWORD}',
      tls: { caFile: OPENLDAP.caFile },
      timeoutMs: 3000,
      // Small pages: a cut can land between pages, not only between searches.
      pageSize: 5,
      users: { baseDns: [dir.people] },
      groups: [
        { dn: dir.group('admins'), role: 'Publisher', userType: 'Creator' },
        { dn: dir.group('staff'), role: 'User', userType: 'Viewer' },
      ],
    },
    target: { url: scim.url, token: '${env:DIRSYNC_SCIM_TOKEN}' },
    state: { path: path.join(work, 'state.db') },
  });
});

afterAll(async () => {
  await tcp?.stop();
  await scim?.stop();
  await dir?.remove().catch(() => undefined);
  await ldap?.unbind();
});

async function inactive(): Promise<string[]> {
  return (await scim.users())
    .filter((u: ScimUserView) => u.active === false)
    .map((u) => u.userName)
    .sort();
}

describe('directory faults never deactivate anyone', () => {
  it('a healthy first sync creates everyone in scope', async () => {
    tcp.reset();
    const res = await runCli(['sync', '--json', '--config', configFile]);
    expect(res.code).toBe(0);
    expect((await scim.users()).filter((u) => u.active).length).toBe(26);
  });

  it(`the server vanishing at ${CUTS} random points of the read: zero deactivations`, async () => {
    // One user really leaves: only a complete read may deactivate them.
    await dir.setMembers(
      'staff',
      staff.filter((u) => u !== 'ldapf.03'),
    );
    tcp.reset();
    const healthy = await runCli(['plan', '--json', '--config', configFile]);
    expect(healthy.code).toBe(0);
    expect(JSON.parse(healthy.stdout).operations).toEqual([
      expect.objectContaining({ kind: 'deactivate', userName: 'ldapf.03' }),
    ]);
    const fullRead = tcp.bytesDown;

    const seed = suiteSeed('ldap-faults');
    const r = prng(seed);
    const exits: number[] = [];
    let cut = 0;
    for (let i = 0; i < CUTS; i += 1) {
      // 0: unreachable from the start; otherwise somewhere in the first 90 % of a full read.
      const at = i === 0 ? 0 : r.int(100, Math.floor(fullRead * 0.9));
      tcp.reset(at);
      if (at === 0) tcp.cut();
      const before = await scim.stats();
      const res = await runCli(['sync', '--json', '--config', configFile]);
      const after = await scim.stats();
      expect(tcp.wasCut).toBe(true);
      cut += 1;
      exits.push(res.code);
      if (res.code !== 3)
        process.stdout.write(`[ldap-faults] seed ${seed}, cut at ${at} bytes: exit ${res.code}: ${res.stderr}\n`);
      expect(after.mutating).toBe(before.mutating);
      expect(await inactive()).toEqual([]);
      // A directory error (exit 3), never an internal one (exit 1), wherever the cut falls.
      expect(res.code).toBe(3);
    }
    process.stdout.write(
      `[ldap-faults] seed ${seed}: full read ${fullRead} bytes, ${cut} cut reads, exits ${JSON.stringify(exits)}, deactivations 0\n`,
    );
  });

  it('a deleted mapped group: zero deactivations', async () => {
    tcp.reset();
    await ldap.del(dir.group('admins'));
    try {
      const res = await runCli(['sync', '--json', '--config', configFile]);
      process.stdout.write(`[ldap-faults] deleted mapped group: exit ${res.code}\n`);
      expect(await inactive()).toEqual([]);
    } finally {
      await dir.addGroup('admins', admins);
    }
  });

  it('a complete read again: exactly the one user who left is deactivated', async () => {
    tcp.reset();
    const res = await runCli(['sync', '--json', '--config', configFile]);
    expect(res.code).toBe(0);
    expect(await inactive()).toEqual(['ldapf.03']);
  });

  it('a users base that suddenly answers empty: zero deactivations', async () => {
    for (const u of uids) await ldap.del(dir.dn(u));
    tcp.reset();
    const before = await scim.stats();
    const res = await runCli(['sync', '--json', '--config', configFile]);
    const after = await scim.stats();
    process.stdout.write(
      `[ldap-faults] empty users base: exit ${res.code}; ${res.stderr.split('\n').find((l) => /error/.test(l)) ?? ''}\n`,
    );
    // Told apart from "everyone left": the base is reported as not read completely (exit 3),
    // not merely stopped by the guard (exit 7), so --approve cannot release it.
    expect(res.code).toBe(3);
    expect((JSON.parse(res.stdout) as { directory: { problems: { reason: string }[] } }).directory.problems).toEqual([
      expect.objectContaining({
        reason: expect.stringMatching(/returned no entries, but \d+ managed active user\(s\) were under it/),
      }),
    ]);
    expect(after.mutating).toBe(before.mutating);
    expect(await inactive()).toEqual(['ldapf.03']);
  });
});
