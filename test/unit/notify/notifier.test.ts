import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Secret } from '../../../src/config/secret';
import { createLogger, type Logger } from '../../../src/log/logger';
import { EmailChannel, WebhookChannel } from '../../../src/notify/channels';
import { createNotifier, Notifier } from '../../../src/notify/notifier';
import { JsonFileStateStore, notifyStatePath } from '../../../src/notify/state-file';
import { startSmtpSink, type SmtpSink } from '../../e2e/support/smtp-sink';
import { FakeClock, runEvent } from '../daemon/run-event';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';

const MIN = 60_000;
const TOKEN = 'hook-token-5a1e77';
const SMTP_PASSWORD = 'smtp-pass-93bd0c';

function capturedLogger(): { logger: Logger; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { logger: createLogger({ level: 'debug', json: true, stream }), text: () => text };
}

describe('Notifier with a webhook', () => {
  let dir: string;
  let receiver: WebhookReceiver;
  const clock = new FakeClock();

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'dirsync-notify-'));
    receiver = await startWebhookReceiver();
    clock.ms = Date.parse('2026-01-01T00:00:00Z');
  });

  afterEach(async () => {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function notifier(logger: Logger): Notifier {
    return new Notifier({
      channels: [
        new WebhookChannel(
          { url: new Secret(receiver.url), headers: { Authorization: new Secret(`Bearer ${TOKEN}`) }, allowInsecure: false },
          { timeoutMs: 5_000 },
        ),
      ],
      store: new JsonFileStateStore(path.join(dir, 'dirsync-state.notify.json'), logger),
      minIntervalMinutes: 240,
      logger,
      now: clock.now,
      host: 'sync01',
    });
  }

  it('posts one incident for repeated failing runs, one "resolved", and never logs the token', async () => {
    const log = capturedLogger();
    const n = notifier(log.logger);
    for (let i = 0; i < 6; i += 1) {
      await n.onRunFinished(
        runEvent({ outcome: 'failed', error: 'DIRECTORY_BIND: invalid credentials', finishedAtMs: clock.ms }),
      );
      clock.advance(30 * MIN);
    }
    await n.onRunFinished(runEvent({ outcome: 'success', finishedAtMs: clock.ms }));
    await n.onRunFinished(runEvent({ outcome: 'success', finishedAtMs: clock.advance(30 * MIN) }));

    expect(receiver.received.map((r) => (r.body as { type: string }).type)).toEqual(['incident', 'resolved']);
    const [incident, resolved] = receiver.received;
    expect(incident?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(incident?.headers['content-type']).toBe('application/json');
    expect(incident?.body).toMatchObject({
      source: 'dirsync',
      type: 'incident',
      host: 'sync01',
      incidents: ['run_failed'],
      runs: 1,
      reminder: false,
      run: { outcome: 'failed', error: 'DIRECTORY_BIND: invalid credentials' },
    });
    expect((incident?.body as { text: string }).text).toContain('DIRECTORY_BIND: invalid credentials');
    expect(resolved?.body).toMatchObject({ type: 'resolved', incidents: ['run_failed'], since: '2026-01-01T00:00:00.000Z' });
    expect(log.text()).toContain('notification sent');
    expect(log.text()).not.toContain(TOKEN);
    expect(log.text()).not.toContain('dirsync-secret-path');
  });

  it('keeps its memory across a restart: a new instance with the same file does not notify again', async () => {
    const { logger } = capturedLogger();
    await notifier(logger).onRunFinished(runEvent({ outcome: 'failed', error: 'x', finishedAtMs: clock.ms }));
    expect(receiver.received).toHaveLength(1);
    const file = path.join(dir, 'dirsync-state.notify.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);

    // "Restart": a fresh Notifier, same file; the failure lasts.
    clock.advance(30 * MIN);
    await notifier(logger).onRunFinished(runEvent({ outcome: 'failed', error: 'x', finishedAtMs: clock.ms }));
    expect(receiver.received).toHaveLength(1);

    // Past the interval, the next instance reminds once.
    clock.advance(240 * MIN);
    await notifier(logger).onRunFinished(runEvent({ outcome: 'failed', error: 'x', finishedAtMs: clock.ms }));
    expect(receiver.received.map((r) => (r.body as { reminder?: boolean }).reminder)).toEqual([false, true]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ open: { run_failed: { runs: 3 } } });
  });

  it('retries at the next run when the webhook refused, and does not throw', async () => {
    const log = capturedLogger();
    const n = notifier(log.logger);
    receiver.status = 500;
    await expect(
      n.onRunFinished(runEvent({ outcome: 'partial', guardStops: 4, finishedAtMs: clock.ms })),
    ).resolves.toBeUndefined();
    expect(log.text()).toContain('NOTIFY_WEBHOOK');
    expect(log.text()).toContain('answered HTTP 500');
    receiver.status = 200;
    await n.onRunFinished(runEvent({ outcome: 'partial', guardStops: 4, finishedAtMs: clock.advance(30 * MIN) }));
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]?.body).toMatchObject({ type: 'incident', incidents: ['guard_stop'], runs: 2 });
  });

  it('starts afresh from a damaged state file instead of failing', async () => {
    const log = capturedLogger();
    writeFileSync(path.join(dir, 'dirsync-state.notify.json'), '{ not json');
    await notifier(log.logger).onRunFinished(runEvent({ outcome: 'failed', error: 'x', finishedAtMs: clock.ms }));
    expect(receiver.received).toHaveLength(1);
    expect(log.text()).toContain('notification state damaged');
  });

  it('reports an unreachable webhook with a code, not a crash', async () => {
    const log = capturedLogger();
    const port = Number(new URL(receiver.url).port);
    await receiver.close();
    const n = new Notifier({
      channels: [new WebhookChannel({ url: new Secret(`http://127.0.0.1:${port}/x`), headers: {}, allowInsecure: false })],
      store: new JsonFileStateStore(path.join(dir, 's.json')),
      minIntervalMinutes: 240,
      logger: log.logger,
      now: clock.now,
    });
    await n.onRunFinished(runEvent({ outcome: 'failed', error: 'x' }));
    expect(log.text()).toContain('ECONNREFUSED');
    receiver = await startWebhookReceiver();
  });
});

