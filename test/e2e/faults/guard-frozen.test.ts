/**
 * The mass-change guard, its release (`sync --approve [N]`), frozen plans (`plan --out`,
 * `apply`) and the lease, against the real servers through the built CLI.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from 'ldapts';
import { openldapConfig, runCli, tempDir, writeConfig } from '../support/cli';
import { startCli } from '../support/cli-process';
import { openldapAdmin } from '../support/ldap';
import { GeneratedDirectory, person } from '../support/people';
import { ScimProcess } from '../support/scim';
import { inspectState } from '../support/state-db';

jest.setTimeout(120_000);

let ldap: Client;
let dir: GeneratedDirectory;
let scim: ScimProcess;
let work: string;
let statePath: string;
let configFile: string;
const uids = Array.from({ length: 41 }, (_, i) => `guard.${String(i).padStart(2, '0')}`);
const members = new Set(uids.slice(0, 40));

function config(target: Record<string, unknown> = {}, name = 'connector.yaml'): string {
  return writeConfig(
    work,
    openldapConfig({
      base: dir.base,
      scimUrl: scim.url,
      groups: [{ dn: dir.group('staff'), role: 'User', userType: 'Viewer' }],
      extraTarget: target,
      statePath,
    }),
    name,
  );
}

async function leave(...who: string[]): Promise<void> {
  for (const u of who) members.delete(u);
  await dir.setMembers('staff', [...members]);
}

async function activeNames(): Promise<Set<string>> {
  return new Set((await scim.users()).filter((u) => u.active).map((u) => u.userName));
}

interface Report {
  outcome: string;
  counts: Record<string, number>;
  operations: { kind: string; userName: string; status?: string }[];
  guard: { change: string; count: number; limit: number; exceeded: boolean; released: boolean; message: string }[];
  planFile?: string;
}

beforeAll(async () => {
  ldap = await openldapAdmin();
  dir = new GeneratedDirectory(ldap, 'guard');
  await dir.create(
    uids.map((u, i) => person(u, i)),
    { staff: [...members] },
  );
  work = tempDir('guard');
  statePath = path.join(work, 'state.db');
  scim = new ScimProcess(path.join(work, 'scim.json'));
  await scim.start();
  configFile = config();
  const first = await runCli(['sync', '--json', '--config', configFile]);
  expect(first.code).toBe(0);
});

afterAll(async () => {
  await scim?.stop();
  await dir?.remove().catch(() => undefined);
  await ldap?.unbind();
});

describe('mass-change guard (defaults: 10 users or 5 % of the active managed users)', () => {
  it('lets a small number of deactivations through (2 of 40 = 5 %)', async () => {
    await leave('guard.00', 'guard.01');
    const res = await runCli(['sync', '--json', '--config', configFile]);
    expect(res.code).toBe(0);
    const active = await activeNames();
    expect(active.has('guard.00') || active.has('guard.01')).toBe(false);
    expect(active.size).toBe(38);
  });

  it('stops a run that would deactivate more: nothing deactivated, creates and updates still go, exit 7', async () => {
    await leave('guard.02', 'guard.03', 'guard.04', 'guard.05', 'guard.06');
    await dir.replace('guard.10', 'displayName', 'Changed While Guarded');
    members.add('guard.40');
    await dir.setMembers('staff', [...members]);

    const res = await runCli(['sync', '--json', '--config', configFile]);
    expect(res.code).toBe(7);
    expect(res.stderr).toMatch(/error\s+mass-change guard stopped changes .*count=5 limit=1/);
    const report = JSON.parse(res.stdout) as Report;
    expect(report.outcome).toBe('stopped');
    expect(report.guard[0]).toMatchObject({ change: 'deactivate', count: 5, limit: 1, exceeded: true, released: false });
    const status = (k: string, u: string): string | undefined =>
      report.operations.find((o) => o.kind === k && o.userName === u)?.status;
    expect(status('deactivate', 'guard.02')).toBe('stopped-by-guard');
    expect(status('create', 'guard.40')).toBe('done');
    expect(status('update', 'guard.10')).toBe('done');
    const active = await activeNames();
    for (const u of ['guard.02', 'guard.03', 'guard.04', 'guard.05', 'guard.06', 'guard.40']) expect(active.has(u)).toBe(true);
    expect((await scim.users()).find((u) => u.userName === 'guard.10')?.displayName).toBe('Changed While Guarded');

    const text = await runCli(['sync', '--config', configFile]);
    expect(text.code).toBe(7);
    expect(text.stdout).toContain('STOPPED by the mass-change guard: 5 deactivations exceed the guard');
    const runs = inspectState(statePath).runs;
    expect(runs.at(-1)).toMatchObject({ mode: 'sync', outcome: 'stopped' });
  });

  it('--approve N releases only a run of at most N deactivations', async () => {
    const tooFew = await runCli(['sync', '--json', '--approve', '3', '--config', configFile]);
    expect(tooFew.code).toBe(7);
    expect((JSON.parse(tooFew.stdout) as Report).guard[0]?.message).toContain('--approve 3 does not cover 5');
    expect((await activeNames()).has('guard.02')).toBe(true);

    const bad = await runCli(['sync', '--approve', 'lots', '--config', configFile]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('must be a whole number');

    const ok = await runCli(['sync', '--json', '--approve', '5', '--config', configFile]);
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as Report).guard[0]).toMatchObject({ exceeded: true, released: true });
    const active = await activeNames();
    for (const u of ['guard.02', 'guard.03', 'guard.04', 'guard.05', 'guard.06']) expect(active.has(u)).toBe(false);
  });
});

describe('frozen plans', () => {
  let planFile: string;

  it('plan --out writes the exact operations (owner-only) and says the guard would stop them', async () => {
    await leave('guard.11', 'guard.12', 'guard.13', 'guard.14', 'guard.15', 'guard.16');
    planFile = path.join(work, 'plan.json');
    const res = await runCli(['plan', '--json', '--out', planFile, '--config', configFile]);
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout) as Report;
    expect(report.planFile).toBe(planFile);
    expect(report.guard[0]).toMatchObject({ count: 6, exceeded: true });
    expect(statSync(planFile).mode & 0o777).toBe(0o600);
    const frozen = JSON.parse(readFileSync(planFile, 'utf8')) as {
      operations: { kind: string; userName: string }[];
      snapshot: { fingerprint: string };
    };
    expect(frozen.operations.map((o) => `${o.kind} ${o.userName}`)).toEqual([
      'deactivate guard.11',
      'deactivate guard.12',
      'deactivate guard.13',
      'deactivate guard.14',
      'deactivate guard.15',
      'deactivate guard.16',
    ]);
    expect(frozen.snapshot.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('apply sends exactly that plan (the directory is not read again) and approves its deactivations', async () => {
    // Changed after the plan was made: apply must not pick this up.
    await dir.replace('guard.20', 'displayName', 'Not In The Plan');
    const before = await scim.stats();
    const res = await runCli(['apply', planFile, '--json', '--config', configFile]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const after = await scim.stats();
    expect(after.mutating - before.mutating).toBe(6);
    const active = await activeNames();
    for (const u of ['guard.11', 'guard.12', 'guard.13', 'guard.14', 'guard.15', 'guard.16']) expect(active.has(u)).toBe(false);
    expect((await scim.users()).find((u) => u.userName === 'guard.20')?.displayName).not.toBe('Not In The Plan');
    expect(inspectState(statePath).runs.at(-1)).toMatchObject({ mode: 'apply', outcome: 'success' });
  });

  it('refuses a plan whose snapshot has changed since (exit 8), sending nothing', async () => {
    const before = await scim.stats();
    const again = await runCli(['apply', planFile, '--config', configFile]);
    expect(again.code).toBe(8);
    expect(again.stderr).toMatch(
      /plan\.json was planned at .* the snapshot has changed since .* Nothing was sent: make a new plan/,
    );

    // A plan made, then a sync that changes the snapshot, then the old plan.
    const stale = path.join(work, 'stale.json');
    expect((await runCli(['plan', '--out', stale, '--config', configFile])).code).toBe(0);
    expect((await runCli(['sync', '--config', configFile])).code).toBe(0);
    const mid = await scim.stats();
    const refused = await runCli(['apply', stale, '--config', configFile]);
    expect(refused.code).toBe(8);
    expect((await scim.stats()).mutating).toBe(mid.mutating);
    expect(mid.mutating - before.mutating).toBe(1);
  });

  it('refuses an edited plan, a plan for another target, and a file that is not a plan (exit 8)', async () => {
    await dir.replace('guard.21', 'displayName', 'Planned Rename');
    const file = path.join(work, 'edit.json');
    expect((await runCli(['plan', '--out', file, '--config', configFile])).code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('Planned Rename');

    writeFileSync(path.join(work, 'edited.json'), text.replace('Planned Rename', 'Someone Else'));
    const edited = await runCli(['apply', path.join(work, 'edited.json'), '--config', configFile]);
    expect(edited.code).toBe(8);
    expect(edited.stderr).toContain('its digest does not match its content');

    const other = config({ url: 'http://127.0.0.1:9/scim/v2' }, 'other-target.yaml');
    const wrongTarget = await runCli(['apply', file, '--config', other]);
    expect(wrongTarget.code).toBe(8);
    expect(wrongTarget.stderr).toContain(
      `was made for target ${scim.url}, but the config's target.url is http://127.0.0.1:9/scim/v2`,
    );

    writeFileSync(path.join(work, 'junk.json'), '{"format":"something-else"}');
    const junk = await runCli(['apply', path.join(work, 'junk.json'), '--config', configFile]);
    expect(junk.code).toBe(8);
    expect(junk.stderr).toMatch(/junk\.json cannot be applied: not a dirsync dirsync-frozen-plan v1 \(format: /);

    const ok = await runCli(['apply', file, '--config', configFile]);
    expect(ok.code).toBe(0);
    expect((await scim.users()).find((u) => u.userName === 'guard.21')?.displayName).toBe('Planned Rename');
  });
});

describe('the lease: two runs never send changes at once', () => {
  it('a second sync or apply while one is sending fails fast with exit 9', async () => {
    for (const u of uids.slice(22, 30)) await dir.replace(u, 'displayName', `Slow ${u}`);
    const slow = config({ rateLimit: { requestsPerSecond: 2 } }, 'slow.yaml');
    const first = startCli(['sync', '--json', '--config', slow]);
    // Wait until the first run is sending (it holds the lease from its start).
    for (let i = 0; i < 100 && inspectState(statePath).lease.length === 0; i += 1) await new Promise((r) => setTimeout(r, 50));
    expect(inspectState(statePath).lease).toHaveLength(1);

    const second = await runCli(['sync', '--config', configFile]);
    expect(second.code).toBe(9);
    expect(second.stderr).toMatch(/another run \(\S+, pid \d+ on \S+\) is applying changes to this state database/);
    const plan = path.join(work, 'during.json');
    await runCli(['plan', '--out', plan, '--config', configFile]);
    const apply = await runCli(['apply', plan, '--config', configFile]);
    expect(apply.code).toBe(9);

    const done = await first.done;
    expect(done.code).toBe(0);
    expect(inspectState(statePath).lease).toEqual([]);
    expect((await scim.users()).filter((u) => u.displayName?.startsWith('Slow ')).length).toBe(8);
  });
});
