/**
 * Each SCIM representation of licenses round-trips against the SCIM target: granted on create,
 * read back by the drift check without spurious changes, restored after a removal by hand,
 * and revoked when no group grants them any more. With licenses as SCIM Groups, the seat count
 * is read from the license group, and a holder outside dirsync's management takes a seat.
 */
import path from 'node:path';
import type { Client } from 'ldapts';
import { openldapConfig, runCli, SECRETS_ENV, tempDir, writeConfig } from './support/cli';
import { loadOpenldapFixture, openldapAdmin, type Fixture } from './support/ldap';
import { ScimProcess, type ScimUserView } from './support/scim';

jest.setTimeout(120_000);

const USER_EXTENSION = 'urn:dirsync:params:scim:schemas:extension:licensing:2.0:User';
const GROUP_EXTENSION = 'urn:dirsync:params:scim:schemas:extension:licensing:2.0:Group';
const SALES = ['erin.green', 'frank.black', 'grace.hall', 'heidi.king'];

type Kind = 'entitlements' | 'roles' | 'extension' | 'groups';

interface Report {
  outcome: string;
  counts: Record<string, number>;
  operations: { kind: string; userName: string; status?: string }[];
  licenses: { restored: { userName: string; license: string }[]; shortfalls: { license: string; short: number }[] };
}

const values = (list: unknown): string[] =>
  Array.isArray(list) ? (list as { value: string; primary?: boolean }[]).filter((v) => !v.primary).map((v) => v.value) : [];

/** The licenses a user holds on the target, read the way the representation stores them. */
async function licensesOf(scim: ScimProcess, kind: Kind, user: ScimUserView): Promise<string[]> {
  switch (kind) {
    case 'entitlements':
      return values(user.entitlements).sort();
    case 'roles':
      return values(user.roles).sort();
    case 'extension':
      return values((user[USER_EXTENSION] as { licenses?: unknown } | undefined)?.licenses).sort();
    case 'groups': {
      const held: string[] = [];
      for (const [license, group] of [
        ['crm', 'crm'],
        ['analytics', 'Analytics Seats'],
      ] as const) {
        if ((await scim.group(group))?.members.includes(user.id)) held.push(license);
      }
      return held.sort();
    }
  }
}

/** What an admin console does to take one license away by hand. */
async function removeByHand(scim: ScimProcess, kind: Kind, user: ScimUserView, license: string): Promise<void> {
  const paths: Record<Exclude<Kind, 'groups'>, string> = {
    entitlements: 'entitlements',
    roles: 'roles',
    extension: `${USER_EXTENSION}:licenses`,
  };
  if (kind === 'groups') {
    const group = await scim.group(license);
    expect(await scim.patch(`/Groups/${group?.id}`, [{ op: 'remove', path: `members[value eq "${user.id}"]` }])).toBeLessThan(
      300,
    );
    return;
  }
  expect(await scim.patch(`/Users/${user.id}`, [{ op: 'remove', path: `${paths[kind]}[value eq "${license}"]` }])).toBeLessThan(
    300,
  );
}

