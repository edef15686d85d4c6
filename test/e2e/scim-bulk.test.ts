/**
 * SCIM Bulk end to end: the real SCIM target started with --bulk, the seeded OpenLDAP fixture,
 * the built CLI. The target's counters tell bulk requests, the operations inside them and
 * single requests apart.
 */
import path from 'node:path';
import type { Client } from 'ldapts';
import { countOf, BulkScimProcess, type TargetCounts } from './support/bulk-target';
import { openldapConfig, runCli, tempDir, writeConfig } from './support/cli';
import { startCli } from './support/cli-process';
import { FaultProxy } from './support/fault-proxy';
import { addMember, loadOpenldapFixture, openldapAdmin, removeMember, type Fixture } from './support/ldap';
import { GeneratedDirectory, person } from './support/people';
import { ScimProcess, type ScimUserView } from './support/scim';
import { inspectState } from './support/state-db';

jest.setTimeout(120_000);

interface Report {
  outcome: string;
  counts: Record<string, number>;
  operations: { kind: string; userName: string; status?: string; error?: string }[];
  skipped: { dn: string; reason: string; message: string }[];
}

async function sync(configFile: string, expectedCode = 0): Promise<Report> {
  const res = await runCli(['sync', '--config', configFile, '--json']);
  if (res.code !== expectedCode) throw new Error(`sync exited ${res.code}: ${res.stderr}`);
  return JSON.parse(res.stdout) as Report;
}

/** What changed on the target between two readings of its counters. */
function delta(before: TargetCounts, after: TargetCounts) {
  const diff = (read: (c: TargetCounts) => number): number => read(after) - read(before);
  return {
    bulkRequests: diff((c) => countOf(c.byResource, 'Bulk', 'POST')),
    bulkPosts: diff((c) => countOf(c.bulkOperations, 'Users', 'POST')),
    bulkPatches: diff((c) => countOf(c.bulkOperations, 'Users', 'PATCH')),
    singlePosts: diff((c) => countOf(c.byResource, 'Users', 'POST')),
    singlePatches: diff((c) => countOf(c.byResource, 'Users', 'PATCH')),
    mutating: diff((c) => c.mutating),
  };
}

/** A config for a generated directory's people and its "staff" group (LDAPS), sending to `url`. */
function staffConfig(
  work: string,
  dir: GeneratedDirectory,
  statePath: string,
  url: string,
  extraTarget: Record<string, unknown> = {},
  file?: string,
): string {
  const groups = [{ dn: dir.group('staff'), role: 'User', userType: 'Viewer' }];
  return writeConfig(work, openldapConfig({ base: dir.base, scimUrl: url, groups, statePath, extraTarget }), file);
}

