/**
 * Notifications from real runs: `dirsync start --once` against the real OpenLDAP and a SCIM
 * target, with `notifications.webhook` pointing at a receiver on 127.0.0.1. A real mass-change
 * guard stop notifies exactly once, and the next run inside `minIntervalMinutes` stays quiet; a
 * run that fails (wrong bind password) notifies once, and the first good run after it says
 * "resolved".
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Client } from 'ldapts';
import { OPENLDAP, SCIM_TOKEN } from './support/env';
import { openldapConfig, runCli, SECRETS_ENV, tempDir, writeConfig, type CliResult } from './support/cli';
import { loadOpenldapFixture, openldapAdmin, removeMember, type Fixture } from './support/ldap';
import { ScimProcess } from './support/scim';
import { startWebhookReceiver, type WebhookReceiver } from '../unit/notify/webhook-receiver';

jest.setTimeout(60_000);

interface Payload {
  source: string;
  type: 'incident' | 'resolved';
  incidents: string[];
  summary: string;
  reminder?: boolean;
  runs?: number;
  run: { id: string; kind: string; outcome: string; staging: boolean; error?: string };
  text: string;
}

interface RunRow {
  id: string;
  outcome: string;
  message: string | null;
}

let ldap: Client;

function writeDaemonConfig(fx: Fixture, dir: string, scimUrl: string, webhookUrl: string): string {
  const doc = openldapConfig({
    base: fx.base,
    scimUrl,
    groups: [
      { dn: fx.group('engineering'), role: 'Publisher', userType: 'Creator' },
      { dn: fx.group('sales'), role: 'User', userType: 'Viewer' },
    ],
    statePath: path.join(dir, 'state.db'),
  });
  return writeConfig(dir, {
    ...doc,
    reports: { dir: path.join(dir, 'reports') },
    // Low thresholds: three deactivations are a mass change here.
    guard: { deactivations: { maxCount: 2, maxPercent: 50 } },
    notifications: { minIntervalMinutes: 240, webhook: { url: webhookUrl } },
    daemon: { schedule: '*/30 * * * *', fullSchedule: '15 2 * * *' },
  });
}

async function runs(file: string): Promise<RunRow[]> {
  const res = await runCli(['history', '--json', '--config', file]);
  expect(res.code).toBe(0);
  return JSON.parse(res.stdout) as RunRow[];
}

function payloads(receiver: WebhookReceiver): Payload[] {
  return receiver.received.map((r) => r.body as Payload);
}

function once(file: string, env: Record<string, string> = SECRETS_ENV): Promise<CliResult> {
  return runCli(['start', '--once', '--config', file], env);
}

beforeAll(async () => {
  ldap = await openldapAdmin();
});

afterAll(async () => {
  await ldap?.unbind();
});

