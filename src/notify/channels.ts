import { hostname } from 'node:os';
import nodemailer, { type Transporter } from 'nodemailer';
import { request } from 'undici';
import { DirsyncError, errorMessage } from '../errors/codes';
import type { Notification } from './message';
import { isLoopbackHost, safeUrl, type EmailSettings, type WebhookSettings } from './settings';

/** One way of telling the admins. `send` resolves once the receiver accepted the message. */
export interface NotificationChannel {
  /** For logs: never holds a secret. */
  readonly name: string;
  send(notification: Notification): Promise<void>;
  close?(): void;
}

export class NotifyError extends DirsyncError {
  override readonly name = 'NotifyError';
}

/** A notification waits at most this long per channel: the daemon awaits observers between runs. */
export const DEFAULT_CHANNEL_TIMEOUT_MS = 15_000;

export interface ChannelOptions {
  readonly timeoutMs?: number;
}

/** POSTs the payload as JSON. Any 2xx is delivered; anything else is retried at the next run. */
export class WebhookChannel implements NotificationChannel {
  readonly name: string;
  readonly #settings: WebhookSettings;
  readonly #timeoutMs: number;

  constructor(settings: WebhookSettings, options: ChannelOptions = {}) {
    this.#settings = settings;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_CHANNEL_TIMEOUT_MS;
    this.name = `webhook ${safeUrl(settings.url.reveal())}`;
  }

  async send(notification: Notification): Promise<void> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.#settings.headers)) headers[name.toLowerCase()] = value.reveal();
    headers['content-type'] = 'application/json';
    headers['user-agent'] ??= 'dirsync';
    let status: number;
    try {
      const answer = await request(this.#settings.url.reveal(), {
        method: 'POST',
        headers,
        body: JSON.stringify(notification.payload),
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      status = answer.statusCode;
      // Read and drop the answer so the connection is released.
      await answer.body.dump();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      throw new NotifyError('NOTIFY_WEBHOOK', `${this.name}: ${typeof code === 'string' ? code : errorMessage(err)}`);
    }
    if (status < 200 || status > 299)
      throw new NotifyError('NOTIFY_WEBHOOK', `${this.name}: answered HTTP ${status}`, { status });
  }
}

/** Sends a plain-text mail through SMTP (nodemailer). */
export class EmailChannel implements NotificationChannel {
  readonly name: string;
  readonly #settings: EmailSettings;
  readonly #transport: Transporter;

  constructor(settings: EmailSettings, options: ChannelOptions = {}) {
    const timeout = options.timeoutMs ?? DEFAULT_CHANNEL_TIMEOUT_MS;
    this.#settings = settings;
    this.name = `email via ${settings.host}:${settings.port}`;
    const auth = settings.user ? { user: settings.user, pass: settings.password?.reveal() ?? '' } : undefined;
    this.#transport = nodemailer.createTransport({
      host: settings.host,
      port: settings.port,
      secure: settings.secure,
      // A password never crosses the network in clear: STARTTLS is required then, except on loopback.
      requireTLS: !settings.secure && auth !== undefined && !isLoopbackHost(settings.host),
      auth,
      name: hostname(),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      logger: false,
      debug: false,
    });
  }

  async send(notification: Notification): Promise<void> {
    try {
      await this.#transport.sendMail({
        from: this.#settings.from,
        to: [...this.#settings.to],
        subject: notification.subject,
        text: `${notification.payload.text}\n`,
      });
    } catch (err) {
      const code = (err as { responseCode?: unknown; code?: unknown }).responseCode ?? (err as { code?: unknown }).code;
      throw new NotifyError('NOTIFY_EMAIL', `${this.name}: ${errorMessage(err)}`, { code });
    }
  }

  close(): void {
    this.#transport.close();
  }
}