describe('sync through SCIM Bulk (OpenLDAP fixture)', () => {
  let ldap: Client;
  let fx: Fixture;
  let scim: BulkScimProcess;
  let configFile: string;

  beforeAll(async () => {
    ldap = await openldapAdmin();
    fx = await loadOpenldapFixture(ldap, 'bulk');
    const dir = tempDir('bulk');
    scim = new BulkScimProcess(path.join(dir, 'scim.json'));
    await scim.start();
    const config = openldapConfig({
      base: fx.base,
      scimUrl: scim.url,
      groups: [
        { dn: fx.group('engineering'), role: 'Publisher', userType: 'Creator' },
        { dn: fx.group('sales'), role: 'User', userType: 'Viewer' },
        { dn: fx.group('contractors'), role: 'Viewer', userType: 'Viewer', nested: true },
        { dn: fx.group('cycle-a'), role: 'User', userType: 'Editor', nested: true },
      ],
    });
    const target = config['target'] as Record<string, unknown>;
    configFile = writeConfig(dir, { ...config, target: { ...target, bulkMaxOperations: 5 } });
  });

  afterAll(async () => {
    await scim?.stop();
    await ldap?.unbind();
  });

  it('the first sync creates every in-scope user through /Bulk, in batches of 5, with no duplicate', async () => {
    const before = await scim.counts();
    const report = await sync(configFile);
    const after = await scim.counts();
    expect(report.outcome).toBe('success');
    expect(report.counts['create']).toBe(18);
    expect(report.operations.every((o) => o.kind === 'create' && o.status === 'done')).toBe(true);
    expect(delta(before, after)).toMatchObject({ bulkRequests: 4, bulkPosts: 18, singlePosts: 0, singlePatches: 0 });

    const users = await scim.view.users();
    expect(users).toHaveLength(18);
    expect(new Set(users.map((u) => u.userName)).size).toBe(18);
    expect(new Set(users.map((u) => u.externalId)).size).toBe(18);
    expect(users.find((u) => u.userName === 'jose.garcia')).toMatchObject({
      active: true,
      displayName: 'José García',
      emails: [expect.objectContaining({ value: 'jose.garcia@example.org', primary: true })],
    });
  });

  it('a second sync sends nothing', async () => {
    const before = await scim.counts();
    const report = await sync(configFile);
    expect(report.operations).toEqual([]);
    expect(delta(before, await scim.counts()).mutating).toBe(0);
  });

  it('a deactivation, and the reactivation after it, go through /Bulk on the same account', async () => {
    const alice = (await scim.view.users()).find((u) => u.userName === 'alice.smith');
    expect(alice?.active).toBe(true);

    await removeMember(ldap, fx.group('engineering'), fx.user('alice.smith'));
    let before = await scim.counts();
    const off = await sync(configFile);
    expect(off.operations).toEqual([expect.objectContaining({ kind: 'deactivate', userName: 'alice.smith', status: 'done' })]);
    expect(delta(before, await scim.counts())).toMatchObject({ bulkRequests: 1, bulkPatches: 1, singlePatches: 0 });
    expect((await scim.view.users()).find((u) => u.userName === 'alice.smith')).toMatchObject({ id: alice?.id, active: false });

    await addMember(ldap, fx.group('engineering'), fx.user('alice.smith'));
    before = await scim.counts();
    const on = await sync(configFile);
    expect(on.operations).toEqual([expect.objectContaining({ kind: 'reactivate', userName: 'alice.smith', status: 'done' })]);
    expect(delta(before, await scim.counts())).toMatchObject({ bulkRequests: 1, bulkPatches: 1, singlePosts: 0 });
    const users = await scim.view.users();
    expect(users.filter((u) => u.userName === 'alice.smith')).toEqual([expect.objectContaining({ id: alice?.id, active: true })]);
    expect(users).toHaveLength(18);
  });
});

