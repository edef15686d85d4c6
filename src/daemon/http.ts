import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { DirsyncError, errorMessage } from '../errors/codes';
import { httpStatusOf, type HealthReport } from './health';

/** Loopback only unless the config names another address: metrics show counts an outsider should not see. */
export const DEFAULT_HEALTH_HOST = '127.0.0.1';

export interface MetricsSource {
  readonly contentType: string;
  /** Prometheus text exposition. */
  render(): Promise<string>;
}

export interface HealthSource {
  check(): HealthReport;
}

export interface HealthServerOptions {
  /** Default 127.0.0.1. Binding another address is an explicit setting (`health.host`). */
  readonly host?: string;
  /** 0 picks a free port (tests); `url` tells which. */
  readonly port: number;
  readonly metrics: MetricsSource;
  readonly health: HealthSource;
}

export interface HealthServer {
  /** http://host:port, with the port actually bound. */
  readonly url: string;
  close(): Promise<void>;
}

export class HealthListenError extends DirsyncError {
  override readonly name = 'HealthListenError';
}

/**
 * GET /healthz (JSON: status and last run) and GET /metrics (Prometheus text); anything else
 * is 404. node:http only: two read-only routes do not justify a framework in the daemon.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const host = options.host ?? DEFAULT_HEALTH_HOST;
  const server = createServer((req, res) => {
    handle(req, res, options).catch((err: unknown) => {
      // Never let a rendering bug take the daemon down; the monitor sees a 500.
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `internal error: ${errorMessage(err)}\n`);
      else res.destroy();
    });
  });
  // A monitor that keeps a connection open must not hold the daemon's shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        new HealthListenError(
          'HEALTH_LISTEN',
          `health listener cannot bind ${host}:${options.port}: ${err.code ?? err.message}`,
          {
            host,
            port: options.port,
          },
        ),
      );
    };
    server.once('error', onError);
    server.listen(options.port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  let closed: Promise<void> | undefined;
  return {
    url,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: HealthServerOptions): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method === 'GET' && path === '/healthz') {
    const report = options.health.check();
    send(res, httpStatusOf(report.status), 'application/json; charset=utf-8', `${JSON.stringify(report)}\n`);
    return;
  }
  if (req.method === 'GET' && path === '/metrics') {
    const text = await options.metrics.render();
    send(res, 200, options.metrics.contentType, text);
    return;
  }
  send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}
