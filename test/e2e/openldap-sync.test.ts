/**
 * The walking skeleton end to end: real slapd (seeded fixture under its own OU), the real SCIM
 * target in its own process, the built CLI. Each step asserts what landed on the target.
 */
import path from 'node:path';
import type { Client } from 'ldapts';
import { openldapConfig, runCli, tempDir, writeConfig } from './support/cli';
import { addMember, loadOpenldapFixture, openldapAdmin, removeMember, replaceAttribute, type Fixture } from './support/ldap';
import { ScimProcess, type ScimUserView } from './support/scim';

jest.setTimeout(120_000);

let ldap: Client;
let fx: Fixture;
let scim: ScimProcess;
let configFile: string;

interface SyncJson {
  outcome: string;
  counts: Record<string, number>;
  operations: { kind: string; userName: string; status?: string; targetId?: string }[];
  skipped: { dn: string; reason: string; message: string }[];
}

async function sync(): Promise<SyncJson> {
  const res = await runCli(['sync', '--config', configFile, '--json']);
  if (res.code !== 0) throw new Error(`sync exited ${res.code}: ${res.stderr}`);
  return JSON.parse(res.stdout) as SyncJson;
}

function byUserName(users: ScimUserView[]): Map<string, ScimUserView> {
  return new Map(users.map((u) => [u.userName, u]));
}

beforeAll(async () => {
  ldap = await openldapAdmin();
  fx = await loadOpenldapFixture(ldap, 'skeleton');
  const dir = tempDir('skeleton');
  scim = new ScimProcess(path.join(dir, 'scim.json'));
  await scim.start();
  configFile = writeConfig(
    dir,
    openldapConfig({
      base: fx.base,
      scimUrl: scim.url,
      groups: [
        { dn: fx.group('engineering'), role: 'Publisher', userType: 'Creator' },
        { dn: fx.group('sales'), role: 'User', userType: 'Viewer' },
        { dn: fx.group('contractors'), role: 'Viewer', userType: 'Viewer', nested: true },
        { dn: fx.group('cycle-a'), role: 'User', userType: 'Editor', nested: true },
      ],
    }),
  );
});

afterAll(async () => {
  await scim?.stop();
  await ldap?.unbind();
});

const ENGINEERING = [
  'alice.smith',
  'anna_maria',
  'bob.jones',
  'carol.white',
  'dave.brown',
  'erin.green',
  'frank.black',
  'jose.garcia',
  'liam.obrien',
  'team_1',
  'tom_jerry',
  'zo_.bront_',
];