describe.each<Kind>(['entitlements', 'roles', 'extension', 'groups'])('licenses as %s', (kind) => {
  let ldap: Client;
  let fx: Fixture;
  let scim: ScimProcess;
  let dir: string;
  let file: string;
  const representation = kind === 'extension' ? { kind, schema: USER_EXTENSION, attribute: 'licenses' } : { kind };
  const analytics = kind === 'groups' ? { name: 'analytics', group: 'Analytics Seats', seats: 'target' } : { name: 'analytics' };

  function configure(licenses: string[], role = 'User'): void {
    file = writeConfig(dir, {
      ...openldapConfig({
        base: fx.base,
        scimUrl: scim.url,
        statePath: path.join(dir, 'state.db'),
        groups: [{ dn: fx.group('sales'), role, userType: 'Viewer', licenses }],
      }),
      licensing: { licenses: [{ name: 'crm' }, analytics], representation },
      // Four users are the whole organisation here: the percentage limit would stop one revocation.
      guard: { licenseRevocations: { maxCount: 10, maxPercent: 100 } },
    });
  }
  async function sync(): Promise<Report> {
    const res = await runCli(['sync', '--json', '--config', file], SECRETS_ENV);
    if (res.code !== 0) throw new Error(`sync exited ${res.code}: ${res.stdout}${res.stderr}`);
    return JSON.parse(res.stdout) as Report;
  }
  async function held(): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const u of await scim.users()) if (SALES.includes(u.userName)) out[u.userName] = await licensesOf(scim, kind, u);
    return out;
  }

  beforeAll(async () => {
    ldap = await openldapAdmin();
    fx = await loadOpenldapFixture(ldap, `rep-${kind}`);
    dir = tempDir(`rep-${kind}`);
    scim = new ScimProcess(path.join(dir, 'scim.db'));
    await scim.start();
    if (kind === 'groups') {
      // Licenses as groups: the groups exist on the target; analytics has 2 seats, one taken by
      // an account dirsync does not manage.
      const outsider = await scim.post('/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'outside.user',
      });
      const outsiderId = (outsider.body as { id: string }).id;
      await scim.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'crm' });
      const seats = await scim.post('/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group', GROUP_EXTENSION],
        displayName: 'Analytics Seats',
        members: [{ value: outsiderId }],
        [GROUP_EXTENSION]: { seats: 2 },
      });
      expect(seats.status).toBe(201);
    }
    configure(['crm', 'analytics']);
  });

  afterAll(async () => {
    await scim?.stop();
    await ldap?.unbind();
  });

  it('grants on create, in this representation', async () => {
    const report = await sync();
    expect(report.counts['create']).toBe(4);
    const now = await held();
    if (kind === 'groups') {
      // One seat left for managed users: the first by userName gets it, three wait.
      expect(report.licenses.shortfalls).toEqual([expect.objectContaining({ license: 'analytics', short: 3 })]);
      expect(now).toEqual({
        'erin.green': ['analytics', 'crm'],
        'frank.black': ['crm'],
        'grace.hall': ['crm'],
        'heidi.king': ['crm'],
      });
    } else {
      for (const name of SALES) expect(now[name]).toEqual(['analytics', 'crm']);
    }
    if (kind === 'roles') {
      const erin = (await scim.users()).find((u) => u.userName === 'erin.green');
      expect(erin?.roles).toContainEqual(expect.objectContaining({ value: 'User', primary: true }));
    }
  });

  it('reads the licenses back on the next full sync and changes nothing', async () => {
    const before = (await scim.stats()).mutating;
    const report = await sync();
    expect(report.operations).toEqual([]);
    expect((await scim.stats()).mutating).toBe(before);
  });

  it('restores a license removed by hand', async () => {
    const grace = (await scim.users()).find((u) => u.userName === 'grace.hall') as ScimUserView;
    await removeByHand(scim, kind, grace, 'crm');
    expect((await held())['grace.hall']).not.toContain('crm');
    const report = await sync();
    expect(report.licenses.restored).toEqual([{ userName: 'grace.hall', license: 'crm' }]);
    expect((await held())['grace.hall']).toContain('crm');
  });

  it('revokes a license no group grants any more', async () => {
    configure(['crm']);
    const report = await sync();
    expect(report.counts['licensesRevoked']).toBe(kind === 'groups' ? 1 : 4);
    for (const name of SALES) expect((await held())[name]).toEqual(['crm']);
    if (kind === 'roles') {
      const erin = (await scim.users()).find((u) => u.userName === 'erin.green');
      expect(erin?.roles).toEqual([expect.objectContaining({ value: 'User', primary: true }), { value: 'crm' }]);
    }
    expect((await sync()).operations).toEqual([]);
  });

  it('changes the role without touching the license values', async () => {
    configure(['crm'], 'Publisher');
    const report = await sync();
    expect(report.counts['update']).toBe(4);
    const erin = (await scim.users()).find((u) => u.userName === 'erin.green') as ScimUserView;
    expect(await licensesOf(scim, kind, erin)).toEqual(['crm']);
    const primary = (erin.roles ?? []).filter((r) => r.primary === true).map((r) => r.value);
    expect(primary).toEqual(['Publisher']);
    expect((await sync()).operations).toEqual([]);
  });
});
