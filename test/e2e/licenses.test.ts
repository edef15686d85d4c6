/**
 * Licenses end to end (OpenLDAP -> the SCIM target, licenses as entitlements): group mapping
 * with a priority order, the compatibility table, scarce seats (shortfall shown by plan, given
 * in seat order, freed seats refilled), revocation on leaving a group, `dirsync explain`, drift
 * repair, the guard on revocations, and staged deprovisioning with the time injected.
 */
import path from 'node:path';
import { Attribute, type Client } from 'ldapts';
import { openldapConfig, runCli, SECRETS_ENV, tempDir, writeConfig, type CliResult } from './support/cli';
import { loadOpenldapFixture, openldapAdmin, removeMember, type Fixture } from './support/ldap';
import { ScimProcess, type ScimUserView } from './support/scim';

jest.setTimeout(120_000);

interface Report {
  outcome: string;
  counts: Record<string, number>;
  operations: {
    kind: string;
    userName: string;
    status?: string;
    grant?: { licenses: string[] };
    revoke?: { licenses: string[] };
    licenses?: string[];
  }[];
  licenses: {
    shortfalls: { license: string; short: number; waiting: string[] }[];
    incompatible: { userName: string; license: string; userType: string }[];
    extra: { userName: string; license: string; removed: boolean }[];
    restored: { userName: string; license: string }[];
  };
  guard: { change: string; exceeded: boolean }[];
}

const DAY = 86_400_000;
const entitlements = (u: ScimUserView | undefined): string[] => (u?.entitlements ?? []).map((e) => e.value).sort();

