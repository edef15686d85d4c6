/**
 * The daemon against the real servers: `start --once` (full, then delta), reports and log files
 * (owner-only, no secrets), history and report commands, a long-running daemon that syncs on
 * its schedule and stops cleanly on SIGTERM, two daemons on one state database that never run
 * at once, and a daemon killed with -9 mid-run whose successor resumes without duplicates.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { request } from 'undici';
import path from 'node:path';
import type { Client } from 'ldapts';
import { OPENLDAP, SCIM_TOKEN } from './support/env';
import { openldapConfig, runCli, tempDir, writeConfig } from './support/cli';
import { startCli } from './support/cli-process';
import { FaultProxy } from './support/fault-proxy';
import { loadOpenldapFixture, openldapAdmin, replaceAttribute, type Fixture } from './support/ldap';
import { ScimProcess } from './support/scim';
import { parseCsv } from '../../src/report/csv';

jest.setTimeout(120_000);

let ldap: Client;
let fx: Fixture;
let scim: ScimProcess;

const groups = (f: Fixture): Record<string, unknown>[] => [
  { dn: f.group('engineering'), role: 'Publisher', userType: 'Creator' },
  { dn: f.group('sales'), role: 'User', userType: 'Viewer' },
];

function daemonConfig(
  dir: string,
  scimUrl: string,
  daemon: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): string {
  const doc = openldapConfig({ base: fx.base, scimUrl, groups: groups(fx), statePath: path.join(dir, 'state.db') });
  return writeConfig(dir, {
    ...doc,
    reports: { dir: path.join(dir, 'reports') },
    logging: { level: 'info', file: { dir: path.join(dir, 'logs') } },
    daemon: { schedule: '* * * * * *', fullSchedule: '0 0 1 1 *', ...daemon },
    ...extra,
  });
}

interface RunRow {
  id: string;
  mode: string;
  outcome: string;
  startedAt: string;
  finishedAt: string | null;
  message: string | null;
}

async function history(file: string): Promise<RunRow[]> {
  const res = await runCli(['history', '--json', '-n', '500', '--config', file]);
  expect(res.code).toBe(0);
  return JSON.parse(res.stdout) as RunRow[];
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  ldap = await openldapAdmin();
  fx = await loadOpenldapFixture(ldap, 'daemon');
  scim = new ScimProcess(path.join(tempDir('daemon-scim'), 'scim.json'));
  await scim.start();
});

afterAll(async () => {
  await scim?.stop();
  await ldap?.unbind();
});

describe('dirsync start --once', () => {
  const dir = tempDir('daemon-once');
  let file: string;

  it('runs a full sync first, then deltas, and writes a report and a log per run', async () => {
    file = daemonConfig(dir, scim.url);
    const first = await runCli(['start', '--once', '--config', file]);
    expect(first.stderr).toMatch(/directory read .*kind=full/);
    expect(first.code).toBe(0);

    await replaceAttribute(ldap, fx.user('dave.brown'), 'displayName', ['Dave B.']);
    const second = await runCli(['start', '--once', '--config', file]);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/directory read .*kind=delta.*entries=1/);

    const reports = readdirSync(path.join(dir, 'reports')).sort();
    expect(reports.filter((f) => f.endsWith('.json'))).toHaveLength(2);
    expect(reports.filter((f) => f.endsWith('.csv'))).toHaveLength(2);
    for (const f of reports) expect(statSync(path.join(dir, 'reports', f)).mode & 0o777).toBe(0o600);

    const logs = readdirSync(path.join(dir, 'logs')).filter((f) => /^dirsync-\d{4}-\d{2}-\d{2}\.log$/.test(f));
    expect(logs).toHaveLength(1);
    const logFile = path.join(dir, 'logs', logs[0] as string);
    expect(statSync(logFile).mode & 0o777).toBe(0o600);
    const lines = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { message: string; runId?: string });
    expect(lines.some((l) => l.message === 'run finished' && typeof l.runId === 'string')).toBe(true);

    const everything = [
      ...reports.map((f) => readFileSync(path.join(dir, 'reports', f), 'utf8')),
      readFileSync(logFile, 'utf8'),
    ].join('\n');
    expect(everything).not.toContain(OPENLDAP.adminPassword);
    expect(everything).not.toContain(SCIM_TOKEN);
  });

  it('history lists the runs and report prints one, as text, JSON and CSV', async () => {
    const runs = await history(file);
    expect(runs.map((r) => r.outcome)).toEqual(['success', 'success']);
    const latest = runs[0] as RunRow;
    const text = await runCli(['history', '--config', file]);
    expect(text.stdout).toContain(latest.id);

    const json = await runCli(['report', latest.id, '--json', '--config', file]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      runId: latest.id,
      operations: [expect.objectContaining({ kind: 'update', userName: 'dave.brown' })],
    });
    const csv = await runCli(['report', latest.id, '--csv', '--config', file]);
    const rows = parseCsv(csv.stdout);
    expect(rows[0]).toEqual(['record', 'action', 'userName', 'dn', 'status', 'code', 'detail']);
    expect(rows.find((r) => r[0] === 'operation')).toEqual([
      'operation',
      'update',
      'dave.brown',
      fx.user('dave.brown'),
      'done',
      '',
      'displayName: Dave Brown -> Dave B.',
    ]);
    // The delta touched one user; the full run before it reported the skipped ones.
    expect(rows.filter((r) => r[0] === 'skipped')).toEqual([]);
    const fullCsv = parseCsv((await runCli(['report', (runs[1] as RunRow).id, '--csv', '--config', file])).stdout);
    expect(fullCsv.filter((r) => r[0] === 'skipped').map((r) => r[5])).toEqual(
      expect.arrayContaining(['USERNAME_TOO_SHORT', 'EMAIL_APOSTROPHE', 'EMAIL_MISSING']),
    );

    const missing = await runCli(['report', '20200101T000000-deadbeef', '--config', file]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no report for run 20200101T000000-deadbeef/);
  });
});

describe('dirsync start (long-running)', () => {
  it('syncs on its schedule, answers /healthz and /metrics, and stops cleanly on SIGTERM', async () => {
    const dir = tempDir('daemon-run');
    const file = daemonConfig(dir, scim.url, {}, { health: { enabled: true, port: 0 } });
    const daemon = startCli(['start', '--config', file]);
    let stderr = '';
    daemon.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor('two scheduled runs', async () =>
      (await history(file)).filter((r) => r.finishedAt).length >= 2 ? true : undefined,
    );
    const url = /health listener started url=(\S+)/.exec(stderr)?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    const health = await request(`${url}/healthz`);
    expect(health.statusCode).toBe(200);
    expect(await health.body.json()).toMatchObject({ status: 'ok', lastRun: { outcome: 'success' } });
    const metrics = await (await request(`${url}/metrics`)).body.text();
    expect(metrics).toMatch(/^dirsync_runs_total\{[^}]*outcome="success"[^}]*\} [1-9]/m);
    daemon.child.kill('SIGTERM');
    const done = await daemon.done;
    expect(done.code).toBe(0);
    expect(done.stderr).toMatch(/daemon stopped/);
  });

  it('two daemons on one state database never run at once', async () => {
    const dir = tempDir('daemon-two');
    const file = daemonConfig(dir, scim.url);
    const a = startCli(['start', '--config', file]);
    const b = startCli(['start', '--config', file]);
    try {
      await waitFor(
        'six finished runs',
        async () => ((await history(file)).filter((r) => r.finishedAt).length >= 6 ? true : undefined),
        60_000,
      );
    } finally {
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
    }
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect([ra.code, rb.code]).toEqual([0, 0]);
    const applied = (await history(file)).filter((r) => r.mode === 'sync' && r.outcome !== 'failed' && r.finishedAt);
    applied.sort((x, y) => x.startedAt.localeCompare(y.startedAt));
    for (let i = 1; i < applied.length; i += 1) {
      const prev = applied[i - 1] as RunRow;
      expect(Date.parse((applied[i] as RunRow).startedAt)).toBeGreaterThanOrEqual(Date.parse(prev.finishedAt as string));
    }
    // Both fired every second: the lease is what kept them apart.
    expect(`${ra.stderr}${rb.stderr}`).toMatch(/another (process|run)/);
  });

  it('a daemon killed with -9 mid-run is resumed by the next start without duplicates', async () => {
    const dir = tempDir('daemon-kill');
    const target = new ScimProcess(path.join(dir, 'scim.json'));
    await target.start();
    const proxy = new FaultProxy(target.origin);
    await proxy.start();
    // The third create lands on the target, then its answer is held: the daemon dies waiting.
    proxy.rule = (req) =>
      req.method === 'POST' && proxy.log.filter((l) => l.method === 'POST').length === 2 ? { kind: 'hang-after' } : undefined;
    const file = daemonConfig(dir, `${proxy.origin}/scim/v2`);
    const daemon = startCli(['start', '--config', file]);
    try {
      await waitFor('the held create', async () => (proxy.log.filter((l) => l.method === 'POST').length >= 3 ? true : undefined));
    } finally {
      daemon.kill9();
    }
    await daemon.done;
    proxy.rule = () => undefined;
    const resumed = await runCli(['start', '--once', '--config', file]);
    expect(resumed.code).toBe(0);
    const users = await target.users();
    const names = users.map((u) => u.userName);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBe(14);
    await proxy.stop();
    await target.stop();
  });
});
