import type { LoadedConfig } from '../config/load';
import type { Logger } from '../log/logger';
import { createNotifier } from '../notify/notifier';
import { resolveNotificationSettings } from '../notify/settings';
import type { RunObserver } from './events';
import { HealthTracker, type LastRun } from './health';
import { startHealthServer, type HealthServer } from './http';
import { RunMetrics } from './metrics';

export interface DaemonObservers {
  readonly observers: RunObserver[];
  /** Set when `health.enabled`: where /healthz and /metrics answer. */
  readonly healthUrl?: string;
  close(): Promise<void>;
}

export interface BuildObserversOptions {
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
  /** The last finished run in the state database, so /healthz is not 'starting' after a restart. */
  readonly lastRun?: LastRun;
  /** Milliseconds since the epoch; injected by tests. */
  readonly now?: () => number;
}

/**
 * The observers `dirsync start` hands the daemon, from the config: health and metrics when
 * `health.enabled`, a notifier when a webhook or an email is configured. Notification secrets are
 * resolved here, at start-up, so a missing one stops the daemon now (exit 2), not at the first
 * incident.
 */
export async function buildObservers(loaded: LoadedConfig, options: BuildObserversOptions): Promise<DaemonObservers> {
  const { config } = loaded;
  const { logger } = options;
  const observers: RunObserver[] = [];
  const settings = resolveNotificationSettings(config.notifications, loaded.file, options.env ?? process.env);
  let server: HealthServer | undefined;
  if (config.health.enabled) {
    const health = new HealthTracker({ maxAgeSeconds: config.health.maxAgeSeconds, now: options.now, lastRun: options.lastRun });
    const metrics = new RunMetrics();
    server = await startHealthServer({ host: config.health.host, port: config.health.port, metrics, health });
    observers.push(health, metrics);
    logger.info('health listener started', { url: server.url });
    if (!['127.0.0.1', '::1', 'localhost'].includes(config.health.host)) {
      logger.warn('health listener reachable from other hosts: restrict access with a firewall', { host: config.health.host });
    }
  }
  const notifier = createNotifier({ settings, stateDbPath: config.state.path, logger, now: options.now });
  if (notifier) observers.push(notifier);
  return {
    observers,
    ...(server ? { healthUrl: server.url } : {}),
    close: async () => {
      notifier?.close();
      await server?.close();
    },
  };
}
