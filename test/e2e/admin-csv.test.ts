/**
 * CSV in the product's formats and the domain report, end to end: an OpenLDAP sync, its export,
 * the export as the source of a second target (lossless), a bad file refused row by row, and
 * `dirsync report domains` on both.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from 'ldapts';
import { openldapConfig, runCli, SECRETS_ENV, tempDir, writeConfig } from './support/cli';
import { loadOpenldapFixture, openldapAdmin, type Fixture } from './support/ldap';
import { ScimProcess, type ScimUserView } from './support/scim';

jest.setTimeout(120_000);

let ldap: Client;
let fx: Fixture;
let scimA: ScimProcess;
let scimB: ScimProcess;
let dir: string;
let configA: string;
let configB: string;
const csvFile = (): string => path.join(dir, 'users.csv');

interface DomainsJson {
  run: string | null;
  domains: {
    domain: string;
    verified: boolean;
    managed: number;
    active: number;
    pending: number;
    inactive: number;
    skipped: number;
    needsConsolidation: number;
    consolidationRate: number | null;
  }[];
}

function view(users: ScimUserView[]): unknown[] {
  return users
    .map((u) => ({
      userName: u.userName,
      email: u.emails?.[0]?.value,
      givenName: u.name?.givenName,
      familyName: u.name?.familyName,
      role: u.roles?.[0]?.value,
      userType: u.userType,
      active: u.active,
    }))
    .sort((a, b) => (a.userName < b.userName ? -1 : 1));
}

beforeAll(async () => {
  ldap = await openldapAdmin();
  fx = await loadOpenldapFixture(ldap, `admincsv${process.pid}`);
  dir = tempDir('admin-csv');
  scimA = new ScimProcess(path.join(dir, 'scim-a.json'));
  scimB = new ScimProcess(path.join(dir, 'scim-b.json'));
  await scimA.start();
  await scimB.start();
  const a = openldapConfig({
    base: fx.base,
    scimUrl: scimA.url,
    statePath: 'state-a.db',
    groups: [
      { dn: fx.group('engineering'), role: 'Publisher', userType: 'Creator' },
      { dn: fx.group('sales'), role: 'User', userType: 'Viewer' },
    ],
  });
  a.product = { verifiedDomains: ['example.org'] };
  a.reports = { dir: 'reports-a' };
  configA = writeConfig(dir, a, 'a.yaml');
  configB = writeConfig(
    dir,
    {
      source: { csv: { file: 'users.csv', format: 'builtin' } },
      target: { url: scimB.url, token: '${env:DIRSYNC_SCIM_TOKEN}' },
      state: { path: 'state-b.db' },
      reports: { dir: 'reports-b' },
    },
    'b.yaml',
  );
  // An account another source manages, holding a directory user's userName: alice needs consolidation.
  const other = await scimA.post('/Users', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: 'alice.smith',
    externalId: 'another-source-1',
    emails: [{ value: 'alice.smith@example.org', primary: true }],
  });
  expect(other.status).toBe(201);
});

afterAll(async () => {
  await scimA?.stop();
  await scimB?.stop();
  await ldap?.unbind();
});

describe('CSV export and CSV source', () => {
  it("exports the managed accounts in the product's three formats, never a password", async () => {
    const sync = await runCli(['sync', '--config', configA, '--json']);
    expect(sync.code).toBe(5); // alice needs consolidation
    const out = await runCli(['export', '--config', configA, '--format', 'builtin', '--out', csvFile()]);
    expect(out.code).toBe(0);
    expect(statSync(csvFile()).mode & 0o777).toBe(0o600);
    const lines = readFileSync(csvFile(), 'utf8').split('\r\n');
    expect(lines[0]).toBe('Email,Role,User Type,First Name,Last Name,Username,Password');
    expect(lines).toContain('jose.garcia@example.org,Publisher,Creator,José,García,jose.garcia,');
    expect(lines.filter((l) => l !== '').every((l) => l.endsWith(',') || l === lines[0])).toBe(true);
    const managed = (await scimA.users()).filter((u) => u.externalId !== 'another-source-1');
    expect(lines.length - 2).toBe(managed.length);

    // `--format csv`, the name the product's docs use, is the built-in format.
    const csv = await runCli(['export', '--config', configA, '--format', 'csv']);
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe(readFileSync(csvFile(), 'utf8'));
    const adldap = await runCli(['export', '--config', configA, '--format', 'adldap']);
    expect(adldap.stdout.split('\r\n').slice(0, 2)).toEqual(['Username,Role,User Type', 'anna_maria,Publisher,Creator']);
    const saml = await runCli(['export', '--config', configA, '--format', 'saml', '--identity-type', 'oidc']);
    expect(saml.stdout.split('\r\n')[0]).toBe('Email,Role,User Type,First Name,Last Name,Username,Identity Type');
    expect(saml.stdout.split('\r\n')[1]).toMatch(/,OIDC$/);
    const wrong = await runCli(['export', '--config', configA, '--format', 'adldap', '--identity-type', 'SAML']);
    expect(wrong.code).toBe(2);
  });

  it('the export as the source of another target gives the same accounts, and exports back byte for byte', async () => {
    const before = readFileSync(csvFile(), 'utf8');
    const sync = await runCli(['sync', '--config', configB, '--json']);
    expect(sync.stderr).toBe('');
    expect(sync.code).toBe(0);
    const managedA = (await scimA.users()).filter((u) => u.externalId !== 'another-source-1');
    expect(view(await scimB.users())).toEqual(view(managedA));
    const again = await runCli(['export', '--config', configB, '--format', 'builtin']);
    expect(again.stdout).toBe(before);
    const second = await runCli(['sync', '--config', configB, '--json']);
    expect((JSON.parse(second.stdout) as { operations: unknown[] }).operations).toEqual([]);
  });

  it('a file with bad rows: every bad row listed with its number and reason, nothing sent', async () => {
    const good = readFileSync(csvFile(), 'utf8');
    const statsBefore = await scimB.stats();
    writeFileSync(
      csvFile(),
      `${good}new.person@example.org,User,Viewer,New,Person,new.person,\r\n,User,Viewer,No,Mail,no.mail.user,\r\nx@example.org,User,,Xa,Yb,xa,secret\r\n`,
    );
    const rows = good.split('\r\n').length - 1;
    try {
      const res = await runCli(['sync', '--config', configB]);
      expect(res.code).toBe(3);
      expect(res.stderr).toContain('2 bad row(s)');
      expect(res.stderr).toContain(`row ${rows + 2}: no email address`);
      expect(res.stderr).toContain(
        `row ${rows + 3}: Username "xa" becomes "xa", outside 6..128 characters; Password must be empty: dirsync never reads or sends passwords; User Type is empty`,
      );
      expect(res.stderr).not.toContain('secret');
      expect((await scimB.stats()).mutating).toBe(statsBefore.mutating);
      expect((await scimB.users()).map((u) => u.userName)).not.toContain('new.person');
      const doctor = await runCli(['doctor', '--config', configB, '--json'], SECRETS_ENV);
      const checks = (JSON.parse(doctor.stdout) as { checks: { status: string; details?: string[] }[] }).checks;
      expect(checks).toContainEqual(
        expect.objectContaining({ status: 'fail', details: expect.arrayContaining([`row ${rows + 2}: no email address`]) }),
      );
    } finally {
      writeFileSync(csvFile(), good);
    }
  });

  it('a file cut short to its header deactivates nobody: the read counts as incomplete', async () => {
    const good = readFileSync(csvFile(), 'utf8');
    writeFileSync(csvFile(), `${good.split('\r\n')[0] ?? ''}\r\n`);
    try {
      const res = await runCli(['sync', '--config', configB, '--json']);
      expect(res.code).toBe(3);
      const report = JSON.parse(res.stdout) as { operations: unknown[]; directory: { problems: { reason: string }[] } };
      expect(report.operations).toEqual([]);
      expect(report.directory.problems[0]?.reason).toMatch(
        /^the file has no rows, but \d+ managed active user\(s\) came from it$/,
      );
      expect((await scimB.users()).every((u) => u.active === true)).toBe(true);
    } finally {
      writeFileSync(csvFile(), good);
    }
  });
});

describe('dirsync report domains', () => {
  it('per domain: managed, active, consolidation and the rate against 75 %', async () => {
    const res = await runCli(['report', 'domains', '--config', configA, '--json']);
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout) as DomainsJson;
    expect(report.run).toMatch(/./);
    const managed = (await scimA.users()).filter((u) => u.externalId !== 'another-source-1').length;
    const row = report.domains.find((d) => d.domain === 'example.org');
    expect(row).toMatchObject({ verified: true, managed, active: managed, pending: 0, inactive: 0, needsConsolidation: 1 });
    expect(row?.consolidationRate).toBeCloseTo(managed / (managed + 1));
    const text = await runCli(['report', 'domains', '--config', configA]);
    expect(text.stdout).toMatch(/^VERIF {2}MANAGED {2}ACTIVE {2}PENDING {2}INACT {2}SKIP {2}CONSOL {2}RATE +DOMAIN$/m);
    for (const line of text.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    // The row: the SKIP column holds the same figure as the JSON, and the rate is above 75 %.
    const cells = text.stdout
      .split('\n')
      .find((l) => l.endsWith(' example.org'))
      ?.split(/ {2,}/);
    const rate = Math.floor((row?.consolidationRate ?? 0) * 100);
    expect(rate).toBeGreaterThanOrEqual(75);
    expect(cells).toEqual([
      'yes',
      String(managed),
      String(managed),
      '0',
      '0',
      String(row?.skipped),
      '1',
      `${rate} %`,
      'example.org',
    ]);
    // The recommendation line, wrapped at 80 columns.
    expect(text.stdout.replace(/\n\s*/g, ' ')).toContain(
      `example.org: ${rate} % consolidated, at or above the 75 % vendors recommend before enforcing single sign-on.`,
    );
    expect(text.stdout).not.toMatch(/below the 75/);
    // `report <run>` still works next to the subcommand.
    const one = await runCli(['report', String(report.run), '--config', configA]);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain(`Run ${String(report.run)}`);
  });

  it('a domain that is not verified: its accounts are pending (Unverified until activated by email)', async () => {
    const res = await runCli(['report', 'domains', '--config', configB, '--json']);
    const report = JSON.parse(res.stdout) as DomainsJson;
    expect(report.domains).toEqual([
      expect.objectContaining({
        domain: 'example.org',
        verified: false,
        active: 0,
        pending: report.domains[0]?.managed,
        needsConsolidation: 0,
        consolidationRate: 1,
      }),
    ]);
    expect(report.domains[0]?.managed).toBeGreaterThan(10);
  });
});
