import path from 'node:path';
import { resolveSecret } from '../config/load';
import type { NotificationsConfig } from '../config/schema';
import { SecretRef } from '../config/schema';
import { Secret } from '../config/secret';
import { ConfigError } from '../errors/codes';

/** Webhook settings with every secret resolved; values stay wrapped until the request is built. */
export interface WebhookSettings {
  /** Wrapped: chat webhook URLs carry their token in the path. */
  readonly url: Secret;
  readonly headers: Readonly<Record<string, Secret>>;
  readonly allowInsecure: boolean;
}

export interface EmailSettings {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly user?: string;
  readonly password?: Secret;
  readonly from: string;
  readonly to: readonly string[];
}

export interface NotificationSettings {
  readonly webhook?: WebhookSettings;
  readonly email?: EmailSettings;
  readonly minIntervalMinutes: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Resolves `notifications` secret references (`${env:X}`, `file:`) the way load.ts resolves the
 * directory and target secrets, and checks what can only be checked once they are resolved.
 * Every problem is reported at once, naming the setting.
 */
export function resolveNotificationSettings(
  config: NotificationsConfig,
  configFile: string,
  env: NodeJS.ProcessEnv = process.env,
): NotificationSettings {
  const baseDir = path.dirname(path.resolve(configFile));
  const problems: string[] = [];
  let unresolved = false;
  const resolve = (value: string, setting: string): Secret | undefined => {
    if (!SecretRef.safeParse(value).success) return new Secret(value);
    try {
      return resolveSecret(value, setting, env, baseDir);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
      unresolved = true;
      return undefined;
    }
  };

  let webhook: WebhookSettings | undefined;
  if (config.webhook) {
    const url = resolve(config.webhook.url, 'notifications.webhook.url');
    if (url) problems.push(...webhookUrlProblems(url.reveal(), config.webhook.allowInsecure));
    const headers: Record<string, Secret> = {};
    for (const [name, value] of Object.entries(config.webhook.headers ?? {})) {
      const resolved = resolve(value, `notifications.webhook.headers.${name}`);
      if (resolved) headers[name] = resolved;
    }
    if (url) webhook = { url, headers, allowInsecure: config.webhook.allowInsecure };
  }

  let email: EmailSettings | undefined;
  if (config.email) {
    const { password, ...rest } = config.email;
    const resolved = password === undefined ? undefined : resolve(password, 'notifications.email.password');
    email = { ...rest, ...(resolved ? { password: resolved } : {}) };
  }

  if (problems.length > 0) throw new ConfigError(unresolved ? 'SECRET_UNRESOLVED' : 'CONFIG_INVALID', problems, configFile);
  return { webhook, email, minIntervalMinutes: config.minIntervalMinutes };
}

/** Never names the URL itself: it may hold a token. */
function webhookUrlProblems(raw: string, allowInsecure: boolean): string[] {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return ['notifications.webhook.url: the resolved value is not a URL'];
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return ['notifications.webhook.url: must be an http(s) URL'];
  if (url.protocol === 'http:' && !allowInsecure && !isLoopbackHost(url.hostname)) {
    return ['notifications.webhook.url: plain http to a host other than loopback; use https (or allowInsecure: true)'];
  }
  return [];
}

/** The URL as it may appear in a log: scheme and host only (paths and queries carry tokens). */
export function safeUrl(raw: string): string {
  try {
    return new URL(raw).origin;
  } catch {
    return '(invalid URL)';
  }
}