describe('a uniqueness conflict inside a bulk request', () => {
  const uids = ['same.person', 'other.email', 'fresh.user'];
  let ldap: Client;
  let dir: GeneratedDirectory;
  let work: string;
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    ldap = await openldapAdmin();
    dir = new GeneratedDirectory(ldap, 'bulk-conflict');
    await dir.create(
      uids.map((u, i) => person(u, i)),
      { staff: uids },
    );
    work = tempDir('bulk-conflict');
  });

  afterAll(async () => {
    for (const stop of stops) await stop();
    await dir?.remove().catch(() => undefined);
    await ldap?.unbind();
  });

  /** Accounts made by hand before dirsync ran; their ids by userName. */
  async function seed(view: ScimProcess): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    const accounts: Record<string, unknown>[] = [
      { userName: 'same.person', emails: [{ value: 'Same.Person@example.org', primary: true }], active: false },
      { userName: 'other.email', emails: [{ value: 'someone@elsewhere.example', primary: true }] },
    ];
    for (const account of accounts) {
      const res = await view.post('/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        active: true,
        ...account,
      });
      expect(res.status).toBe(201);
      const created = res.body as ScimUserView;
      ids.set(created.userName, created.id);
    }
    return ids;
  }

  function configFor(name: string, url: string): string {
    return staffConfig(work, dir, path.join(work, `${name}.db`), url, {}, `${name}.yaml`);
  }

  /** The report with each seeded account's id replaced by its userName, to compare two targets. */
  function comparable(report: Report, ids: Map<string, string>): unknown {
    const plain = (text: string | undefined): string | undefined =>
      text === undefined ? undefined : [...ids].reduce((t, [name, id]) => t.split(id).join(`<${name}>`), text);
    return {
      operations: report.operations.map((o) => ({ kind: o.kind, userName: o.userName, status: o.status, error: plain(o.error) })),
      skipped: report.skipped.map((s) => ({ ...s, message: plain(s.message) })),
    };
  }

  it('falls back to the single path: adopted or reported exactly as without bulk, never created twice', async () => {
    const bulk = new BulkScimProcess(path.join(work, 'bulk.json'));
    await bulk.start();
    stops.push(() => bulk.stop());
    const single = new ScimProcess(path.join(work, 'single.json'));
    await single.start();
    stops.push(() => single.stop());

    const bulkIds = await seed(bulk.view);
    const singleIds = await seed(single);
    const before = await bulk.counts();
    // 5: a user needs consolidation.
    const withBulk = await sync(configFor('bulk', bulk.url), 5);
    const after = await bulk.counts();
    const withoutBulk = await sync(configFor('single', single.url), 5);

    expect(comparable(withBulk, bulkIds)).toEqual(comparable(withoutBulk, singleIds));
    expect(Object.fromEntries(withBulk.operations.map((o) => [o.userName, o.status]))).toEqual({
      'same.person': 'done',
      'other.email': 'consolidation',
      'fresh.user': 'done',
    });
    // One bulk request with the three creates; the two refused (409) were settled by looking
    // the accounts up: the same person adopted with one PATCH, nothing created on its own.
    expect(delta(before, after)).toMatchObject({ bulkRequests: 1, bulkPosts: 3, singlePosts: 0, singlePatches: 1 });

    const users = await bulk.view.users();
    expect(users.map((u) => u.userName).sort()).toEqual(['fresh.user', 'other.email', 'same.person']);
    expect(users.find((u) => u.userName === 'same.person')).toMatchObject({
      id: bulkIds.get('same.person'),
      active: true,
      externalId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(users.find((u) => u.userName === 'other.email')?.externalId).toBeUndefined();
  });
});

describe('a bulk request whose answer is lost, and a kill -9 after a bulk landed', () => {
  let ldap: Client;
  let dir: GeneratedDirectory;
  let scim: BulkScimProcess;
  let proxy: FaultProxy;
  let configFile: string;
  let statePath: string;
  const staff: string[] = [];
  const uid = (n: number): string => `bulk.user.${String(n).padStart(2, '0')}`;

  beforeAll(async () => {
    ldap = await openldapAdmin();
    dir = new GeneratedDirectory(ldap, 'bulk-faults');
    const all = Array.from({ length: 20 }, (_, i) => person(uid(i), i));
    for (let i = 0; i < 12; i += 1) staff.push(uid(i));
    await dir.create(all, { staff });
    const work = tempDir('bulk-faults');
    scim = new BulkScimProcess(path.join(work, 'scim.json'));
    await scim.start();
    proxy = new FaultProxy(new URL(scim.url).origin);
    await proxy.start();
    statePath = path.join(work, 'state.db');
    configFile = staffConfig(work, dir, statePath, `${proxy.origin}/scim/v2`, {
      concurrency: 1,
      bulkMaxOperations: 4,
      retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 200 },
    });
  });

  afterAll(async () => {
    await proxy?.stop();
    await scim?.stop();
    await dir?.remove().catch(() => undefined);
    await ldap?.unbind();
  });

  /** Every in-scope user exactly once, active, and a settled journal. */
  async function expectConverged(): Promise<void> {
    const users = await scim.view.users();
    expect(users.map((u) => u.userName).sort()).toEqual([...staff].sort());
    expect(users.every((u) => u.active === true)).toBe(true);
    expect(new Set(users.map((u) => u.externalId)).size).toBe(staff.length);
    const state = inspectState(statePath);
    expect(state.journal['pending'] ?? 0).toBe(0);
    expect(state.snapshot).toHaveLength(staff.length);
  }

  it('a bulk that landed but whose answer was lost: its creates are adopted, the rest sent one by one', async () => {
    let bulks = 0;
    proxy.rule = (req) =>
      req.method === 'POST' && req.path.endsWith('/Bulk') && (bulks += 1) === 1 ? { kind: 'drop-after' } : undefined;
    const before = await scim.counts();
    const report = await sync(configFile);
    proxy.rule = () => undefined;
    expect(report.operations.filter((o) => o.status === 'done')).toHaveLength(12);
    // One bulk of 4 (landed, answer lost): looked up and adopted with a PATCH each; bulk is off
    // for the rest of the run, so the other 8 are single POSTs.
    expect(delta(before, await scim.counts())).toMatchObject({ bulkRequests: 1, bulkPosts: 4, singlePosts: 8, singlePatches: 4 });
    await expectConverged();
  });

  it('kill -9 once the target applied a bulk, before dirsync heard: the next run resumes without a duplicate', async () => {
    for (let i = 12; i < 20; i += 1) staff.push(uid(i));
    await dir.setMembers('staff', staff);
    const cli = startCli(['sync', '--json', '--config', configFile]);
    proxy.onUpstreamAnswer = (req) => {
      if (req.method === 'POST' && req.path.endsWith('/Bulk')) cli.kill9();
    };
    const killed = await cli.done;
    proxy.onUpstreamAnswer = undefined;
    expect(killed.signal).toBe('SIGKILL');
    expect((await scim.view.users()).length).toBeGreaterThan(12);

    const res = await runCli(['sync', '--json', '--config', configFile]);
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout) as Report & { resumed: { operations: number; done: number } };
    expect(report.resumed.operations).toBeGreaterThan(0);
    await expectConverged();
  });
});

