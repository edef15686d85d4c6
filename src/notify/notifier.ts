import { hostname } from 'node:os';
import type { RunEvent, RunObserver } from '../daemon/events';
import { errorCode, errorMessage } from '../errors/codes';
import type { Logger } from '../log/logger';
import { EmailChannel, WebhookChannel, type NotificationChannel } from './channels';
import { decide, markDelivered, type IncidentKind } from './incidents';
import { incidentNotification, resolvedNotification, type Notification } from './message';
import type { NotificationSettings } from './settings';
import { JsonFileStateStore, notifyStatePath, type NotifyStateStore } from './state-file';

export interface NotifierOptions {
  readonly channels: readonly NotificationChannel[];
  readonly store: NotifyStateStore;
  readonly minIntervalMinutes: number;
  readonly logger: Logger;
  /** Milliseconds since the epoch; injected by tests. */
  readonly now?: () => number;
  /** Named in every notification, so admins of several servers know which one. */
  readonly host?: string;
}

/**
 * Tells the admins about failed runs, guard stops, directory problems and license shortfalls,
 * rate-limited per incident kind (see `decide`), and once when a run succeeds again. It never
 * throws: a broken mail server must not break the daemon, and what could not be delivered is
 * tried again after the next run.
 */
export class Notifier implements RunObserver {
  readonly #o: NotifierOptions;
  readonly #now: () => number;
  readonly #host: string;

  constructor(options: NotifierOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#host = options.host ?? hostname();
  }

  async onRunFinished(event: RunEvent): Promise<void> {
    try {
      await this.#handle(event);
    } catch (err) {
      this.#o.logger.error('notification failed', { code: errorCode(err), error: errorMessage(err) });
    }
  }

  async #handle(event: RunEvent): Promise<void> {
    const { store, logger } = this.#o;
    const now = this.#now();
    const state = store.load();
    const decision = decide(state, event, now, this.#o.minIntervalMinutes * 60_000);
    let next = decision.next;
    const delivered: IncidentKind[] = [];
    for (const due of decision.due) {
      if (await this.#deliver(incidentNotification(due, event, this.#host))) delivered.push(due.incident.kind);
    }
    next = markDelivered(next, delivered, now);
    if (decision.resolved.length > 0) {
      // Not delivered: keep the incidents open, so the next successful run says "resolved" again.
      if (!(await this.#deliver(resolvedNotification(decision.resolved, event, this.#host)))) next = state;
    }
    for (const kind of decision.held) {
      logger.debug('notification held by the rate limit', { incident: kind, since: next.open[kind]?.since });
    }
    store.save(next);
  }

  /** True when at least one channel accepted it. */
  async #deliver(notification: Notification): Promise<boolean> {
    const { channels, logger } = this.#o;
    const results = await Promise.allSettled(channels.map((c) => c.send(notification)));
    let ok = false;
    results.forEach((r, i) => {
      const channel = channels[i]?.name ?? 'channel';
      if (r.status === 'fulfilled') {
        ok = true;
        logger.info('notification sent', { channel, type: notification.payload.type, incidents: notification.payload.incidents });
      } else {
        logger.error('notification not delivered', { channel, code: errorCode(r.reason), error: errorMessage(r.reason) });
      }
    });
    return ok;
  }

  close(): void {
    for (const c of this.#o.channels) c.close?.();
  }
}

export interface NotifierFromSettings {
  readonly settings: NotificationSettings;
  /** The state database's path; the rate limiter's file goes next to it. */
  readonly stateDbPath: string;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly host?: string;
}

/** The daemon's notifier, or undefined when neither a webhook nor an email is configured. */
export function createNotifier(options: NotifierFromSettings): Notifier | undefined {
  const { settings } = options;
  const channels: NotificationChannel[] = [];
  if (settings.webhook) channels.push(new WebhookChannel(settings.webhook));
  if (settings.email) channels.push(new EmailChannel(settings.email));
  if (channels.length === 0) return undefined;
  return new Notifier({
    channels,
    store: new JsonFileStateStore(notifyStatePath(options.stateDbPath), options.logger),
    minIntervalMinutes: settings.minIntervalMinutes,
    logger: options.logger,
    now: options.now,
    host: options.host,
  });
}