describe('sync from OpenLDAP to the SCIM target', () => {
  it('first sync creates exactly the in-scope users with the right attributes', async () => {
    const report = await sync();
    expect(report.outcome).toBe('success');
    const users = await scim.users();
    const expected = [...ENGINEERING, 'grace.hall', 'heidi.king', 'emea.one', 'emea.two', 'cycle.alpha', 'cycle.beta'].sort();
    expect(users.map((u) => u.userName).sort()).toEqual(expected);
    expect(report.counts.create).toBe(expected.length);

    const u = byUserName(users);
    // Config order decides: erin is in engineering and sales, engineering is listed first.
    expect(u.get('erin.green')).toMatchObject({ userType: 'Creator', roles: [expect.objectContaining({ value: 'Publisher' })] });
    expect(u.get('grace.hall')).toMatchObject({ userType: 'Viewer', roles: [expect.objectContaining({ value: 'User' })] });
    // Nested (contractors -> contractors-emea) and a membership cycle both resolve.
    expect(u.get('emea.one')).toMatchObject({ userType: 'Viewer' });
    expect(u.get('cycle.beta')).toMatchObject({ userType: 'Editor' });
    expect(u.get('jose.garcia')).toMatchObject({
      active: true,
      displayName: 'José García',
      name: { givenName: 'José', familyName: 'García' },
      emails: [expect.objectContaining({ value: 'jose.garcia@example.org', primary: true })],
    });
    expect(u.get('zo_.bront_')?.emails?.[0]?.value).toBe('zoe.bronte@example.org');
    // externalId is the directory's entryUUID.
    for (const user of users) expect(user.externalId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(u.has('outsider1')).toBe(false);
  });

  it('reports every skipped user with a reason naming the DN', async () => {
    const res = await runCli(['plan', '--config', configFile, '--json']);
    expect(res.code).toBe(0);
    const plan = JSON.parse(res.stdout) as SyncJson;
    const reasons = Object.fromEntries(plan.skipped.map((s) => [s.dn, s.reason]));
    expect(reasons).toEqual({
      [fx.user('bo')]: 'USERNAME_TOO_SHORT',
      [fx.user(`very.long.username.${'x'.repeat(117)}.end`)]: 'USERNAME_TOO_LONG',
      [fx.user('nomail.user')]: 'EMAIL_MISSING',
      [fx.user('marc.darcy')]: 'EMAIL_APOSTROPHE',
      [fx.user('jean\\2Bpaul')]: 'USERNAME_DUPLICATE',
      [fx.user('jean#paul')]: 'USERNAME_DUPLICATE',
    });
    expect(plan.operations).toEqual([]);
  });

  it('a second sync with nothing changed sends no changing request', async () => {
    const before = await scim.stats();
    const report = await sync();
    const after = await scim.stats();
    expect(report.operations).toEqual([]);
    expect(after.mutating - before.mutating).toBe(0);
  });

  it('removing a user from their group deactivates them; re-adding reactivates the same account', async () => {
    const alice = byUserName(await scim.users()).get('alice.smith');
    expect(alice?.active).toBe(true);

    await removeMember(ldap, fx.group('engineering'), fx.user('alice.smith'));
    const off = await sync();
    expect(off.operations).toEqual([expect.objectContaining({ kind: 'deactivate', userName: 'alice.smith', status: 'done' })]);
    const afterOff = byUserName(await scim.users()).get('alice.smith');
    expect(afterOff).toMatchObject({ id: alice?.id, active: false });

    await addMember(ldap, fx.group('engineering'), fx.user('alice.smith'));
    const on = await sync();
    expect(on.operations).toEqual([expect.objectContaining({ kind: 'reactivate', userName: 'alice.smith', status: 'done' })]);
    const users = await scim.users();
    expect(users.filter((u) => u.userName === 'alice.smith')).toEqual([expect.objectContaining({ id: alice?.id, active: true })]);
  });

  it('a changed attribute is pushed as an update of the same account', async () => {
    const before = byUserName(await scim.users()).get('bob.jones');
    await replaceAttribute(ldap, fx.user('bob.jones'), 'mail', ['robert.jones@example.org']);
    const report = await sync();
    expect(report.operations).toEqual([expect.objectContaining({ kind: 'update', userName: 'bob.jones', status: 'done' })]);
    const after = byUserName(await scim.users()).get('bob.jones');
    expect(after?.id).toBe(before?.id);
    expect(after?.emails?.[0]?.value).toBe('robert.jones@example.org');
  });

  it('the target restarted between runs changes nothing', async () => {
    await scim.stop();
    await scim.start();
    const before = await scim.stats();
    const report = await sync();
    const after = await scim.stats();
    expect(report.operations).toEqual([]);
    expect(after.mutating - before.mutating).toBe(0);
    expect((await scim.users()).length).toBe(18);
  });

  it('status lists the runs just made', async () => {
    const res = await runCli(['status', '--config', configFile, '--json']);
    expect(res.code).toBe(0);
    const status = JSON.parse(res.stdout) as {
      managed: { total: number; active: number };
      runs: { mode: string; outcome: string }[];
    };
    expect(status.managed).toEqual({ total: 18, active: 18 });
    expect(status.runs.length).toBeGreaterThanOrEqual(6);
    expect(status.runs.every((r) => r.outcome === 'success')).toBe(true);
  });
});
