/**
 * The daemon's observers end to end, from a real config file: the daemon loop (driven tick by
 * tick with an injected clock) feeds /healthz, /metrics (parsed as Prometheus text), a webhook
 * receiver and an SMTP server, all real and on 127.0.0.1. One incident across many failing runs
 * and a daemon restart gives exactly one notification per channel, and one "resolved". Then the
 * built CLI renders the systemd unit, which `systemd-analyze verify` accepts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { request } from 'undici';
import { loadConfig } from '../../src/config/load';
import { Daemon } from '../../src/daemon/daemon';
import type { RunEvent } from '../../src/daemon/events';
import { buildObservers, type DaemonObservers } from '../../src/daemon/observers';
import { createLogger } from '../../src/log/logger';
import { parsePrometheusText, valueOf } from '../unit/daemon/prom-text';
import { FakeClock, runEvent } from '../unit/daemon/run-event';
import { startWebhookReceiver, type WebhookReceiver } from '../unit/notify/webhook-receiver';
import { runCli, tempDir, writeConfig } from './support/cli';
import { REPO_ROOT } from './support/env';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink';

jest.setTimeout(60_000);

const MIN = 60_000;
const HOOK_TOKEN = 'e2e-hook-token-77d1';
const SMTP_PASSWORD = 'e2e-smtp-pass-c0ffee';

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await request(url, { headersTimeout: 5_000, bodyTimeout: 5_000 });
  return { status: res.statusCode, body: await res.body.text() };
}

describe('daemon observers: health, metrics, webhook and email', () => {
  let dir: string;
  let receiver: WebhookReceiver;
  let sink: SmtpSink;
  let built: DaemonObservers | undefined;
  const clock = new FakeClock(Date.parse('2026-06-01T08:00:00Z'));
  let logText = '';

  beforeAll(async () => {
    dir = tempDir('observers');
    receiver = await startWebhookReceiver();
    sink = await startSmtpSink();
  });

  afterAll(async () => {
    await built?.close();
    await receiver.close();
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('notifies once per incident across failing runs and a restart, says resolved once, and serves health and metrics', async () => {
    const env = {
      DIRSYNC_BIND_PASSWORD: 'unused',
      DIRSYNC_SCIM_TOKEN: 'unused',
      HOOK_URL: receiver.url,
      HOOK_TOKEN: `Bearer ${HOOK_TOKEN}`,
      SMTP_PASSWORD,
    };
    const file = writeConfig(dir, {
      directory: {
        url: 'ldaps://127.0.0.1:3636',
        bindDn: 'cn=admin,dc=example,dc=org',
        bindPassword: '${env:DIRSYNC_BIND_PASSWORD}',
        users: { baseDns: ['ou=people,dc=example,dc=org'] },
        groups: [{ dn: 'cn=staff,dc=example,dc=org', role: 'User', userType: 'Viewer' }],
      },
      target: { url: 'http://127.0.0.1:18080/scim/v2', token: '${env:DIRSYNC_SCIM_TOKEN}' },
      state: { path: 'state/dirsync.db' },
      health: { enabled: true, port: 0, maxAgeSeconds: 3600 },
      notifications: {
        webhook: { url: '${env:HOOK_URL}', headers: { Authorization: '${env:HOOK_TOKEN}', 'X-Source': 'dirsync-e2e' } },
        email: {
          host: '127.0.0.1',
          port: sink.port,
          user: 'dirsync',
          password: '${env:SMTP_PASSWORD}',
          from: 'dirsync@example.org',
          to: ['ops@example.org'],
        },
        minIntervalMinutes: 240,
      },
    });
    const loaded = loadConfig(file, env);
    const stream = new PassThrough();
    stream.on('data', (d: Buffer) => (logText += d.toString()));
    const logger = createLogger({ level: 'debug', json: true, stream });

    // The daemon loop itself, with a cron that never fires: the test ticks it, 30 minutes apart.
    const script: RunEvent[] = [];
    const daemonWith = (observers: DaemonObservers): Daemon =>
      new Daemon({
        cron: { schedule: () => ({ stop: () => undefined }) },
        schedule: '*/30 * * * *',
        fullSchedule: '15 2 * * *',
        runCycle: async () => script.shift() ?? 'skipped',
        needsFull: () => false,
        observers: observers.observers,
        logger,
      });
    const tick = async (daemon: Daemon, event: Partial<RunEvent>): Promise<void> => {
      clock.advance(30 * MIN);
      script.push(runEvent({ finishedAtMs: clock.ms, usersManaged: 3, ...event }));
      expect(typeof (await daemon.tick(event.kind ?? 'delta'))).toBe('object');
    };
    const failure = { outcome: 'failed', error: 'DIRECTORY_CONNECT: no directory server answered' } as const;

    built = await buildObservers(loaded, { logger, env, now: clock.now });
    expect(built.healthUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    let daemon = daemonWith(built);
    const healthz = async (): Promise<{ status: number; body: { status: string } }> => {
      const r = await get(`${built?.healthUrl}/healthz`);
      return { status: r.status, body: JSON.parse(r.body) as { status: string } };
    };

    expect(await healthz()).toMatchObject({ status: 200, body: { status: 'starting' } });
    await tick(daemon, { kind: 'full', durationMs: 95_000, counts: { create: 3, applied: 3 }, apiRetries: 2 });
    expect(await healthz()).toMatchObject({ status: 200, body: { status: 'ok' } });

    for (let i = 0; i < 5; i += 1) await tick(daemon, failure);
    expect(await healthz()).toMatchObject({ status: 503, body: { status: 'failing' } });
    expect(receiver.received).toHaveLength(1);
    await sink.waitFor(1, 10_000);

    const metrics = await get(`${built.healthUrl}/metrics`);
    expect(metrics.status).toBe(200);
    const exp = parsePrometheusText(metrics.body);
    expect(valueOf(exp, 'dirsync_runs_total', { kind: 'full', outcome: 'success' })).toBe(1);
    expect(valueOf(exp, 'dirsync_runs_total', { kind: 'delta', outcome: 'failed' })).toBe(5);
    expect(valueOf(exp, 'dirsync_run_duration_seconds_count', { kind: 'delta', outcome: 'failed' })).toBe(5);
    expect(valueOf(exp, 'dirsync_run_duration_seconds_sum', { kind: 'full', outcome: 'success' })).toBe(95);
    expect(valueOf(exp, 'dirsync_operations_total', { kind: 'create', outcome: 'planned' })).toBe(3);
    expect(valueOf(exp, 'dirsync_operations_total', { kind: 'all', outcome: 'done' })).toBe(3);
    expect(valueOf(exp, 'dirsync_api_retries_total')).toBe(2);
    expect(valueOf(exp, 'dirsync_users_managed')).toBe(3);
    expect(valueOf(exp, 'dirsync_last_run_outcome', { outcome: 'failed' })).toBe(1);
    expect(valueOf(exp, 'dirsync_last_run_timestamp_seconds')).toBe(clock.ms / 1000);

    // A restart while the failure lasts: new observers, same rate-limiter file, no new notification.
    await built.close();
    built = await buildObservers(loaded, { logger, env, now: clock.now });
    daemon = daemonWith(built);
    await tick(daemon, failure);
    await tick(daemon, failure);
    expect(receiver.received).toHaveLength(1);

    await tick(daemon, {});
    await tick(daemon, {});
    expect(await healthz()).toMatchObject({ status: 200, body: { status: 'ok' } });
    const mails = await sink.waitFor(2, 10_000);

    expect(receiver.received.map((r) => (r.body as { type: string }).type)).toEqual(['incident', 'resolved']);
    expect(receiver.received[0]?.headers.authorization).toBe(`Bearer ${HOOK_TOKEN}`);
    expect(receiver.received[0]?.headers['x-source']).toBe('dirsync-e2e');
    expect(receiver.received[0]?.body).toMatchObject({ incidents: ['run_failed'], runs: 1, run: { error: failure.error } });
    expect(receiver.received[1]?.body).toMatchObject({ type: 'resolved', incidents: ['run_failed'] });

    expect(mails).toHaveLength(2);
    expect(mails.map((m) => /^Subject: (.*)$/m.exec(m.data)?.[1])).toEqual([
      expect.stringMatching(/: run failed$/),
      expect.stringMatching(/: resolved: run failed$/),
    ]);
    expect(mails[0]?.auth).toEqual({ user: 'dirsync', password: SMTP_PASSWORD });
    expect(mails[0]?.text).toContain('DIRECTORY_CONNECT: no directory server answered');

    const stateFile = path.join(dir, 'state', 'dirsync.notify.json');
    expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toEqual({ version: 1, open: {} });

    // No run for longer than maxAgeSeconds: stale.
    clock.advance(3601_000);
    expect(await healthz()).toMatchObject({ status: 503, body: { status: 'stale' } });

    for (const secret of [HOOK_TOKEN, SMTP_PASSWORD, 'dirsync-secret-path']) expect(logText).not.toContain(secret);
  });
});

