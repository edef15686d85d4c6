/**
 * SIGINT while a run is sending: the long-running daemon (`dirsync start`, not --once) is
 * interrupted while a create is in flight to a slowed SCIM target. It lets that operation finish
 * and be recorded, leaves what it did not send in the journal, and exits 0; the next start
 * resumes and the target ends with every user exactly once.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import type { Client } from 'ldapts';
import { openldapConfig, runCli, tempDir, writeConfig } from './support/cli';
import { startCli } from './support/cli-process';
import { loadOpenldapFixture, openldapAdmin, type Fixture } from './support/ldap';
import { ScimProcess } from './support/scim';
import { openSqlite } from '../../src/state/sqlite';

jest.setTimeout(60_000);

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * A proxy in front of the SCIM target that forwards every request, then holds the answer to a
 * changing one for `delayMs`: the change has landed on the target, the client does not know yet.
 */
class SlowProxy {
  delayMs = 0;
  /** Changing requests received and not answered yet. */
  inFlight = 0;
  /** Changing requests the target accepted (2xx), and those whose answer reached the client. */
  landed = 0;
  relayed = 0;
  #server: Server | undefined;
  origin = '';

  constructor(readonly upstream: string) {}

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.#handle(req, res).catch(() => res.destroy()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const method = req.method ?? 'GET';
    const mutating = MUTATING.has(method);
    if (mutating) this.inFlight += 1;
    try {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === 'string' && !['host', 'connection', 'content-length', 'keep-alive'].includes(k)) headers[k] = v;
      }
      const upstream = await request(`${this.upstream}${req.url ?? '/'}`, {
        method: method as 'GET',
        headers,
        body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      });
      const body = Buffer.from(await upstream.body.arrayBuffer());
      if (mutating && upstream.statusCode < 300) this.landed += 1;
      if (mutating && this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(upstream.headers)) {
        if (typeof v === 'string' && !['connection', 'keep-alive', 'transfer-encoding'].includes(k)) out[k] = v;
      }
      res.writeHead(upstream.statusCode, out);
      await new Promise<void>((resolve) => res.end(body, () => resolve()));
      if (mutating) this.relayed += 1;
    } finally {
      if (mutating) this.inFlight -= 1;
    }
  }
}

interface JournalRow {
  external_id: string;
  kind: string;
  status: string;
}

function stateOf(file: string): {
  journal: JournalRow[];
  snapshot: string[];
  runs: { outcome: string; message: string | null }[];
} {
  const db = openSqlite(file, { readonly: true, fileMustExist: true });
  try {
    return {
      journal: db.prepare('SELECT external_id, kind, status FROM journal ORDER BY run_id, seq').all() as JournalRow[],
      snapshot: (db.prepare('SELECT external_id FROM snapshot').all() as { external_id: string }[]).map((r) => r.external_id),
      runs: db.prepare('SELECT outcome, message FROM runs ORDER BY started_at, id').all() as {
        outcome: string;
        message: string | null;
      }[],
    };
  } finally {
    db.close();
  }
}

async function waitFor(what: string, probe: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let ldap: Client;
let fx: Fixture;
let scim: ScimProcess;
let proxy: SlowProxy;

beforeAll(async () => {
  ldap = await openldapAdmin();
  fx = await loadOpenldapFixture(ldap, 'sigint');
  const dir = tempDir('daemon-sigint-scim');
  scim = new ScimProcess(path.join(dir, 'scim.json'));
  await scim.start();
  proxy = new SlowProxy(scim.origin);
  await proxy.start();
});

afterAll(async () => {
  await proxy?.stop();
  await scim?.stop();
  await ldap?.unbind();
});

it('SIGINT during a run: the create in flight finishes and is recorded, exit 0, and the next start completes without duplicates', async () => {
  const dir = tempDir('daemon-sigint');
  const statePath = path.join(dir, 'state.db');
  const doc = openldapConfig({
    base: fx.base,
    scimUrl: `${proxy.origin}/scim/v2`,
    groups: [
      { dn: fx.group('engineering'), role: 'Publisher', userType: 'Creator' },
      { dn: fx.group('sales'), role: 'User', userType: 'Viewer' },
    ],
    statePath,
  });
  const file = writeConfig(dir, {
    ...doc,
    target: { ...(doc.target as Record<string, unknown>), concurrency: 1 },
    reports: { dir: path.join(dir, 'reports') },
    daemon: { schedule: '* * * * * *', fullSchedule: '0 0 1 1 *' },
  });

  // Each create takes 600 ms to be answered: 14 of them keep the run sending for about 8 s.
  proxy.delayMs = 600;
  const daemon = startCli(['start', '--config', file]);
  try {
    // The third create is on the target and its answer is held: the run is mid-operation.
    await waitFor('a create in flight after two confirmed ones', () => proxy.relayed >= 2 && proxy.landed === proxy.relayed + 1);
    daemon.child.kill('SIGINT');
  } catch (err) {
    daemon.kill9();
    throw err;
  }
  const timer = setTimeout(() => daemon.kill9(), 20_000);
  const done = await daemon.done;
  clearTimeout(timer);

  expect(done.signal).toBeNull();
  expect(done.code).toBe(0);
  expect(done.stderr).toMatch(/signal received signal=SIGINT/);
  expect(done.stderr).toMatch(/stopping: finishing the operation in flight/);
  expect(done.stderr).toMatch(/daemon stopped/);
  // The held answer reached the daemon before it exited, and nothing was sent after it.
  expect(proxy.inFlight).toBe(0);
  expect(proxy.relayed).toBe(proxy.landed);

  const onTarget = await scim.users();
  const state = stateOf(statePath);
  // Every create that landed has its outcome recorded: journal done and in the snapshot.
  const done_ = state.journal.filter((j) => j.status === 'done').map((j) => j.external_id);
  expect(onTarget.length).toBe(proxy.landed);
  expect(new Set(done_)).toEqual(new Set(onTarget.map((u) => u.externalId)));
  expect(new Set(state.snapshot)).toEqual(new Set(onTarget.map((u) => u.externalId)));
  // The rest was never sent: it waits in the journal, and no entry is anything but done or pending.
  const pending = state.journal.filter((j) => j.status === 'pending');
  expect(pending.length).toBe(14 - onTarget.length);
  expect(pending.length).toBeGreaterThan(0);
  expect(state.journal.every((j) => j.status === 'done' || j.status === 'pending')).toBe(true);
  expect(state.runs.at(-1)?.message ?? '').toMatch(/dirsync is stopping/);

  // The next start resumes: each user exactly once, nothing left in the journal.
  proxy.delayMs = 0;
  const resumed = await runCli(['start', '--once', '--config', file]);
  expect(resumed.code).toBe(0);
  const users = await scim.users();
  expect(users).toHaveLength(14);
  expect(new Set(users.map((u) => u.userName)).size).toBe(14);
  expect(new Set(users.map((u) => u.externalId)).size).toBe(14);
  const after = stateOf(statePath);
  expect(after.journal.filter((j) => j.status !== 'done')).toEqual([]);
  expect(after.snapshot).toHaveLength(14);
});
