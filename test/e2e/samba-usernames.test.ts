/**
 * Username sources other than sAMAccountName, against the real Samba AD DC: with the template
 * `{userPrincipalName}` the account's userName is the UPN, after the product's username rule
 * (case kept by default, lower-cased with rules.usernameCase: lower, `+` made `_`), on the same
 * objectGUID-keyed account; a user without a UPN is skipped, never given another name.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Client } from 'ldapts';
import { SAMBA } from './support/env';
import { runCli, SAMBA_ENV, sambaConfig, tempDir, writeConfig } from './support/cli';
import {
  addGroup,
  addOu,
  addUser,
  deleteLeftovers,
  deleteTree,
  modifyAttribute,
  objectGuidFromSamba,
  sambaAdmin,
} from './support/samba';
import { ScimProcess } from './support/scim';

jest.setTimeout(120_000);

interface Report {
  directory: { vendor: string; problems: unknown[] };
  operations: { kind: string; userName: string; status?: string; changes?: { field: string }[] }[];
  skipped: { dn: string; reason: string }[];
}

// AD names are unique in the whole domain: a tag of this run in every one (sAMAccountName <= 20).
const tag = `${Date.now().toString(36).slice(-5)}${(process.pid % 1296).toString(36)}`;
const upn = {
  alice: `Alice.Upn-${tag}@Example.Test`,
  bob: `bob+${tag}@example.test`,
};

let ad: Client;
let scim: ScimProcess;
let dir: string;
let root: string;
const dn: Record<string, string> = {};

function config(rules?: Record<string, unknown>): string {
  const doc = sambaConfig({
    baseDns: [`OU=People,${root}`],
    scimUrl: scim.url,
    groups: [{ dn: dn.staff as string, role: 'User', userType: 'Viewer' }],
    extraDirectory: { attributes: { username: '{userPrincipalName}' } },
    statePath: path.join(dir, 'state.db'),
  });
  return writeConfig(dir, rules ? { ...doc, rules } : doc, `c-${Math.random().toString(36).slice(2)}.yaml`);
}

async function run(command: 'plan' | 'sync', file: string): Promise<Report> {
  const res = await runCli([command, '--json', '--config', file], SAMBA_ENV);
  if (res.code !== 0) throw new Error(`${command} exited ${res.code}: ${res.stderr}`);
  return JSON.parse(res.stdout) as Report;
}

beforeAll(async () => {
  ad = await sambaAdmin();
  await deleteLeftovers(ad, 'upn-');
  root = `OU=upn-${tag},${SAMBA.testsOu}`;
  const people = `OU=People,${root}`;
  for (const ou of [root, people]) await addOu(ad, ou);
  for (const who of ['alice', 'bob', 'carol'] as const) {
    dn[who] = await addUser(ad, people, {
      sam: `upn${tag}${who[0]}`,
      givenName: who,
      sn: 'Upn',
      mail: `${who}.${tag}@example.test`,
    });
  }
  await modifyAttribute(ad, dn.alice as string, 'userPrincipalName', [upn.alice]);
  await modifyAttribute(ad, dn.bob as string, 'userPrincipalName', [upn.bob]);
  // Carol has no UPN at all: the template cannot give her a name.
  await modifyAttribute(ad, dn.carol as string, 'userPrincipalName', [], 'delete');
  dn.staff = await addGroup(ad, root, `upn-staff-${tag}`, [dn.alice as string, dn.bob as string, dn.carol as string]);

  dir = tempDir('upn');
  scim = new ScimProcess(path.join(dir, 'scim.json'));
  await scim.start();
});

afterAll(async () => {
  await scim?.stop();
  if (ad) {
    await deleteTree(ad, root).catch(() => undefined);
    await ad.unbind();
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('username template {userPrincipalName} on Samba AD', () => {
  it('gives each account the UPN as userName, after the username rule, keyed by objectGUID', async () => {
    const report = await run('sync', config());
    expect(report.directory.vendor).toBe('activedirectory');
    expect(report.directory.problems).toEqual([]);
    const users = await scim.users();
    expect(users.map((u) => u.userName).sort()).toEqual([upn.alice, `bob_${tag}@example.test`].sort());
    expect(users.find((u) => u.userName === upn.alice)?.externalId).toBe(objectGuidFromSamba(dn.alice as string));
    // Never the sAMAccountName, which the AD default template would have used.
    expect(users.map((u) => u.userName).filter((n) => n.startsWith(`upn${tag}`))).toEqual([]);
    expect(report.skipped).toEqual([expect.objectContaining({ dn: dn.carol, reason: 'USERNAME_MISSING' })]);

    const again = await run('sync', config());
    expect(again.operations).toEqual([]);
  });

  it('lower-cases the UPN with rules.usernameCase: lower, as an update of the same account', async () => {
    const before = (await scim.users()).find((u) => u.userName === upn.alice);
    const report = await run('sync', config({ usernameCase: 'lower' }));
    expect(report.operations).toEqual([
      expect.objectContaining({ kind: 'update', userName: upn.alice.toLowerCase(), status: 'done' }),
    ]);
    expect(report.operations[0]?.changes?.map((c) => c.field)).toEqual(['userName']);
    const after = await scim.users();
    expect(after.map((u) => u.userName).sort()).toEqual([upn.alice.toLowerCase(), `bob_${tag}@example.test`].sort());
    expect(after.find((u) => u.userName === upn.alice.toLowerCase())).toMatchObject({ id: before?.id, active: true });
  });
});
