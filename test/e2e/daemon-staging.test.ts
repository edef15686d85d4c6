/**
 * Staging mode (a standby server) through the built CLI: `dirsync start --once --staging` (and
 * `daemon.staging: true` in the config) reads and plans against the real OpenLDAP, sends not one
 * changing request to the SCIM target, writes a report of what it would do, and `dirsync status`
 * and `history` show the run.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from 'ldapts';
import { openldapConfig, runCli, tempDir, writeConfig } from './support/cli';
import { loadOpenldapFixture, openldapAdmin, replaceAttribute, type Fixture } from './support/ldap';
import { ScimProcess } from './support/scim';

jest.setTimeout(60_000);

let ldap: Client;
let fx: Fixture;
let scim: ScimProcess;
let dir: string;

/** In scope in the fixture: engineering and sales members the rules accept. */
const IN_SCOPE = 14;

function config(daemon: Record<string, unknown> = {}, name = 'connector.yaml'): string {
  const doc = openldapConfig({
    base: fx.base,
    scimUrl: scim.url,
    groups: [
      { dn: fx.group('engineering'), role: 'Publisher', userType: 'Creator' },
      { dn: fx.group('sales'), role: 'User', userType: 'Viewer' },
    ],
    statePath: path.join(dir, 'state.db'),
  });
  return writeConfig(
    dir,
    {
      ...doc,
      reports: { dir: path.join(dir, 'reports') },
      daemon: { schedule: '*/30 * * * *', fullSchedule: '15 2 * * *', ...daemon },
    },
    name,
  );
}

interface RunRow {
  id: string;
  mode: string;
  outcome: string;
  finishedAt: string | null;
  counts: Record<string, number>;
}

interface ReportDoc {
  runId: string;
  mode: string;
  staging?: boolean;
  outcome: string;
  counts: Record<string, number>;
  operations: { kind: string; userName: string; status?: string; detail?: string }[];
}

function reportOf(runId: string): ReportDoc {
  return JSON.parse(readFileSync(path.join(dir, 'reports', `${runId}.json`), 'utf8')) as ReportDoc;
}

async function latestRun(file: string): Promise<{ managed: { total: number }; run: RunRow }> {
  const res = await runCli(['status', '--json', '--config', file]);
  expect(res.code).toBe(0);
  const status = JSON.parse(res.stdout) as { managed: { total: number }; runs: RunRow[] };
  return { managed: status.managed, run: status.runs[0] as RunRow };
}

beforeAll(async () => {
  ldap = await openldapAdmin();
  fx = await loadOpenldapFixture(ldap, 'staging');
  dir = tempDir('daemon-staging');
  scim = new ScimProcess(path.join(dir, 'scim.json'));
  await scim.start();
});

afterAll(async () => {
  await scim?.stop();
  await ldap?.unbind();
});

describe('dirsync start --staging', () => {
  it('plans the creates of a first run, sends nothing, and reports what it would do', async () => {
    const file = config();
    const before = await scim.stats();
    const res = await runCli(['start', '--once', '--staging', '--config', file]);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/run started .*mode=plan/);

    const after = await scim.stats();
    expect(after.mutating).toBe(before.mutating);
    expect(await scim.users()).toEqual([]);

    const { managed, run } = await latestRun(file);
    expect(managed.total).toBe(0);
    expect(run).toMatchObject({ mode: 'plan', outcome: 'success' });
    expect(run.counts).toMatchObject({ create: IN_SCOPE, applied: 0, failed: 0 });

    const doc = reportOf(run.id);
    expect(doc).toMatchObject({ runId: run.id, mode: 'plan', staging: true, outcome: 'success' });
    expect(doc.operations).toHaveLength(IN_SCOPE);
    for (const op of doc.operations) {
      expect(op.kind).toBe('create');
      expect(op.status).toBeUndefined(); // planned, never sent
    }
    expect(doc.operations.map((o) => o.userName)).toEqual(expect.arrayContaining(['alice.smith', 'heidi.king']));

    const history = await runCli(['history', '--config', file]);
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(new RegExp(`${run.id}\\s+plan\\s+success`));
    const text = await runCli(['report', run.id, '--config', file]);
    expect(text.stdout).toContain(`Run ${run.id} (plan, success)`);
    expect(text.stdout).toMatch(/create\s+alice\.smith\s+planned/);
  });

  it('after a real sync, plans an update from daemon.staging in the config and leaves the target as it is', async () => {
    // Make the standby's state real: one active run creates everyone.
    const active = config();
    const synced = await runCli(['start', '--once', '--config', active]);
    expect(synced.code).toBe(0);
    expect(await scim.users()).toHaveLength(IN_SCOPE);

    await replaceAttribute(ldap, fx.user('dave.brown'), 'displayName', ['Dave Staged']);
    await replaceAttribute(ldap, fx.user('grace.hall'), 'displayName', ['Grace Staged']);
    const standby = config({ staging: true }, 'standby.yaml');
    const targetBefore = await scim.users();
    const statsBefore = await scim.stats();
    const res = await runCli(['start', '--once', '--config', standby]);
    expect(res.code).toBe(0);

    expect((await scim.stats()).mutating).toBe(statsBefore.mutating);
    expect(await scim.users()).toEqual(targetBefore);
    expect((await scim.user('dave.brown'))?.displayName).toBe('Dave Brown');

    const { managed, run } = await latestRun(standby);
    expect(managed.total).toBe(IN_SCOPE);
    expect(run).toMatchObject({ mode: 'plan', outcome: 'success' });
    expect(run.counts).toMatchObject({ update: 2, create: 0, applied: 0 });
    const doc = reportOf(run.id);
    expect(doc.staging).toBe(true);
    expect(doc.operations.map((o) => [o.kind, o.userName, o.status]).sort()).toEqual([
      ['update', 'dave.brown', undefined],
      ['update', 'grace.hall', undefined],
    ]);

    // Turned active again, the same changes are sent: staging held them, not lost them.
    const sent = await runCli(['start', '--once', '--full', '--config', active]);
    expect(sent.code).toBe(0);
    expect((await scim.user('dave.brown'))?.displayName).toBe('Dave Staged');
  });
});