describe('Notifier with email', () => {
  let sink: SmtpSink;
  let dir: string;

  beforeEach(async () => {
    sink = await startSmtpSink();
    dir = mkdtempSync(path.join(tmpdir(), 'dirsync-notify-'));
  });

  afterEach(async () => {
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('mails a directory problem through SMTP with auth, and never logs the password', async () => {
    const log = capturedLogger();
    const clock = new FakeClock();
    const n = createNotifier({
      settings: {
        email: {
          host: '127.0.0.1',
          port: sink.port,
          secure: false,
          user: 'dirsync',
          password: new Secret(SMTP_PASSWORD),
          from: 'dirsync <dirsync@example.org>',
          to: ['ops@example.org', 'idm@example.org'],
        },
        minIntervalMinutes: 240,
      },
      stateDbPath: path.join(dir, 'dirsync-state.db'),
      logger: log.logger,
      now: clock.now,
      host: 'sync01',
    });
    expect(n).toBeDefined();
    await n?.onRunFinished(
      runEvent({
        outcome: 'partial',
        directoryProblems: ['group CN=Staff,OU=Groups,DC=example,DC=test: the group does not exist'],
      }),
    );
    const [mail] = await sink.waitFor(1, 10_000);
    n?.close();
    expect(mail?.from).toBe('dirsync@example.org');
    expect(mail?.to).toEqual(['ops@example.org', 'idm@example.org']);
    expect(mail?.auth).toEqual({ user: 'dirsync', password: SMTP_PASSWORD });
    expect(mail?.data).toMatch(/^Subject: \[dirsync\] sync01: directory not read completely$/m);
    expect(mail?.text).toContain('  - group CN=Staff,OU=Groups,DC=example,DC=test: the group does not exist');
    expect(log.text()).not.toContain(SMTP_PASSWORD);
    expect(notifyStatePath(path.join(dir, 'dirsync-state.db'))).toBe(path.join(dir, 'dirsync-state.notify.json'));
    expect(JSON.parse(readFileSync(path.join(dir, 'dirsync-state.notify.json'), 'utf8'))).toMatchObject({
      open: { directory_problem: { runs: 1 } },
    });
  });

  it('fails with NOTIFY_EMAIL when the server refuses the mail', async () => {
    const refusing = await startSmtpSink({ rejectWith: '451 4.3.0 try again later' });
    const channel = new EmailChannel(
      { host: '127.0.0.1', port: refusing.port, secure: false, from: 'a@example.org', to: ['b@example.org'] },
      { timeoutMs: 5_000 },
    );
    try {
      await expect(channel.send({ subject: 's', payload: { text: 't' } as never })).rejects.toMatchObject({
        code: 'NOTIFY_EMAIL',
      });
    } finally {
      channel.close();
      await refusing.close();
    }
  });

  it('is not created when no channel is configured', () => {
    const { logger } = capturedLogger();
    expect(
      createNotifier({ settings: { minIntervalMinutes: 240 }, stateDbPath: path.join(dir, 'x.db'), logger }),
    ).toBeUndefined();
  });
});
