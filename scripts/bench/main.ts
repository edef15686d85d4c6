/**
 * `npm run bench`: dirsync against raw baselines at N users (default 100,000), plus 10,000 for
 * RSS growth. A private slapd (DIRSYNC_RUN_DIR=/tmp/dirsync-bench, ports 4389/4636, never the
 * shared test instance) is loaded offline with slapadd; a private SCIM target runs per case.
 *
 *   npm run bench -- [--users N] [--runs 5] [--slow-runs K] [--concurrency 8] [--no-scale] [--profile] [--read-only]
 *
 * --read-only: only A0, A and a plan of an initial sync (no target, no sync), for sizes whose
 * initial sync would take hours here (1M users).
 *
 * B, the initial sync and the initial sync with Bulk run in interleaved rounds (--slow-runs of
 * them), and so do A and the no-op resync (--runs); each round's ratio is printed, and their
 * medians are the fair comparison on a machine whose speed drifts.
 *
 * Prints a table and writes bench-results/bench-<timestamp>.json.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openSqlite } from '../../src/state/sqlite';
import { Client, Attribute, Change } from 'ldapts';
import { stringify } from 'yaml';
import { PEOPLE, uidOf, userDn, writeBenchLdif, type BenchDirectory } from './ldif';
import { BenchScimTarget, REPO_ROOT, script, timed, type Timed } from './processes';
import { summarizePhases, summarizeProfile, type PhaseLine, type ProfileLine } from './profile';

const RUN_DIR = '/tmp/dirsync-bench';
const LDAP_PORT = 4389;
const LDAPS_PORT = 4636;
const LDAP_URL = `ldap://127.0.0.1:${LDAP_PORT}`;
const ADMIN_DN = 'cn=admin,dc=example,dc=org';
const ADMIN_PW = 'admin-secret';
const TOKEN = 'bench-token';
const FILTER = '(objectClass=inetOrgPerson)';
const PAGE_SIZE = 1000;
/** What dirsync's users search asks for on OpenLDAP with this config (read.ts userAttributes). */
const USER_ATTRIBUTES = ['entryUUID', 'mail', 'givenName', 'sn', 'displayName', 'uid', 'entryCSN'];
const ENV = { DIRSYNC_BIND_PASSWORD: ADMIN_PW, DIRSYNC_SCIM_TOKEN: TOKEN };
const CLI = path.join(REPO_ROOT, 'dist/src/cli/main.js');

interface Case {
  readonly name: string;
  readonly runs: number;
  readonly medianSeconds: number;
  readonly seconds: readonly number[];
  readonly peakRssMb: number;
  /** Entries (directory) or users (target) per second, from the median. */
  readonly rate?: number;
  readonly detail?: Record<string, number | string>;
}

