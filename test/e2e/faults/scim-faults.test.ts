/**
 * The SCIM side misbehaving, through a fault-injecting proxy in front of the real target:
 * 429/5xx/timeouts/lost answers on 20 % of requests -> converged, zero duplicates; one user's
 * 400 and malformed answers (HTML, non-JSON, empty, wrong schema) -> a clear error naming the
 * user and the operation, the others go through; the client-side rate limit holds; If-Match
 * is sent only when the target advertises ETags.
 */
import path from 'node:path';
import type { Client } from 'ldapts';
import { openldapConfig, runCli, tempDir, writeConfig } from '../support/cli';
import { convergenceProblems, type GroupMapping } from '../support/convergence';
import { FaultProxy, type Fault } from '../support/fault-proxy';
import { openldapAdmin } from '../support/ldap';
import { GeneratedDirectory, person, type Person } from '../support/people';
import { prng, suiteSeed } from '../support/prng';
import { ScimProcess } from '../support/scim';

jest.setTimeout(150_000);

const MAPPINGS: readonly GroupMapping[] = [{ cn: 'staff', role: 'User', userType: 'Viewer' }];

let ldap: Client;
let dir: GeneratedDirectory;
let scim: ScimProcess;
let proxy: FaultProxy;
let work: string;
const persons = new Map<string, Person>();
const staff = new Set<string>();
const everInScope = new Set<string>();

function uid(n: number): string {
  return `member.${String(n).padStart(3, '0')}`;
}

function config(target: Record<string, unknown> = {}, name = 'connector.yaml'): string {
  return writeConfig(
    work,
    {
      ...openldapConfig({
        base: dir.base,
        scimUrl: `${proxy.origin}/scim/v2`,
        groups: MAPPINGS.map((m) => ({ dn: dir.group(m.cn), role: m.role, userType: m.userType })),
        extraTarget: { timeoutMs: 1000, concurrency: 4, retry: { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 400 }, ...target },
        statePath: path.join(work, 'state.db'),
      }),
      guard: { deactivations: { maxCount: 100, maxPercent: 100 } },
    },
    name,
  );
}

async function setStaff(uids: Iterable<string>): Promise<void> {
  staff.clear();
  for (const u of uids) {
    staff.add(u);
    everInScope.add(u);
  }
  await dir.setMembers('staff', [...staff]);
}

async function converged(): Promise<string[]> {
  const problems = convergenceProblems(await scim.users(), persons, new Map([['staff', staff]]), MAPPINGS, everInScope);
  return problems.map((p) => `${p.kind}: ${p.detail}`);
}

interface Report {
  outcome: string;
  operations: { kind: string; userName: string; status?: string; error?: string; code?: string }[];
}

beforeAll(async () => {
  ldap = await openldapAdmin();
  dir = new GeneratedDirectory(ldap, 'scimfaults');
  for (let i = 0; i < 84; i += 1) persons.set(uid(i), person(uid(i), i));
  await dir.create([...persons.values()], { staff: [] });
  work = tempDir('scimfaults');
  scim = new ScimProcess(path.join(work, 'scim.json'));
  await scim.start();
  proxy = new FaultProxy(scim.origin);
  await proxy.start();
});

afterAll(async () => {
  await proxy?.stop();
  await scim?.stop();
  await dir?.remove().catch(() => undefined);
  await ldap?.unbind();
});