describe('a target that advertises SCIM Bulk but answers 403 to it', () => {
  let ldap: Client;
  let dir: GeneratedDirectory;
  let scim: BulkScimProcess;
  let proxy: FaultProxy;
  let configFile: string;
  let statePath: string;
  const staff = Array.from({ length: 10 }, (_, i) => `forbidden.bulk.${String(i).padStart(2, '0')}`);

  beforeAll(async () => {
    ldap = await openldapAdmin();
    dir = new GeneratedDirectory(ldap, 'bulk-403');
    await dir.create(
      staff.map((uid, i) => person(uid, i)),
      { staff },
    );
    const work = tempDir('bulk-403');
    scim = new BulkScimProcess(path.join(work, 'scim.json'));
    await scim.start();
    proxy = new FaultProxy(new URL(scim.url).origin);
    await proxy.start();
    proxy.rule = (req) =>
      req.method === 'POST' && req.path.endsWith('/Bulk')
        ? { kind: 'status', status: 403, body: JSON.stringify({ status: '403', detail: 'bulk is not allowed for this client' }) }
        : undefined;
    statePath = path.join(work, 'state.db');
    configFile = staffConfig(work, dir, statePath, `${proxy.origin}/scim/v2`, { concurrency: 2, bulkMaxOperations: 4 });
  });

  afterAll(async () => {
    await proxy?.stop();
    await scim?.stop();
    await dir?.remove().catch(() => undefined);
    await ldap?.unbind();
  });

  it('turns bulk off for the run and creates everyone one request each, without lookups', async () => {
    const before = await scim.counts();
    // Without --json, so that the warning shows on stderr.
    const res = await runCli(['sync', '--config', configFile]);
    expect(res.code).toBe(0);
    expect(res.stderr).toContain(
      'the target refused the SCIM bulk request (403); the rest of this run is sent one operation at a time',
    );
    expect(inspectState(statePath).journal).toEqual({ done: staff.length });
    const after = await scim.counts();
    // The proxy refused every bulk request itself: none reached the target.
    expect(delta(before, after)).toMatchObject({ bulkRequests: 0, singlePosts: staff.length });
    expect(countOf(after.byResource, 'Users', 'GET') - countOf(before.byResource, 'Users', 'GET')).toBe(0);
    expect(proxy.faults()).toEqual({ 'status 403': expect.any(Number) });
    expect((await scim.view.users()).map((u) => u.userName).sort()).toEqual(staff);
  });
});
