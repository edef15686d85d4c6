/**
 * kill -9 of `dirsync sync` at random points, each followed by a clean run: zero duplicates,
 * zero lost operations, the target equals the directory. Half the kills are timed at random
 * over a run's length; the other half land exactly when the target has applied the k-th change
 * but before dirsync hears the answer (the window in which a create could be duplicated).
 * Seeded: the seed is printed, DIRSYNC_FAULT_SEED=<seed> replays a failure.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from 'ldapts';
import { openldapConfig, runCli, tempDir, writeConfig } from '../support/cli';
import { startCli, type RunningCli } from '../support/cli-process';
import { convergenceProblems, type GroupMapping } from '../support/convergence';
import { FaultProxy } from '../support/fault-proxy';
import { openldapAdmin } from '../support/ldap';
import { GeneratedDirectory, person, type Person } from '../support/people';
import { prng, suiteSeed, type Prng } from '../support/prng';
import { ScimProcess } from '../support/scim';
import { inspectState } from '../support/state-db';

jest.setTimeout(150_000);

const RUNS = 22;
const MAPPINGS: readonly GroupMapping[] = [
  { cn: 'admins', role: 'Publisher', userType: 'Creator' },
  { cn: 'staff', role: 'User', userType: 'Viewer' },
];

let ldap: Client;
let dir: GeneratedDirectory;
let scim: ScimProcess;
let proxy: FaultProxy;
let configFile: string;
let statePath: string;
const persons = new Map<string, Person>();
const membership = new Map<string, Set<string>>([
  ['admins', new Set<string>()],
  ['staff', new Set<string>()],
]);
/** In scope at a run that completed: each must have an account for good. */
const everInScope = new Set<string>();
/** In scope while a run was killed: it may have been created before the kill, or not. */
const inScopeWhileKilled = new Set<string>();
let nextId = 0;
let edits = 0;
/** A whole sync's duration, measured by the first run; random kills are spread over it. */
let baselineMs = 1500;

function uid(n: number): string {
  return `user.${String(n).padStart(3, '0')}`;
}

function noteScope(into: Set<string> = everInScope): void {
  for (const set of membership.values()) for (const u of set) into.add(u);
}

/** A few random directory changes that give the next run creates, updates, deactivations and reactivations. */
async function mutate(r: Prng): Promise<void> {
  const count = r.int(3, 8);
  for (let i = 0; i < count; i += 1) {
    const uids = [...persons.keys()];
    switch (r.int(0, 4)) {
      case 0: {
        const p = person(uid(nextId), nextId);
        nextId += 1;
        await dir.addPerson(p);
        persons.set(p.uid, p);
        const staff = membership.get('staff') as Set<string>;
        staff.add(p.uid);
        await dir.setMembers('staff', [...staff]);
        break;
      }
      case 1:
      case 2: {
        const cn = r.chance(0.7) ? 'staff' : 'admins';
        const set = membership.get(cn) as Set<string>;
        const u = r.pick(uids);
        if (set.has(u)) set.delete(u);
        else set.add(u);
        await dir.setMembers(cn, [...set]);
        break;
      }
      default: {
        const p = persons.get(r.pick(uids)) as Person;
        edits += 1;
        if (r.chance(0.5)) {
          p.displayName = `Renamed ${edits} ${p.uid}`;
          await dir.replace(p.uid, 'displayName', p.displayName);
        } else {
          p.mail = `${p.uid}.v${edits}@example.org`;
          await dir.replace(p.uid, 'mail', p.mail);
        }
      }
    }
  }
}

beforeAll(async () => {
  ldap = await openldapAdmin();
  dir = new GeneratedDirectory(ldap, 'kill9');
  for (; nextId < 24; nextId += 1) persons.set(uid(nextId), person(uid(nextId), nextId));
  for (let i = 0; i < 18; i += 1) membership.get('staff')?.add(uid(i));
  for (let i = 15; i < 21; i += 1) membership.get('admins')?.add(uid(i));
  await dir.create([...persons.values()], {
    admins: [...(membership.get('admins') ?? [])],
    staff: [...(membership.get('staff') ?? [])],
  });

  const work = tempDir('kill9');
  scim = new ScimProcess(path.join(work, 'scim.json'));
  await scim.start();
  proxy = new FaultProxy(scim.origin);
  await proxy.start();
  statePath = path.join(work, 'state.db');
  configFile = writeConfig(work, {
    ...openldapConfig({
      base: dir.base,
      scimUrl: `${proxy.origin}/scim/v2`,
      groups: MAPPINGS.map((m) => ({ dn: dir.group(m.cn), role: m.role, userType: m.userType })),
      // A paced apply spreads a run over time, so that random kills land inside it.
      extraTarget: {
        concurrency: 3,
        rateLimit: { requestsPerSecond: 60 },
        retry: { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 200 },
      },
      statePath,
    }),
    // This suite is about crashes, not the mass-change guard.
    guard: { deactivations: { maxCount: 1000, maxPercent: 100 } },
  });
});

