/**
 * The plain-LDAP half of the directory behaviour, on the real slapd: vendor detection, nesting
 * off by default (the product's documented behaviour) and on when configured, a lock
 * attribute as the disabled flag, a nesting depth limit that holds deactivations.
 */
import path from 'node:path';
import type { Client } from 'ldapts';
import { openldapConfig, runCli, tempDir, writeConfig } from './support/cli';
import { loadOpenldapFixture, openldapAdmin, replaceAttribute, type Fixture } from './support/ldap';
import { ScimProcess } from './support/scim';

jest.setTimeout(120_000);

let ldap: Client;
let fx: Fixture;
let scim: ScimProcess;
let dir: string;

interface Report {
  directory: { vendor: string; groupSizes: Record<string, number>; problems: { scope: string; reason: string }[] };
  operations: { kind: string; userName: string; status?: string }[];
}

function config(groups: Record<string, unknown>[], directory: Record<string, unknown> = {}, state = 'state.db'): string {
  return writeConfig(
    dir,
    openldapConfig({ base: fx.base, scimUrl: scim.url, groups, extraDirectory: directory, statePath: path.join(dir, state) }),
    `c-${Math.random().toString(36).slice(2)}.yaml`,
  );
}

async function run(command: 'plan' | 'sync', file: string, expectCode = 0): Promise<Report> {
  const res = await runCli([command, '--json', '--config', file]);
  if (res.code !== expectCode) throw new Error(`${command} exited ${res.code}: ${res.stderr}`);
  return JSON.parse(res.stdout) as Report;
}

beforeAll(async () => {
  ldap = await openldapAdmin();
  fx = await loadOpenldapFixture(ldap, 'vendor');
  dir = tempDir('vendor');
  scim = new ScimProcess(path.join(dir, 'scim.json'));
  await scim.start();
});

afterAll(async () => {
  await scim?.stop();
  await ldap?.unbind();
});

describe('plain LDAP (OpenLDAP)', () => {
  it('is detected as OpenLDAP and leaves nested groups out by default', async () => {
    const report = await run('plan', config([{ dn: fx.group('contractors'), role: 'Viewer', userType: 'Viewer' }]));
    expect(report.directory.vendor).toBe('openldap');
    expect(report.directory.groupSizes[fx.group('contractors')]).toBe(0);
    expect(report.operations).toEqual([]);
  });

  it('follows nesting when configured per directory, and through a cycle', async () => {
    const report = await run(
      'plan',
      config(
        [
          { dn: fx.group('contractors'), role: 'Viewer', userType: 'Viewer' },
          { dn: fx.group('cycle-a'), role: 'User', userType: 'Editor' },
        ],
        { nestedGroups: true },
      ),
    );
    expect(report.operations.map((o) => o.userName).sort()).toEqual(['cycle.alpha', 'cycle.beta', 'emea.one', 'emea.two']);
  });

  it('declares a group nested deeper than maxNestingDepth incomplete instead of cutting it', async () => {
    // deep-1 > contractors > contractors-emea: two levels of nesting below the mapped group.
    await ldap.add(fx.group('deep-1'), { objectClass: ['top', 'groupOfNames'], cn: 'deep-1', member: [fx.group('contractors')] });
    const shallow = await run(
      'plan',
      config([{ dn: fx.group('deep-1'), role: 'Viewer', userType: 'Viewer', nested: true }], { maxNestingDepth: 1 }),
      3,
    );
    expect(shallow.directory.problems).toEqual([
      {
        scope: `group ${fx.group('deep-1')}`,
        reason: expect.stringMatching(/nesting deeper than directory\.maxNestingDepth \(1\)/),
      },
    ]);
    expect(shallow.operations).toEqual([]);
    const deep = await run(
      'plan',
      config([{ dn: fx.group('deep-1'), role: 'Viewer', userType: 'Viewer', nested: true }], { maxNestingDepth: 2 }),
    );
    expect(deep.directory.groupSizes[fx.group('deep-1')]).toBe(2);
  });

  it('deactivates an account locked with the configured lock attribute, and reactivates it when unlocked', async () => {
    const file = config(
      [{ dn: fx.group('sales'), role: 'User', userType: 'Viewer' }],
      { lockAttribute: 'pwdAccountLockedTime' },
      'lock.db',
    );
    const first = await run('sync', file);
    expect(first.operations.map((o) => o.userName).sort()).toEqual(['erin.green', 'frank.black', 'grace.hall', 'heidi.king']);

    await replaceAttribute(ldap, fx.user('grace.hall'), 'pwdAccountLockedTime', ['000001010000Z']);
    const locked = await run('sync', file);
    expect(locked.operations).toEqual([expect.objectContaining({ kind: 'deactivate', userName: 'grace.hall', status: 'done' })]);

    await replaceAttribute(ldap, fx.user('grace.hall'), 'pwdAccountLockedTime', []);
    const unlocked = await run('sync', file);
    expect(unlocked.operations).toEqual([
      expect.objectContaining({ kind: 'reactivate', userName: 'grace.hall', status: 'done' }),
    ]);
  });

  it('a base DN that cannot be read holds deactivations, and the report names it', async () => {
    const groups = [{ dn: fx.group('sales'), role: 'User', userType: 'Viewer' }];
    const file = config(groups, {}, 'bases.db');
    const first = await run('sync', file);
    expect(first.operations).toHaveLength(4);
    const missing = `ou=missing,${fx.base}`;
    const broken = config(groups, { users: { baseDns: [missing] } }, 'bases.db');
    const before = await scim.stats();
    const report = await run('sync', broken, 3);
    expect(report.directory.problems).toEqual([
      {
        scope: `users under ${missing}`,
        reason: expect.stringMatching(/^the server answered noSuchObject \(32\) to the search of ou=missing/),
      },
    ]);
    expect(report.operations).toEqual([]);
    expect((await scim.stats()).mutating).toBe(before.mutating);
  });
});