describe('a guard stop notifies once per incident', () => {
  let scim: ScimProcess;
  let receiver: WebhookReceiver;
  const dir = tempDir('daemon-notify-guard');
  let fx: Fixture;

  beforeAll(async () => {
    fx = await loadOpenldapFixture(ldap, 'notify-guard');
    scim = new ScimProcess(path.join(dir, 'scim.json'));
    await scim.start();
    receiver = await startWebhookReceiver();
  });

  afterAll(async () => {
    await receiver?.close();
    await scim?.stop();
  });

  it('a clean first run sends nothing; a real guard stop sends exactly one webhook POST; the next run none', async () => {
    const file = writeDaemonConfig(fx, dir, scim.url, receiver.url);
    const first = await once(file);
    expect(first.code).toBe(0);
    expect(await scim.users()).toHaveLength(14);
    expect(receiver.received).toHaveLength(0);

    // Three users leave their only mapped group: the next run would deactivate more than 2.
    for (const uid of ['alice.smith', 'bob.jones', 'carol.white'])
      await removeMember(ldap, fx.group('engineering'), fx.user(uid));
    const stopped = await once(file);
    expect(stopped.stderr).toMatch(/mass-change guard stopped changes/);
    expect(stopped.code).toBe(7); // the guard's exit code, as for dirsync sync
    const stopRun = (await runs(file))[0] as RunRow;
    expect(stopRun.outcome).toBe('stopped');
    // Nothing was deactivated: the guard held all three.
    expect((await scim.users()).filter((u) => u.active === false)).toEqual([]);

    expect(receiver.received).toHaveLength(1);
    const hook = receiver.received[0];
    expect(hook?.path).toBe('/hooks/dirsync-secret-path');
    expect(hook?.headers['content-type']).toMatch(/^application\/json/);
    expect(hook?.body).toMatchObject({
      source: 'dirsync',
      type: 'incident',
      incidents: ['guard_stop'],
      reminder: false,
      runs: 1,
      run: { id: stopRun.id, outcome: 'partial', staging: false },
    });
    expect((hook?.body as Payload).summary).toMatch(/held back 3 operation/);
    expect((hook?.body as Payload).text).toMatch(/mass-change guard stopped changes/);
    const raw = JSON.stringify(hook?.body);
    expect(raw).not.toContain(OPENLDAP.adminPassword);
    expect(raw).not.toContain(SCIM_TOKEN);

    // The limiter's memory, beside the state database, owner-only.
    const stateFile = path.join(dir, 'state.notify.json');
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toMatchObject({ open: { guard_stop: { runs: 1 } } });

    // The same incident again, well inside minIntervalMinutes: no second POST.
    const again = await once(file);
    expect(again.stderr).toMatch(/mass-change guard stopped changes/);
    expect((await runs(file))[0]?.outcome).toBe('stopped');
    expect(receiver.received).toHaveLength(1);
    expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toMatchObject({ open: { guard_stop: { runs: 2 } } });
  });
});

describe('a failed run notifies, and the next good run resolves it', () => {
  let scim: ScimProcess;
  let receiver: WebhookReceiver;
  const dir = tempDir('daemon-notify-failed');
  let fx: Fixture;

  beforeAll(async () => {
    fx = await loadOpenldapFixture(ldap, 'notify-failed');
    scim = new ScimProcess(path.join(dir, 'scim.json'));
    await scim.start();
    receiver = await startWebhookReceiver();
  });

  afterAll(async () => {
    await receiver?.close();
    await scim?.stop();
  });

  it('a wrong bind password: one run_failed POST, none for the repeat, one resolved when it works again', async () => {
    const file = writeDaemonConfig(fx, dir, scim.url, receiver.url);
    const wrong = { ...SECRETS_ENV, DIRSYNC_BIND_PASSWORD: 'not-the-password' };
    const failed = await once(file, wrong);
    expect(failed.code).toBe(3); // a directory error, as for dirsync sync
    const failedRun = (await runs(file))[0] as RunRow;
    expect(failedRun.outcome).toBe('failed');
    expect(payloads(receiver)).toEqual([
      expect.objectContaining({
        type: 'incident',
        incidents: ['run_failed'],
        run: expect.objectContaining({ id: failedRun.id, outcome: 'failed' }) as unknown,
      }),
    ]);
    const payload = payloads(receiver)[0] as Payload;
    expect(payload.run.error).toMatch(/^DIRECTORY_[A-Z_]+: /);
    expect(payload.summary).toContain(payload.run.error);
    expect(JSON.stringify(payload)).not.toContain('not-the-password');
    expect(await scim.users()).toEqual([]);

    const repeat = await once(file, wrong);
    expect(repeat.code).toBe(3);
    expect(receiver.received).toHaveLength(1);

    const fixed = await once(file);
    expect(fixed.code).toBe(0);
    expect(await scim.users()).toHaveLength(14);
    expect(receiver.received).toHaveLength(2);
    expect(payloads(receiver)[1]).toMatchObject({ type: 'resolved', incidents: ['run_failed'], run: { outcome: 'success' } });

    // Nothing open any more: another clean run is quiet.
    const quiet = await once(file);
    expect(quiet.code).toBe(0);
    expect(receiver.received).toHaveLength(2);
  });
});