interface SizeResult {
  readonly users: number;
  readonly directory: BenchDirectory;
  readonly loadSeconds: number;
  readonly cases: Record<string, Case>;
  readonly ratios: Record<string, number>;
  readonly profile?: readonly ProfileLine[];
  /** The same profile by phase of the run (profile.ts summarizePhases). */
  readonly profilePhases?: readonly PhaseLine[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function toCase(name: string, samples: readonly Timed[], count?: number, detail?: Record<string, number | string>): Case {
  const seconds = samples.map((s) => s.seconds);
  const medianSeconds = median(seconds);
  return {
    name,
    runs: samples.length,
    medianSeconds,
    seconds,
    peakRssMb: Math.max(...samples.map((s) => s.rssMb)),
    ...(count === undefined ? {} : { rate: count / medianSeconds }),
    ...(detail ? { detail } : {}),
  };
}

/** Per-round figures, as the JSON's detail and the printout show them. */
function listed(values: readonly number[]): string {
  return values.map((v) => v.toFixed(3)).join(' ');
}

async function repeat(times: number, fn: (i: number) => Promise<Timed>): Promise<Timed[]> {
  const out: Timed[] = [];
  for (let i = 0; i < times; i += 1) out.push(await fn(i));
  return out;
}

function writeConfig(dir: string, directory: BenchDirectory, scimUrl: string, concurrency: number): string {
  const config = {
    directory: {
      type: 'openldap',
      url: LDAP_URL,
      allowInsecure: true,
      bindDn: ADMIN_DN,
      bindPassword: '${env:DIRSYNC_BIND_PASSWORD}',
      pageSize: PAGE_SIZE,
      users: { baseDns: [PEOPLE], filter: FILTER },
      groups: directory.mapped.map((g, i) => ({
        dn: g.dn,
        role: i % 2 ? 'User' : 'Publisher',
        userType: i % 2 ? 'Viewer' : 'Creator',
        ...(g.nested ? { nested: true } : {}),
      })),
    },
    target: { url: scimUrl, token: '${env:DIRSYNC_SCIM_TOKEN}', concurrency },
    state: { path: path.join(dir, 'state.db') },
    reports: { dir: path.join(dir, 'reports'), keepDays: 1 },
  };
  const file = path.join(dir, 'connector.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

/** The last run's counts, from the state database (the CLI's report on stdout is discarded). */
function lastRun(dir: string): { outcome: string; counts: Record<string, number> } {
  const db = openSqlite(path.join(dir, 'state.db'), { readonly: true });
  try {
    const row = db.prepare('SELECT outcome, counts FROM runs ORDER BY started_at DESC LIMIT 1').get() as {
      outcome: string;
      counts: string;
    };
    return { outcome: row.outcome, counts: JSON.parse(row.counts) as Record<string, number> };
  } finally {
    db.close();
  }
}

async function sync(dir: string, config: string, extra: readonly string[], nodeFlags: readonly string[] = []): Promise<Timed> {
  const result = await timed(process.execPath, [...nodeFlags, CLI, 'sync', '--config', config, '-q', ...extra], ENV, false);
  const run = lastRun(dir);
  if (run.outcome !== 'success') throw new Error(`sync ${extra.join(' ')} ended ${run.outcome}: ${JSON.stringify(run.counts)}`);
  return { ...result, stdout: JSON.stringify(run.counts) };
}

/** Baseline A once: the bare ldapts paged-search loop over the users. */
function baselineA(): Promise<Timed> {
  return timed(
    process.execPath,
    [
      path.join(REPO_ROOT, 'dist/scripts/bench/baseline-ldap.js'),
      LDAP_URL,
      PEOPLE,
      FILTER,
      String(PAGE_SIZE),
      ...USER_ATTRIBUTES,
    ],
    ENV,
  );
}

/**
 * Baseline B once, into a fresh target: the POST loop's own seconds, without node's start-up
 * (the stricter baseline).
 */
async function baselineB(dir: string, users: number, concurrency: number): Promise<Timed> {
  const t = await BenchScimTarget.start(path.join(dir, 'baseline-b.db'), TOKEN);
  try {
    const result = await timed(
      process.execPath,
      [path.join(REPO_ROOT, 'dist/scripts/bench/baseline-scim.js'), t.url, String(users), String(concurrency)],
      ENV,
    );
    const parsed = JSON.parse(result.stdout) as { failed: number; seconds: number };
    if (parsed.failed > 0) throw new Error(`baseline B: ${parsed.failed} POSTs failed`);
    return { ...result, seconds: parsed.seconds };
  } finally {
    await t.stop();
  }
}

/** Changes the displayName of every 100th user (1 %), so a delta has exactly that to read. */
async function changeOnePercent(users: number, round: number): Promise<number> {
  const client = new Client({ url: LDAP_URL });
  await client.bind(ADMIN_DN, ADMIN_PW);
  let changed = 0;
  try {
    for (let i = round % 100; i < users; i += 100) {
      await client.modify(
        userDn(i),
        new Change({
          operation: 'replace',
          modification: new Attribute({ type: 'displayName', values: [`${uidOf(i)} r${round}`] }),
        }),
      );
      changed += 1;
    }
  } finally {
    await client.unbind();
  }
  return changed;
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function benchSize(users: number, o: Options): Promise<SizeResult> {
  const dir = path.join(RUN_DIR, `n${users}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const ldif = path.join(dir, 'directory.ldif');
  log(`${users} users: writing ${ldif}`);
  const directory = await writeBenchLdif(ldif, users);
  const ldapEnv = {
    DIRSYNC_RUN_DIR: RUN_DIR,
    DIRSYNC_LDAP_PORT: String(LDAP_PORT),
    DIRSYNC_LDAPS_PORT: String(LDAPS_PORT),
    DIRSYNC_OPENLDAP_SEED: ldif,
  };
  const loadStarted = performance.now();
  await script('scripts/openldap.sh', ['reseed'], ldapEnv);
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const cases: Record<string, Case> = {};
  let target: BenchScimTarget | undefined;
  try {
    log('A0: ldapsearch -E pr=1000/noprompt');
    const a0 = await repeat(o.runs, () =>
      timed(
        'sh',
        [
          '-c',
          `ldapsearch -x -LLL -H ${LDAP_URL} -D '${ADMIN_DN}' -w '${ADMIN_PW}' -b '${PEOPLE}' -E pr=${PAGE_SIZE}/noprompt '${FILTER}' ${USER_ATTRIBUTES.join(' ')} >/dev/null`,
        ],
        {},
      ),
    );
    cases['A0'] = toCase('A0 ldapsearch paged (C client)', a0, users);

    log('A: bare ldapts paged search');
    const a = await repeat(o.runs, baselineA);
    cases['A'] = toCase('A  ldapts paged-search loop', a, users);

    log('plan of an initial sync (every user a create; the target is not contacted)');
    const planDir = path.join(dir, 'plan');
    mkdirSync(planDir, { recursive: true });
    const planConfig = writeConfig(planDir, directory, 'http://127.0.0.1:9/scim/v2', o.concurrency);
    const planned = await repeat(o.runs, () => {
      for (const s of ['', '-wal', '-shm']) rmSync(path.join(planDir, `state.db${s}`), { force: true });
      return timed(process.execPath, [CLI, 'plan', '--config', planConfig, '-q'], ENV, false);
    });
    cases['planInitial'] = toCase('plan of an initial sync', planned, users);
    if (o.readOnly) {
      return {
        users,
        directory,
        loadSeconds,
        cases,
        ratios: {
          AOverA0: cases['A'].medianSeconds / cases['A0'].medianSeconds,
          planInitialOverA: cases['planInitial'].medianSeconds / cases['A'].medianSeconds,
        },
      };
    }

    // B, the initial sync and the initial sync with Bulk take turns, round by round: this shared
    // machine's speed drifts over minutes, and a ratio is only fair between runs that met the
    // same drift. Each round's ratio is kept; their median is the figure to judge.
    log(`B, initial sync, initial sync with Bulk: ${o.slowRuns} interleaved round(s) at concurrency ${o.concurrency}`);
    const b: Timed[] = [];
    const initial: Timed[] = [];
    const initialBulk: Timed[] = [];
    let config = '';
    const bulkDir = path.join(dir, 'bulk');
    for (let round = 0; round < o.slowRuns; round += 1) {
      b.push(await baselineB(dir, users, o.concurrency));
      await target?.stop();
      rmSync(path.join(dir, 'state.db'), { force: true });
      for (const s of ['-wal', '-shm']) rmSync(path.join(dir, `state.db${s}`), { force: true });
      target = await BenchScimTarget.start(path.join(dir, 'target.db'), TOKEN);
      config = writeConfig(dir, directory, target.url, o.concurrency);
      initial.push(await sync(dir, config, []));
      rmSync(bulkDir, { recursive: true, force: true });
      mkdirSync(bulkDir, { recursive: true });
      const bulkTarget = await BenchScimTarget.start(path.join(bulkDir, 'target.db'), TOKEN, ['--bulk']);
      try {
        initialBulk.push(await sync(bulkDir, writeConfig(bulkDir, directory, bulkTarget.url, o.concurrency), []));
      } finally {
        await bulkTarget.stop();
      }
      log(
        `  round ${round + 1}: B ${b[round]?.seconds.toFixed(1)} s, initial ${initial[round]?.seconds.toFixed(1)} s, with Bulk ${initialBulk[round]?.seconds.toFixed(1)} s`,
      );
    }
    cases['B'] = toCase('B  SCIM POST loop (raw ingest)', b, users);
    const created = (JSON.parse(initial[0]?.stdout ?? '{}') as Record<string, number>)['applied'] ?? 0;
    const bulkCounts = JSON.parse(initialBulk[0]?.stdout ?? '{}') as Record<string, number>;
    // Each round's rate over B's rate in that round: B's seconds over the sync's, per user created.
    const byRound = (runs: readonly Timed[], count: number): number[] =>
      runs.map((r, i) => ((b[i]?.seconds ?? 0) / r.seconds) * (count / users));
    const initialRounds = byRound(initial, created);
    const bulkRounds = byRound(initialBulk, bulkCounts['applied'] ?? 0);
    cases['initial'] = toCase('initial full sync (creates)', initial, created, { created, overBByRound: listed(initialRounds) });
    cases['initialBulk'] = toCase('initial full sync, SCIM Bulk', initialBulk, bulkCounts['applied'] ?? 0, {
      created: bulkCounts['applied'] ?? 0,
      apiRequests: bulkCounts['apiRequests'] ?? 0,
      overBByRound: listed(bulkRounds),
    });

    // Like B and the initial sync, A and the no-op take turns, and each round's ratio is kept.
    log(`A and the no-op resync: ${o.runs} interleaved round(s)`);
    const aRounds: Timed[] = [];
    const noop: Timed[] = [];
    for (let round = 0; round < o.runs; round += 1) {
      aRounds.push(await baselineA());
      noop.push(await sync(dir, config, []));
    }
    const noopCounts = JSON.parse(noop[0]?.stdout ?? '{}') as Record<string, number>;
    const noopRounds = noop.map((r, i) => r.seconds / (aRounds[i]?.seconds ?? 1));
    cases['noop'] = toCase('no-op resync', noop, users, {
      applied: noopCounts['applied'] ?? 0,
      aSecondsByRound: listed(aRounds.map((r) => r.seconds)),
      overAByRound: listed(noopRounds),
    });

    log('delta sync after changing 1 % of users');
    const deltaEntries: number[] = [];
    let changed = 0;
    const delta = await repeat(o.runs, async (i) => {
      changed = await changeOnePercent(users, i + 1);
      const t = await sync(dir, config, ['--delta']);
      const counts = JSON.parse(t.stdout) as Record<string, number>;
      deltaEntries.push(counts['entriesRead'] ?? -1);
      if ((counts['applied'] ?? 0) !== changed) throw new Error(`delta applied ${counts['applied']} of ${changed} changes`);
      return t;
    });
    cases['delta'] = toCase('delta sync, 1 % changed', delta, undefined, {
      changed,
      entriesReadMedian: median(deltaEntries),
    });

    let profile: ProfileLine[] | undefined;
    let profilePhases: PhaseLine[] | undefined;
    if (o.profile) {
      log('CPU profile of a no-op resync');
      const profDir = path.join(REPO_ROOT, 'bench-results', `profile-${users}`);
      rmSync(profDir, { recursive: true, force: true });
      // After the delta runs: one no-op first, so the profiled one is like those measured (the
      // delta cleared the scope's digest, and the first full sync after it compares in full).
      await sync(dir, config, []);
      await sync(dir, config, [], ['--cpu-prof', '--cpu-prof-dir', profDir]);
      profile = summarizeProfile(profDir, 20);
      profilePhases = summarizePhases(profDir);
    }

    const bRate = cases['B'].rate ?? 0;
    const ratios: Record<string, number> = {
      noopOverA: cases['noop'].medianSeconds / cases['A'].medianSeconds,
      noopOverAByRound: median(noopRounds),
      noopOverA0: cases['noop'].medianSeconds / cases['A0'].medianSeconds,
      AOverA0: cases['A'].medianSeconds / cases['A0'].medianSeconds,
      planInitialOverA: cases['planInitial'].medianSeconds / cases['A'].medianSeconds,
      initialRateOverB: (cases['initial'].rate ?? 0) / bRate,
      initialBulkRateOverB: (cases['initialBulk'].rate ?? 0) / bRate,
      initialOverBByRound: median(initialRounds),
      initialBulkOverBByRound: median(bulkRounds),
      deltaEntriesOverChanged: median(deltaEntries) / changed,
    };
    return {
      users,
      directory,
      loadSeconds,
      cases,
      ratios,
      ...(profile ? { profile } : {}),
      ...(profilePhases ? { profilePhases } : {}),
    };
  } finally {
    await target?.stop();
    await script('scripts/openldap.sh', ['stop'], ldapEnv);
  }
}

function printSize(r: SizeResult): void {
  const rows = Object.values(r.cases).map((c) => [
    c.name,
    String(c.runs),
    c.medianSeconds.toFixed(2),
    c.rate === undefined ? '' : Math.round(c.rate).toLocaleString('en'),
    c.peakRssMb.toFixed(0),
  ]);
  const head = ['case', 'runs', 'median s', 'per s', 'peak RSS MB'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  process.stdout.write(
    `\n${r.users.toLocaleString('en')} users, ${r.directory.groups} groups, ${r.directory.memberValues.toLocaleString('en')} member values (slapadd + start ${r.loadSeconds.toFixed(1)} s)\n`,
  );
  process.stdout.write(`${line(head)}\n${rows.map(line).join('\n')}\n`);
  for (const [k, v] of Object.entries(r.ratios)) process.stdout.write(`  ${k.padEnd(24)} ${v.toFixed(3)}\n`);
  for (const k of ['initial', 'initialBulk']) {
    const rounds = r.cases[k]?.detail?.['overBByRound'];
    if (rounds !== undefined) process.stdout.write(`  ${k} rate over B, round by round: ${rounds}\n`);
  }
  const noopRounds = r.cases['noop']?.detail?.['overAByRound'];
  if (noopRounds !== undefined) process.stdout.write(`  noop time over A, round by round: ${noopRounds}\n`);
  const delta = r.cases['delta']?.detail;
  if (delta) process.stdout.write(`  delta: ${delta['changed']} changed, ${delta['entriesReadMedian']} user entries read\n`);
  if (r.profilePhases) {
    process.stdout.write('  no-op resync CPU profile, by phase:\n');
    for (const p of r.profilePhases)
      process.stdout.write(`    ${p.ms.toFixed(0).padStart(6)} ms ${p.percent.toFixed(1).padStart(5)} %  ${p.phase}\n`);
  }
  if (r.profile) {
    process.stdout.write('  no-op resync CPU profile, top self time:\n');
    for (const p of r.profile)
      process.stdout.write(
        `    ${p.selfMs.toFixed(0).padStart(6)} ms ${p.percent.toFixed(1).padStart(5)} %  ${p.fn}  ${p.where}\n`,
      );
  }
}

interface Options {
  readonly users: number;
  readonly runs: number;
  readonly slowRuns: number;
  readonly concurrency: number;
  readonly scale: boolean;
  readonly profile: boolean;
  /** Only the directory baselines and a plan: no target, no sync (for sizes like 1M users). */
  readonly readOnly: boolean;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '100000' },
      runs: { type: 'string', default: '5' },
      'slow-runs': { type: 'string' },
      concurrency: { type: 'string', default: '8' },
      'no-scale': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'read-only': { type: 'boolean', default: false },
    },
  });
  const users = Number(values.users);
  return {
    users,
    runs: Number(values.runs),
    // Creating 100k accounts takes over a minute per run; three still give a median.
    slowRuns: values['slow-runs'] === undefined ? 3 : Number(values['slow-runs']),
    concurrency: Number(values.concurrency),
    scale: !values['no-scale'],
    profile: values.profile,
    readOnly: values['read-only'],
  };
}

async function main(): Promise<void> {
  const o = options();
  const sizes = o.scale && o.users > 10_000 ? [10_000, o.users] : [o.users];
  const results: SizeResult[] = [];
  for (const users of sizes) {
    const r = await benchSize(users, {
      ...o,
      slowRuns: users === o.users ? o.slowRuns : 3,
      profile: o.profile && users === o.users,
    });
    printSize(r);
    results.push(r);
  }
  const growth =
    results.length === 2
      ? Object.fromEntries(
          Object.keys(results[1]?.cases ?? {}).map((k) => [
            k,
            (results[1]?.cases[k]?.peakRssMb ?? 0) / (results[0]?.cases[k]?.peakRssMb ?? 1),
          ]),
        )
      : undefined;
  if (growth) {
    process.stdout.write(`\npeak RSS growth ${sizes[0]} -> ${sizes[1]} users (x${(sizes[1] ?? 0) / (sizes[0] ?? 1)} users):\n`);
    for (const [k, v] of Object.entries(growth)) process.stdout.write(`  ${k.padEnd(8)} x${v.toFixed(2)}\n`);
  }
  if (!sizes.includes(1_000_000))
    process.stdout.write(
      '1M users: not run by default (`--users 1000000 --no-scale --read-only --runs 3`: baselines and a plan)\n',
    );
  const out = path.join(REPO_ROOT, 'bench-results');
  mkdirSync(out, { recursive: true });
  const file = path.join(out, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const document = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: (await import('node:os')).cpus().length,
    options: o,
    results,
    rssGrowth: growth,
  };
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
  writeFileSync(path.join(out, 'latest.json'), `${JSON.stringify(document, null, 2)}\n`);
  process.stdout.write(`\nwritten: ${file}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
