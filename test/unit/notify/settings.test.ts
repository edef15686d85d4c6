import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { parseConfig } from '../../../src/config/load';
import { ConfigError } from '../../../src/errors/codes';
import { resolveNotificationSettings, safeUrl } from '../../../src/notify/settings';

function raw(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    directory: {
      url: 'ldaps://dc1.example.org:636',
      bindDn: 'cn=svc,dc=example,dc=org',
      bindPassword: '${env:BIND_PW}',
      users: { baseDns: ['ou=people,dc=example,dc=org'] },
      groups: [{ dn: 'cn=staff,dc=example,dc=org', role: 'User', userType: 'Viewer' }],
    },
    target: { url: 'https://api.example.com/scim/v2', token: 'file:token.txt' },
    ...extra,
  };
}

function problems(extra: Record<string, unknown>): string[] {
  try {
    parseConfig(raw(extra), '/etc/dirsync');
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

describe('health and notifications settings', () => {
  it('defaults: health off on 127.0.0.1:9464, no channel, 240 minutes between repeats', () => {
    const config = parseConfig(raw({}), '/etc/dirsync');
    expect(config.health).toEqual({ enabled: false, host: '127.0.0.1', port: 9464, maxAgeSeconds: 7200 });
    expect(config.notifications).toEqual({ minIntervalMinutes: 240 });
  });

  it('refuses clear-text credentials in secret-looking headers and the SMTP password, naming the setting', () => {
    expect(
      problems({
        notifications: {
          webhook: { url: 'https://hooks.example.org/x', headers: { Authorization: 'Bearer abc', 'X-Source': 'dirsync' } },
          email: { host: 'smtp.example.org', user: 'u', password: 'hunter2', from: 'a@example.org', to: ['b@example.org'] },
        },
      }),
    ).toEqual([
      'notifications.webhook.headers.Authorization: must be a reference, ${env:NAME} or file:/path/to/secret, never the secret itself',
      'notifications.email.password: must be a reference, ${env:NAME} or file:/path/to/secret, never the secret itself',
    ]);
  });

  it('checks the email recipients, the password-without-user case and unknown keys', () => {
    expect(
      problems({
        notifications: { email: { host: 'smtp', password: '${env:P}', from: 'a@example.org', to: ['not-an-address'] }, every: 5 },
      }),
    ).toEqual(
      expect.arrayContaining(['notifications.every: unknown setting', expect.stringMatching(/^notifications\.email\.to\[0\]: /)]),
    );
    expect(
      problems({ notifications: { email: { host: 'smtp', password: '${env:P}', from: 'a@x.org', to: ['b@x.org'] } } }),
    ).toEqual(['notifications.email.user: a password needs a user']);
    expect(problems({ health: { port: 70000 } })).toEqual([expect.stringMatching(/^health\.port: /)]);
  });

  it('resolves env and file references, keeps plain header values, and wraps every value', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dirsync-settings-'));
    try {
      writeFileSync(path.join(dir, 'hook-url'), 'https://hooks.example.org/services/T0/B0/secret\n');
      const config = parseConfig(
        raw({
          notifications: {
            webhook: { url: 'file:hook-url', headers: { 'X-Api-Key': '${env:HOOK_KEY}', 'X-Source': 'dirsync' } },
            email: {
              host: 'smtp.example.org',
              user: 'u',
              password: '${env:SMTP_PW}',
              from: 'a@example.org',
              to: ['b@example.org'],
            },
            minIntervalMinutes: 60,
          },
        }),
        dir,
      );
      const s = resolveNotificationSettings(config.notifications, path.join(dir, 'connector.yaml'), {
        HOOK_KEY: 'k-123',
        SMTP_PW: 'pw-456',
      });
      expect(s.webhook?.url.reveal()).toBe('https://hooks.example.org/services/T0/B0/secret');
      expect(s.webhook?.headers['X-Api-Key']?.reveal()).toBe('k-123');
      expect(s.webhook?.headers['X-Source']?.reveal()).toBe('dirsync');
      expect(s.email?.password?.reveal()).toBe('pw-456');
      expect(s.minIntervalMinutes).toBe(60);
      const printed = `${inspect(s, { depth: 5 })} ${JSON.stringify(s)}`;
      expect(printed).not.toMatch(/k-123|pw-456|B0\/secret/);
      expect(safeUrl(s.webhook?.url.reveal() ?? '')).toBe('https://hooks.example.org');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports every unresolved reference at once, and refuses plain http to a remote host', () => {
    const config = parseConfig(
      raw({
        notifications: {
          webhook: { url: '${env:HOOK_URL}', headers: { Authorization: '${env:HOOK_TOKEN}' } },
          email: { host: 'smtp', user: 'u', password: 'file:/nonexistent/pw', from: 'a@x.org', to: ['b@x.org'] },
        },
      }),
      '/etc/dirsync',
    );
    expect(() => resolveNotificationSettings(config.notifications, '/etc/dirsync/c.yaml', {})).toThrow(
      expect.objectContaining({
        code: 'SECRET_UNRESOLVED',
        problems: [
          'notifications.webhook.url: environment variable HOOK_URL is not set',
          'notifications.webhook.headers.Authorization: environment variable HOOK_TOKEN is not set',
          'notifications.email.password: cannot read secret file /nonexistent/pw (ENOENT)',
        ],
      }),
    );
    const insecure = parseConfig(raw({ notifications: { webhook: { url: 'http://chat.example.org/hook' } } }), '/etc/dirsync');
    expect(() => resolveNotificationSettings(insecure.notifications, '/etc/dirsync/c.yaml', {})).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    const loopback = parseConfig(raw({ notifications: { webhook: { url: 'http://127.0.0.1:8080/hook' } } }), '/etc/dirsync');
    expect(resolveNotificationSettings(loopback.notifications, '/etc/dirsync/c.yaml', {}).webhook).toBeDefined();
  });
});