afterAll(async () => {
  await proxy?.stop();
  await scim?.stop();
  await dir?.remove().catch(() => undefined);
  await ldap?.unbind();
});

interface SyncJson {
  outcome: string;
  counts: Record<string, number>;
  resumed: { runs: string[]; operations: number; done: number };
}

async function checkConverged(label: string): Promise<void> {
  const problems = convergenceProblems(await scim.users(), persons, membership, MAPPINGS, everInScope, inScopeWhileKilled);
  if (problems.length > 0) throw new Error(`${label}: ${problems.map((p) => `${p.kind}: ${p.detail}`).join('\n')}`);
  const state = inspectState(statePath);
  expect(state.journal.pending ?? 0).toBe(0);
  expect(state.runs.filter((r) => r.outcome === 'running')).toEqual([]);
}

describe('kill -9 at random points, then a clean run', () => {
  it('first sync converges (and measures how long a run takes)', async () => {
    const started = performance.now();
    const res = await runCli(['sync', '--json', '--config', configFile]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    noteScope();
    await checkConverged('first sync');
    baselineMs = performance.now() - started;
  });

  it(`${RUNS} killed runs each followed by a clean run: no duplicates, nothing lost, target equals directory`, async () => {
    const seed = suiteSeed('kill9');
    const r = prng(seed);
    const figures = {
      runs: 0,
      killedMidRun: 0,
      byTimer: 0,
      byTargetAnswer: 0,
      finishedBeforeKill: 0,
      resumedOps: 0,
      interruptedRuns: 0,
    };
    for (let i = 0; i < RUNS; i += 1) {
      await mutate(r);
      // Who the killed run sees in scope: created before the kill, or not at all.
      noteScope(inScopeWhileKilled);
      const mutatingBefore = proxy.log.filter((e) => e.method !== 'GET').length;
      const byAnswer = i % 2 === 1;
      // The hook below is installed before the process starts, so it reaches it through this box.
      const running: { cli?: RunningCli } = {};
      if (byAnswer) {
        // Kill when the target has applied the k-th change of this run, before dirsync hears of it.
        const k = r.int(1, 4);
        let seen = 0;
        proxy.onUpstreamAnswer = (req) => {
          if (req.method === 'GET') return;
          seen += 1;
          if (seen === k) running.cli?.kill9();
        };
      }
      const cli = startCli(['sync', '--json', '--config', configFile]);
      running.cli = cli;
      if (!byAnswer) {
        const delay = r.int(150, Math.max(300, Math.round(baselineMs)));
        void sleep(delay).then(() => cli.kill9());
      }
      const killed = await cli.done;
      proxy.onUpstreamAnswer = undefined;
      figures.runs += 1;
      const mutatingSent = proxy.log.filter((e) => e.method !== 'GET').length - mutatingBefore;
      if (killed.signal === 'SIGKILL') {
        figures.killedMidRun += 1;
        if (byAnswer) figures.byTargetAnswer += 1;
        else figures.byTimer += 1;
      } else {
        figures.finishedBeforeKill += 1;
        expect([0, 5]).toContain(killed.code);
      }
      // Sometimes the directory moves on before the clean run: resumed work may be stale.
      if (r.chance(0.3)) await mutate(r);
      const cleanStarted = performance.now();
      const clean = await runCli(['sync', '--json', '--config', configFile]);
      // Everyone in scope for the clean run has an account from now on.
      noteScope();
      // The next kill is spread over what a run of about this size takes.
      baselineMs = performance.now() - cleanStarted;
      if (clean.code !== 0) throw new Error(`run ${i} (seed ${seed}): clean sync exited ${clean.code}: ${clean.stderr}`);
      const report = JSON.parse(clean.stdout) as SyncJson;
      figures.resumedOps += report.resumed.operations;
      figures.interruptedRuns += report.resumed.runs.length;
      await checkConverged(`run ${i} (seed ${seed}, ${mutatingSent} changes sent before the kill)`);
    }
    process.stdout.write(`[kill9] seed ${seed}: ${JSON.stringify(figures)}; duplicates 0, lost operations 0\n`);
    expect(figures.runs).toBe(RUNS);
    // The suite proves something only if most kills landed inside a run.
    expect(figures.killedMidRun).toBeGreaterThanOrEqual(Math.ceil(RUNS / 3));
    expect(figures.resumedOps).toBeGreaterThan(0);
  });
});