describe('licenses on OpenLDAP, as entitlements', () => {
  let ldap: Client;
  let fx: Fixture;
  let scim: ScimProcess;
  let dir: string;
  let file: string;
  let config: Record<string, unknown>;
  const start = Date.now();
  const at = (days: number): Record<string, string> => ({
    ...SECRETS_ENV,
    DIRSYNC_NOW: new Date(start + days * DAY).toISOString(),
  });

  async function cli(args: string[], env: Record<string, string> = SECRETS_ENV): Promise<CliResult> {
    return runCli([...args, '--config', file], env);
  }
  async function sync(env: Record<string, string> = SECRETS_ENV, extra: string[] = []): Promise<Report> {
    const res = await cli(['sync', '--json', ...extra], env);
    if (res.code !== 0 && res.code !== 5) throw new Error(`sync exited ${res.code}: ${res.stderr}`);
    return JSON.parse(res.stdout) as Report;
  }
  function writeLicensing(licensing: Record<string, unknown>, guard?: Record<string, unknown>): void {
    config = { ...config, licensing, ...(guard ? { guard } : {}) };
    file = writeConfig(dir, config);
  }
  const LICENSING = {
    licenses: [{ name: 'field-apps', seats: 3 }, { name: 'crm' }, { name: 'analytics' }],
    userTypes: {
      Creator: { roles: ['Publisher', 'User'], licenses: ['field-apps', 'crm', 'analytics'] },
      Viewer: { roles: ['User'], licenses: ['crm'] },
    },
    deprovision: { revokeLicensesAfterDays: 30, deleteAfterDays: 90 },
  };

  beforeAll(async () => {
    ldap = await openldapAdmin();
    fx = await loadOpenldapFixture(ldap, 'licenses');
    // A third mapped group: analysts (a Creator and a Viewer).
    await ldap.add(fx.group('analysts'), [
      new Attribute({ type: 'objectClass', values: ['groupOfNames'] }),
      new Attribute({ type: 'cn', values: ['analysts'] }),
      new Attribute({ type: 'member', values: [fx.user('carol.white'), fx.user('erin.green')] }),
    ]);
    dir = tempDir('licenses');
    scim = new ScimProcess(path.join(dir, 'scim.db'));
    await scim.start();
    config = openldapConfig({
      base: fx.base,
      scimUrl: scim.url,
      statePath: path.join(dir, 'state.db'),
      groups: [
        {
          dn: fx.group('engineering'),
          role: 'Publisher',
          userType: 'Creator',
          licenses: ['field-apps'],
          targetGroups: ['Engineering'],
          priority: 2,
        },
        // Listed second but decides: erin.green and frank.black are in both, and become Viewers.
        { dn: fx.group('sales'), role: 'User', userType: 'Viewer', licenses: ['crm'], targetGroups: ['Sales'], priority: 1 },
        { dn: fx.group('analysts'), role: 'User', userType: 'Creator', licenses: ['analytics'], priority: 3 },
      ],
    });
    writeLicensing(LICENSING);
  });

  afterAll(async () => {
    await scim?.stop();
    await ldap?.unbind();
  });

  let creators: string[] = [];
  let waitingList: string[] = [];

  it('plan shows the seat shortfall before anything is pushed', async () => {
    const res = await cli(['plan']);
    expect(res.code).toBe(0);
    const short = /license field-apps: (\d+) seat\(s\) short \((\d+) users, 3 seat\(s\) free for them\); waiting: (.*)/.exec(
      res.stdout,
    );
    expect(short).not.toBeNull();
    const json = JSON.parse((await cli(['plan', '--json'])).stdout) as Report;
    const creates = json.operations.filter((o) => o.kind === 'create');
    creators = creates.filter((o) => (o.licenses ?? []).includes('field-apps')).map((o) => o.userName);
    const wanted = Number(short?.[2]);
    expect(Number(short?.[1])).toBe(wanted - 3);
    expect(json.licenses.shortfalls).toEqual([expect.objectContaining({ license: 'field-apps', short: wanted - 3 })]);
    expect((await scim.stats()).mutating).toBe(0);
  });

  it('sync grants licenses by group, by priority, within seats and compatibility', async () => {
    const report = await sync();
    expect(report.outcome).toBe('success');
    const users = await scim.users();
    const byName = new Map(users.map((u) => [u.userName, u]));
    // Priority: sales (1) beats engineering (2) for the users in both.
    for (const name of ['erin.green', 'frank.black']) {
      expect(byName.get(name)?.userType).toBe('Viewer');
      expect(byName.get(name)?.roles).toEqual([expect.objectContaining({ value: 'User' })]);
      expect(entitlements(byName.get(name))).toEqual(['crm']);
    }
    // Compatibility: a Viewer gets neither field-apps nor analytics, and the report names them.
    expect(report.licenses.incompatible).toEqual(
      expect.arrayContaining([
        { dn: expect.any(String), userName: 'erin.green', license: 'field-apps', userType: 'Viewer' },
        { dn: expect.any(String), userName: 'erin.green', license: 'analytics', userType: 'Viewer' },
        { dn: expect.any(String), userName: 'frank.black', license: 'field-apps', userType: 'Viewer' },
      ]),
    );
    expect(entitlements(byName.get('carol.white'))).toContain('analytics');
    // Seats: the three first by userName among equal priorities, nobody else.
    const holders = users
      .filter((u) => entitlements(u).includes('field-apps'))
      .map((u) => u.userName)
      .sort();
    expect(holders).toHaveLength(3);
    expect(creators).toEqual(holders);
    const candidates = users
      .filter((u) => u.userType === 'Creator' && u.roles?.[0]?.value === 'Publisher')
      .map((u) => u.userName)
      .sort();
    expect(holders).toEqual(candidates.slice(0, 3));
    expect(report.licenses.shortfalls[0]?.waiting).toEqual(candidates.slice(3));
    waitingList = candidates.slice(3);
    // Target groups.
    const sales = await scim.group('Sales');
    expect(sales?.members).toHaveLength(4);
    const again = await sync();
    expect(again.operations).toEqual([]);
  });

  it('explain says which group gave what, and why a license was not given', async () => {
    const res = await cli(['explain', 'erin.green']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/\* \[1\] cn=sales/);
    expect(res.stdout).toMatch(/Role User, user type Viewer/);
    expect(res.stdout).toMatch(/field-apps: NOT granted: user type "Viewer" does not allow it/);
    expect(res.stdout).toMatch(/crm: granted \(from cn=sales/);
    const waiting = await cli(['explain', '--json', waitingList[0] ?? 'none']);
    const json = JSON.parse(waiting.stdout) as { licenses: { license: string; outcome: string; reason: string }[] };
    expect(json.licenses).toContainEqual(
      expect.objectContaining({
        license: 'field-apps',
        outcome: 'denied',
        reason: expect.stringMatching(/no free seat.*place 1 of/),
      }),
    );
    expect((await cli(['explain', 'nobody.here'])).code).toBe(12);
  });

  it('leaving the granting group revokes the license, and only that one', async () => {
    await removeMember(ldap, fx.group('analysts'), fx.user('carol.white'));
    const report = await sync();
    expect(report.operations).toEqual([
      expect.objectContaining({
        kind: 'update',
        userName: 'carol.white',
        status: 'done',
        revoke: { licenses: ['analytics'], targetGroups: [] },
      }),
    ]);
    expect(entitlements(await scim.user('carol.white'))).not.toContain('analytics');
  });

  it('drift: a license removed by hand comes back; one added by hand is reported, and removed only when exclusive', async () => {
    const grace = await scim.user('grace.hall');
    const heidi = await scim.user('heidi.king');
    expect(await scim.patch(`/Users/${grace?.id}`, [{ op: 'remove', path: 'entitlements[value eq "crm"]' }])).toBeLessThan(300);
    expect(
      await scim.patch(`/Users/${heidi?.id}`, [{ op: 'add', path: 'entitlements', value: [{ value: 'analytics' }] }]),
    ).toBeLessThan(300);
    const report = await sync();
    expect(report.licenses.restored).toEqual([{ userName: 'grace.hall', license: 'crm' }]);
    expect(report.licenses.extra).toEqual([{ userName: 'heidi.king', license: 'analytics', removed: false }]);
    expect(report.operations).toEqual([expect.objectContaining({ kind: 'update', userName: 'grace.hall', status: 'done' })]);
    expect(entitlements(await scim.user('grace.hall'))).toEqual(['crm']);
    expect(entitlements(await scim.user('heidi.king'))).toEqual(['analytics', 'crm']);

    writeLicensing({ ...LICENSING, exclusive: true });
    const exclusive = await sync();
    expect(exclusive.licenses.extra).toEqual([{ userName: 'heidi.king', license: 'analytics', removed: true }]);
    expect(exclusive.operations).toEqual([
      expect.objectContaining({ kind: 'update', userName: 'heidi.king', revoke: { licenses: ['analytics'], targetGroups: [] } }),
    ]);
    expect(entitlements(await scim.user('heidi.king'))).toEqual(['crm']);
    writeLicensing(LICENSING);
  });

  it('the mass-change guard holds license revocations until approved', async () => {
    const groups = (config['directory'] as { groups: Record<string, unknown>[] }).groups;
    const withoutCrm = groups.map((g) => ((g['licenses'] as string[]).includes('crm') ? { ...g, licenses: [] } : g));
    config = { ...config, directory: { ...(config['directory'] as object), groups: withoutCrm } };
    writeLicensing(LICENSING, { licenseRevocations: { maxCount: 2, maxPercent: 50 } });
    const stopped = await cli(['sync', '--json']);
    expect(stopped.code).toBe(7);
    const report = JSON.parse(stopped.stdout) as Report;
    expect(report.guard).toContainEqual(expect.objectContaining({ change: 'revoke-licenses', exceeded: true }));
    expect(entitlements(await scim.user('frank.black'))).toEqual(['crm']);
    const approved = await sync(SECRETS_ENV, ['--approve']);
    expect(approved.counts['licensesRevoked']).toBe(4);
    expect(entitlements(await scim.user('frank.black'))).toEqual([]);
    // Mapped again: granted again.
    config = { ...config, directory: { ...(config['directory'] as object), groups } };
    writeLicensing(LICENSING);
    const back = await sync();
    expect(back.counts['licensesGranted']).toBe(4);
  });

  it('staged deprovisioning: deactivate now, release licenses after the grace period, delete later; freed seats are refilled', async () => {
    const holders = (await scim.users())
      .filter((u) => entitlements(u).includes('field-apps'))
      .map((u) => u.userName)
      .sort();
    const leaver = holders[0] as string;
    const next = waitingList[0] as string;
    await removeMember(ldap, fx.group('engineering'), fx.user(leaver));
    const off = await sync();
    expect(off.operations).toEqual([expect.objectContaining({ kind: 'deactivate', userName: leaver, status: 'done' })]);
    // Still holds the seat during the grace period: the next in line waits.
    expect(entitlements(await scim.user(leaver))).toEqual(['field-apps']);
    expect(off.licenses.shortfalls[0]?.waiting[0]).toBe(next);

    const early = await sync(at(29));
    expect(early.operations).toEqual([]);
    const plan = await cli(['plan'], at(31));
    expect(plan.stdout).toMatch(
      new RegExp(`revoke\\s+${leaver.replace('.', '\\.')}\\s+inactive past the grace period: -licenses field-apps`),
    );
    const release = await sync(at(31));
    expect(release.operations.map((o) => [o.kind, o.userName, o.status])).toEqual([
      ['revoke', leaver, 'done'],
      ['update', next, 'done'],
    ]);
    expect(entitlements(await scim.user(leaver))).toEqual([]);
    expect(entitlements(await scim.user(next))).toEqual(['field-apps']);
    expect((await scim.user(leaver))?.active).toBe(false);

    expect((await sync(at(60))).operations).toEqual([]);
    const removal = await sync(at(91));
    expect(removal.operations).toEqual([expect.objectContaining({ kind: 'delete', userName: leaver, status: 'done' })]);
    expect(await scim.user(leaver)).toBeUndefined();
    expect((await sync(at(92))).operations).toEqual([]);
  });
});
