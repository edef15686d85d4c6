/**
 * Active Directory behaviour against a real Samba 4 AD DC: vendor detection, objectGUID,
 * userAccountControl, nesting through the in-chain rule (three deep, with a cycle), range
 * retrieval and paging of a 3,000-member group, primary groups, renames and moves, several
 * bases, failover, StartTLS, continuation references, and a deleted mapped group.
 */
import path from 'node:path';
import type { Client } from 'ldapts';
import { SAMBA } from './support/env';
import { runCli, SAMBA_ENV, sambaConfig, tempDir, writeConfig } from './support/cli';
import {
  addGroup,
  addOu,
  addUser,
  deleteTree,
  modifyAttribute,
  objectGuidFromSamba,
  sambaAdmin,
  deleteLeftovers,
  setDisabled,
} from './support/samba';
import { ScimProcess, type ScimUserView } from './support/scim';

jest.setTimeout(180_000);

const BULK = 3000;
let ad: Client;
let scim: ScimProcess;
let dir: string;
let root: string;
let people: string;
let moved: string;
let bulk: string;
const dn: Record<string, string> = {};

interface Report {
  outcome: string;
  counts: Record<string, number>;
  directory: {
    server: string;
    vendor: string;
    inScope: number;
    groupSizes: Record<string, number>;
    problems: { scope: string; reason: string }[];
  };
  operations: { kind: string; userName: string; status?: string; changes?: { field: string }[] }[];
  skipped: { dn: string; reason: string }[];
}

function config(
  groups: Record<string, unknown>[],
  extra: { baseDns?: string[]; directory?: Record<string, unknown>; state?: string } = {},
): string {
  return writeConfig(
    dir,
    sambaConfig({
      baseDns: extra.baseDns ?? [people, moved],
      scimUrl: scim.url,
      groups,
      extraDirectory: extra.directory,
      statePath: path.join(dir, extra.state ?? 'state.db'),
    }),
    `c-${Math.random().toString(36).slice(2)}.yaml`,
  );
}

async function run(command: 'plan' | 'sync', file: string, expectCode = 0): Promise<Report> {
  const res = await runCli([command, '--json', '--config', file], SAMBA_ENV);
  if (res.code !== expectCode) throw new Error(`${command} exited ${res.code} (expected ${expectCode}): ${res.stderr}`);
  return JSON.parse(res.stdout) as Report;
}

function byName(users: ScimUserView[]): Map<string, ScimUserView> {
  return new Map(users.map((u) => [u.userName, u]));
}

let mainConfig: string;

beforeAll(async () => {
  ad = await sambaAdmin();
  await deleteLeftovers(ad, 'e2e-');
  root = `OU=e2e-${Date.now().toString(36)},${SAMBA.testsOu}`;
  people = `OU=People,${root}`;
  moved = `OU=Moved,${root}`;
  bulk = `OU=Bulk,${root}`;
  for (const ou of [root, people, moved, bulk]) await addOu(ad, ou);
  const groups = `OU=Groups,${root}`;
  await addOu(ad, groups);

  for (const [sam, extra] of [
    ['ad.alice', {}],
    ['ad.bob', {}],
    ['ad.carol', { disabled: true }],
    ['ad.dave', {}],
    ['ad.erin', {}],
    ['ad.frank', {}],
  ] as const) {
    dn[sam] = await addUser(ad, people, { sam, givenName: sam.slice(3), sn: 'Tester', mail: `${sam}@example.test`, ...extra });
  }
  dn.staff = await addGroup(ad, groups, 'Staff', [dn['ad.alice'] as string, dn['ad.bob'] as string, dn['ad.carol'] as string]);
  // Three deep with a cycle: Nest1 > Nest2 > Nest3 > Nest1.
  dn.nest3 = await addGroup(ad, groups, 'Nest3', [dn['ad.frank'] as string]);
  dn.nest2 = await addGroup(ad, groups, 'Nest2', [dn['ad.erin'] as string, dn.nest3]);
  dn.nest1 = await addGroup(ad, groups, 'Nest1', [dn['ad.dave'] as string, dn.nest2]);
  await modifyAttribute(ad, dn.nest3, 'member', [dn.nest1], 'add');

  // Eight adds in flight on one connection: a few seconds instead of one round trip each.
  const bulkDns = Array.from({ length: BULK }, (_, i) => `bulk.${String(i).padStart(4, '0')}`);
  for (let i = 0; i < BULK; i += 8) {
    await Promise.all(bulkDns.slice(i, i + 8).map((sam) => addUser(ad, bulk, { sam, mail: `${sam}@example.test` })));
  }
  for (let i = 0; i < BULK; i += 1) bulkDns[i] = `CN=${bulkDns[i]},${bulk}`;
  dn.big = await addGroup(ad, groups, 'Big', bulkDns);
  dn.bigWrap = await addGroup(ad, groups, 'BigWrap', [dn.big]);

  dir = tempDir('samba');
  scim = new ScimProcess(path.join(dir, 'scim.json'));
  await scim.start();
  mainConfig = config([
    { dn: dn.staff, role: 'User', userType: 'Creator' },
    { dn: dn.nest1, role: 'Viewer', userType: 'Viewer' },
  ]);
});