describe('dirsync service install --dry-run (built CLI)', () => {
  it('prints a unit that systemd-analyze verify accepts without a warning', async () => {
    const main = path.join(REPO_ROOT, 'dist/src/cli/main.js');
    if (!existsSync(main)) throw new Error('dist is missing: run `npm run build` first');
    const dir = tempDir('service');
    try {
      const config = writeConfig(dir, {
        directory: {
          url: 'ldaps://127.0.0.1:3636',
          bindDn: 'cn=admin,dc=example,dc=org',
          bindPassword: '${env:DIRSYNC_BIND_PASSWORD}',
          users: { baseDns: ['ou=people,dc=example,dc=org'] },
          groups: [{ dn: 'cn=staff,dc=example,dc=org', role: 'User', userType: 'Viewer' }],
        },
        target: { url: 'https://scim.example.org/v2', token: '${env:DIRSYNC_SCIM_TOKEN}' },
        state: { path: 'state/dirsync.db' },
      });
      // No secrets in the environment: installing must not need them (the unit's env file has them).
      const r = await runCli(['-c', config, 'service', 'install', '--dry-run', '--user', 'dirsync'], {});
      expect(r.stderr).toContain('dry run: nothing written');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`ExecStart=${process.execPath} ${main} start --config ${config}`);
      const unitFile = path.join(dir, 'dirsync.service');
      writeFileSync(unitFile, r.stdout);
      const verify = spawnSync('systemd-analyze', ['verify', '--man=no', unitFile], { encoding: 'utf8', timeout: 30_000 });
      if (verify.error) throw new Error(`systemd-analyze: ${verify.error.message} (scripts/servers.sh up installs it)`);
      expect({ code: verify.status, output: `${verify.stdout}${verify.stderr}`.trim() }).toEqual({ code: 0, output: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