describe('SCIM target faults', () => {
  it('429/500/timeouts/lost answers on 20 % of requests: converges with zero duplicates', async () => {
    const seed = suiteSeed('scim-faults');
    const r = prng(seed);
    const faults: readonly Fault[] = [
      { kind: 'status', status: 429, headers: { 'retry-after': '0' }, body: '{"detail":"slow down"}' },
      { kind: 'status', status: 429, headers: { 'retry-after': '1' }, body: '{"detail":"slow down"}' },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 503 },
      { kind: 'hang' },
      { kind: 'drop-after' },
      { kind: 'hang-after' },
    ];
    proxy.rule = () => (r.chance(0.2) ? r.pick(faults) : undefined);
    const file = config();
    const logStart = proxy.log.length;
    const rounds: { runs: number; exits: number[] }[] = [];

    // Three rounds of directory changes: everyone joins; some leave and some join; names change.
    const steps: (() => Promise<void>)[] = [
      () => setStaff([...persons.keys()].slice(0, 70)),
      () => setStaff([...[...persons.keys()].slice(5, 70), ...[...persons.keys()].slice(72, 80)]),
      async () => {
        for (const u of [...staff].slice(0, 20)) {
          const p = persons.get(u) as Person;
          p.displayName = `Renamed ${u}`;
          await dir.replace(u, 'displayName', p.displayName);
        }
      },
    ];
    for (const step of steps) {
      await step();
      const exits: number[] = [];
      // A run may end partial (an operation failed after all its retries); the next run finishes it.
      for (let run = 0; run < 4; run += 1) {
        const res = await runCli(['sync', '--json', '--config', file]);
        exits.push(res.code);
        expect([0, 5]).toContain(res.code);
        if (res.code === 0 && (await converged()).length === 0) break;
      }
      rounds.push({ runs: exits.length, exits });
      expect(await converged()).toEqual([]);
    }
    proxy.rule = () => undefined;
    const log = proxy.log.slice(logStart);
    const injected = log.filter((e) => e.fault).length;
    const dupes = (await converged()).filter((p) => p.startsWith('duplicate')).length;
    process.stdout.write(
      `[scim-faults] seed ${seed}: ${log.length} requests, ${injected} faults injected (${JSON.stringify(proxy.faults())}), ` +
        `rounds ${JSON.stringify(rounds)}, duplicates ${dupes}\n`,
    );
    expect(injected / log.length).toBeGreaterThan(0.12);
    expect(dupes).toBe(0);
  });

  it("one user's 400 and malformed answers fail only that user, with an error naming the user and the operation", async () => {
    const file = config({}, 'malformed.yaml');
    const newcomers = [...persons.keys()].slice(80, 82);
    const renamed = [...staff].slice(10, 14);
    for (const u of renamed) {
      const p = persons.get(u) as Person;
      p.displayName = `Malformed ${u}`;
      await dir.replace(u, 'displayName', p.displayName);
    }
    await setStaff([...staff, ...newcomers]);
    const targetIds = new Map((await scim.users()).map((u) => [u.id, u.userName]));
    // Creates are faulted before they reach the target; updates after (the change landed, the answer is junk).
    const createFaults: Record<string, Fault> = {
      [newcomers[0] as string]: {
        kind: 'status',
        status: 200,
        body: '<!DOCTYPE html><html><head><title>Login required</title></head><body>Please sign in</body></html>',
      },
      [newcomers[1] as string]: {
        kind: 'status',
        status: 400,
        headers: { 'content-type': 'application/scim+json' },
        body: JSON.stringify({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
          status: '400',
          scimType: 'invalidValue',
          detail: 'displayName is not allowed here',
        }),
      },
    };
    const patchFaults: Fault[] = [
      { kind: 'replace-body', status: 200, body: 'OK', contentType: 'text/plain' },
      { kind: 'replace-body', status: 200, body: '' },
      { kind: 'replace-body', status: 200, body: JSON.stringify({ schemas: ['x'], result: 'done' }) },
      {
        kind: 'status',
        status: 502,
        body: '<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>',
      },
    ];
    const patchFaultFor = new Map(renamed.map((u, i) => [u, patchFaults[i] as Fault]));
    proxy.rule = (req) => {
      if (req.method === 'POST') {
        const name = (JSON.parse(req.body) as { userName?: string }).userName ?? '';
        return createFaults[name];
      }
      if (req.method === 'PATCH') {
        const id = decodeURIComponent(req.path.split('/').pop() ?? '');
        return patchFaultFor.get(targetIds.get(id) ?? '');
      }
      return undefined;
    };
    const res = await runCli(['sync', '--json', '--config', file]);
    proxy.rule = () => undefined;
    expect(res.code).toBe(5);
    const report = JSON.parse(res.stdout) as Report;
    const byUser = new Map(report.operations.map((o) => [o.userName, o]));
    expect(byUser.get(newcomers[0] as string)).toMatchObject({
      kind: 'create',
      status: 'failed',
      error: expect.stringMatching(
        new RegExp(`^create of ${newcomers[0]}: POST /Users answered 200 with an unexpected body: HTML page: Login required`),
      ),
    });
    expect(byUser.get(newcomers[1] as string)).toMatchObject({
      status: 'failed',
      error: `create of ${newcomers[1]}: POST /Users answered 400: displayName is not allowed here`,
    });
    const expected = [
      /answered 200 with an unexpected body: OK$/,
      /answered 200 with an unexpected body: \(empty\)$/,
      /answered 200 with an unexpected body: \{"schemas":\["x"\],"result":"done"\}$/,
      /answered 502: HTML page: 502 Bad Gateway - nginx$/,
    ];
    renamed.forEach((u, i) => {
      const op = byUser.get(u);
      expect(op).toMatchObject({ kind: 'update', status: 'failed', code: expect.stringMatching(/^TARGET_/) });
      expect(op?.error).toMatch(new RegExp(`^update of ${u}: PATCH /Users/\\S+ `));
      expect(op?.error).toMatch(expected[i] as RegExp);
    });
    // Everything else in the run went through.
    expect(report.operations.filter((o) => o.status !== 'failed')).toEqual([]);
    // With the target healthy again, the next run finishes the job, without duplicates.
    const again = await runCli(['sync', '--json', '--config', file]);
    expect(again.code).toBe(0);
    expect(await converged()).toEqual([]);
  });

  it('holds the client-side rate limit whatever the concurrency', async () => {
    const file = config({ rateLimit: { requestsPerSecond: 8 }, concurrency: 8 }, 'rate.yaml');
    for (const u of [...staff].slice(0, 12)) {
      const p = persons.get(u) as Person;
      p.displayName = `Paced ${u}`;
      await dir.replace(u, 'displayName', p.displayName);
    }
    const start = proxy.log.length;
    const res = await runCli(['sync', '--json', '--config', file]);
    expect(res.code).toBe(0);
    const times = proxy.log.slice(start).map((e) => e.at);
    expect(times.length).toBeGreaterThanOrEqual(13);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    // 125 ms apart: some jitter of the two event loops is allowed on arrival, never a burst.
    expect(Math.min(...gaps)).toBeGreaterThan(95);
    const rate = (times.length - 1) / (((times.at(-1) as number) - (times[0] as number)) / 1000);
    expect(rate).toBeLessThanOrEqual(8.1);
    expect(await converged()).toEqual([]);
  });

  it('sends If-Match only when the target advertises ETags', async () => {
    const file = config({}, 'etag.yaml');
    const change = async (label: string): Promise<void> => {
      for (const u of [...staff].slice(0, 2)) {
        const p = persons.get(u) as Person;
        p.displayName = `${label} ${u}`;
        await dir.replace(u, 'displayName', p.displayName);
      }
    };
    // The dev target says etag.supported: false.
    await change('NoEtag');
    let start = proxy.log.length;
    expect((await runCli(['sync', '--config', file])).code).toBe(0);
    const plain = proxy.log.slice(start).filter((e) => e.method === 'PATCH');
    expect(plain).toHaveLength(2);
    expect(plain.every((e) => e.headers['if-match'] === undefined)).toBe(true);

    // The same target, advertised as supporting ETags: each PATCH carries the version just read.
    proxy.rule = (req) =>
      req.path.endsWith('/ServiceProviderConfig')
        ? {
            kind: 'replace-body',
            status: 200,
            body: JSON.stringify({ schemas: [], etag: { supported: true }, patch: { supported: true } }),
          }
        : undefined;
    await change('Etag');
    start = proxy.log.length;
    const res = await runCli(['sync', '--config', file]);
    proxy.rule = () => undefined;
    expect(res.code).toBe(0);
    const sent = proxy.log.slice(start);
    const patches = sent.filter((e) => e.method === 'PATCH');
    expect(patches).toHaveLength(2);
    for (const p of patches) {
      expect(p.headers['if-match']).toMatch(/^W\/"\d+"$/);
      const read = sent.find((e) => e.method === 'GET' && e.path === p.path && e.index < p.index);
      expect(read).toBeDefined();
    }
    expect(await converged()).toEqual([]);
  });

  it('contacts the target only when there is something to send: a no-op sync makes no request at all', async () => {
    const file = config({}, 'quiet.yaml');
    expect((await runCli(['sync', '--config', file])).code).toBe(0);
    expect(await converged()).toEqual([]);
    // Every request would fail: a run that needs the target would say so.
    proxy.rule = () => ({ kind: 'status', status: 503 });
    let start = proxy.log.length;
    const quiet = await runCli(['sync', '--json', '--config', file]);
    expect(quiet.code).toBe(0);
    expect((JSON.parse(quiet.stdout) as Report).outcome).toBe('success');
    expect(proxy.log.slice(start)).toEqual([]);
    expect(quiet.stderr).not.toContain('ServiceProviderConfig');

    // One change: the features are read first, then the change is sent.
    proxy.rule = () => undefined;
    const u = [...staff][0] as string;
    const p = persons.get(u) as Person;
    p.displayName = `Quiet ${u}`;
    await dir.replace(u, 'displayName', p.displayName);
    start = proxy.log.length;
    expect((await runCli(['sync', '--config', file])).code).toBe(0);
    const sent = proxy.log.slice(start).map((e) => `${e.method} ${e.path.replace(/\/Users\/.*/, '/Users/{id}')}`);
    expect(sent[0]).toMatch(/^GET .*\/ServiceProviderConfig$/);
    expect(sent).toContain('PATCH /scim/v2/Users/{id}');
    expect(await converged()).toEqual([]);
  });
});