afterAll(async () => {
  await scim?.stop();
  if (ad) {
    // Groups first: deleting a member of a 3,000-member group rewrites the group's links each time.
    await deleteTree(ad, `OU=Groups,${root}`).catch(() => undefined);
    await deleteTree(ad, root).catch(() => undefined);
    await ad.unbind();
  }
});

describe('Active Directory on Samba', () => {
  it('detects AD, uses objectGUID and sAMAccountName, follows nesting three deep through a cycle', async () => {
    const report = await run('sync', mainConfig);
    expect(report.directory.vendor).toBe('activedirectory');
    expect(report.directory.problems).toEqual([]);
    const users = byName(await scim.users());
    expect([...users.keys()].sort()).toEqual(['ad.alice', 'ad.bob', 'ad.dave', 'ad.erin', 'ad.frank']);
    expect(users.get('ad.frank')).toMatchObject({ userType: 'Viewer', active: true });
    expect(users.get('ad.alice')?.externalId).toBe(objectGuidFromSamba(dn['ad.alice'] as string));
    expect(report.skipped).toEqual([expect.objectContaining({ dn: dn['ad.carol'], reason: 'DISABLED_NEVER_PROVISIONED' })]);
  });

  it('deactivates a user disabled in AD (userAccountControl 0x2) and reactivates the same account', async () => {
    const id = byName(await scim.users()).get('ad.bob')?.id;
    await setDisabled(ad, dn['ad.bob'] as string, true);
    const off = await run('sync', mainConfig);
    expect(off.operations).toEqual([expect.objectContaining({ kind: 'deactivate', userName: 'ad.bob', status: 'done' })]);
    expect(byName(await scim.users()).get('ad.bob')).toMatchObject({ id, active: false });

    await setDisabled(ad, dn['ad.bob'] as string, false);
    const on = await run('sync', mainConfig);
    expect(on.operations).toEqual([expect.objectContaining({ kind: 'reactivate', userName: 'ad.bob', status: 'done' })]);
    expect(byName(await scim.users()).get('ad.bob')).toMatchObject({ id, active: true });
  });

  it('keeps the same account through a rename and a move to another base; pushes a new email and username as updates', async () => {
    const before = byName(await scim.users()).get('ad.alice');
    const movedDn = `CN=Alice Renamed,${moved}`;
    await ad.modifyDN(dn['ad.alice'] as string, movedDn);
    const afterMove = await run('sync', mainConfig);
    expect(afterMove.operations).toEqual([]);

    await modifyAttribute(ad, movedDn, 'mail', ['alice.new@example.test']);
    await modifyAttribute(ad, movedDn, 'sAMAccountName', ['ad.alice2']);
    const update = await run('sync', mainConfig);
    expect(update.operations).toEqual([expect.objectContaining({ kind: 'update', userName: 'ad.alice2', status: 'done' })]);
    expect(update.operations[0]?.changes?.map((c) => c.field).sort()).toEqual(['email', 'userName']);
    const users = await scim.users();
    expect(users.filter((u) => u.externalId === before?.externalId)).toEqual([
      expect.objectContaining({
        id: before?.id,
        userName: 'ad.alice2',
        emails: [expect.objectContaining({ value: 'alice.new@example.test' })],
      }),
    ]);
    expect(users).toHaveLength(5);
  });

  it('reads a 3,000-member group completely: range retrieval on the direct path, in-chain on the nested path, paging past 1,000', async () => {
    const direct = await run(
      'plan',
      config([{ dn: dn.big, role: 'User', userType: 'Viewer', nested: false }], {
        baseDns: [bulk],
        directory: { pageSize: 1000 },
        state: 'big.db',
      }),
    );
    expect(direct.directory.problems).toEqual([]);
    expect(direct.directory.groupSizes[dn.big as string]).toBe(BULK);
    expect(direct.counts.create).toBe(BULK);

    const nested = await run(
      'plan',
      config([{ dn: dn.bigWrap, role: 'User', userType: 'Viewer' }], {
        baseDns: [bulk],
        directory: { pageSize: 1000 },
        state: 'big.db',
      }),
    );
    expect(nested.directory.groupSizes[dn.bigWrap as string]).toBe(BULK);
    expect(new Set(nested.operations.map((o) => o.userName)).size).toBe(BULK);
  });

  it('includes members through their primary group (primaryGroupID), which member/memberOf do not list', async () => {
    const domainUsers = `CN=Domain Users,CN=Users,${SAMBA.baseDn}`;
    const report = await run(
      'plan',
      config([{ dn: domainUsers, role: 'User', userType: 'Viewer', nested: false }], { state: 'primary.db' }),
    );
    expect(report.directory.problems).toEqual([]);
    // Every test user's primary group is Domain Users; ad.carol is disabled, so 5 creates.
    expect(report.directory.groupSizes[domainUsers]).toBe(6);
    expect(report.counts.create).toBe(5);
  });

  it('tolerates continuation references from a search of the whole domain, and works over StartTLS', async () => {
    const filter = '(&(objectCategory=person)(objectClass=user)(sAMAccountName=ad.*))';
    const report = await run(
      'plan',
      config([{ dn: dn.staff, role: 'User', userType: 'Creator' }], {
        baseDns: [SAMBA.baseDn],
        directory: {
          url: SAMBA.ldapUrl,
          tls: { caFile: SAMBA.caFile, startTls: true },
          users: { baseDns: [SAMBA.baseDn], filter },
        },
        state: 'root.db',
      }),
    );
    expect(report.outcome).toBe('success');
    expect(report.directory.problems).toEqual([]);
    expect(report.operations.map((o) => o.userName).sort()).toEqual(['ad.alice2', 'ad.bob']);
  });

  it('fails over to the next domain controller, and reports when none answers', async () => {
    const ok = await run(
      'plan',
      config([{ dn: dn.staff, role: 'User', userType: 'Creator' }], {
        directory: { url: ['ldaps://127.0.0.1:1', SAMBA.ldapsUrl] },
      }),
    );
    expect(ok.directory.server).toBe(SAMBA.ldapsUrl);
    const res = await runCli(
      [
        'plan',
        '--config',
        config([{ dn: dn.staff, role: 'User', userType: 'Creator' }], { directory: { url: 'ldaps://127.0.0.1:1' } }),
      ],
      SAMBA_ENV,
    );
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/no directory server answered: ldaps:\/\/127\.0\.0\.1:1/);
  });

  it('a deleted mapped group deactivates nobody', async () => {
    const before = await scim.stats();
    await ad.del(dn.staff as string);
    const report = await run('sync', mainConfig, 3);
    expect(report.directory.problems).toEqual([{ scope: `group ${dn.staff}`, reason: 'the group does not exist' }]);
    expect(report.operations.filter((o) => o.kind === 'deactivate')).toEqual([]);
    const after = await scim.stats();
    expect(after.mutating).toBe(before.mutating);
    expect((await scim.users()).every((u) => u.active)).toBe(true);
  });
});
