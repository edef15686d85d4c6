import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

/**
 * What the proxy does to one request.
 * - status: answers itself, without forwarding (a throttling gateway, a broken load balancer).
 * - hang: never answers and never forwards; the client's timeout ends it.
 * - drop-after: forwards, then closes the connection without answering (the request landed).
 * - hang-after: forwards, then withholds the answer until the client gives up (landed too).
 * - replace-body: forwards, then answers with another status and body (a gateway that mangles).
 */
export type Fault =
  | { readonly kind: 'status'; readonly status: number; readonly body?: string; readonly headers?: Record<string, string> }
  | { readonly kind: 'hang' }
  | { readonly kind: 'drop-after' }
  | { readonly kind: 'hang-after' }
  | { readonly kind: 'replace-body'; readonly status: number; readonly body: string; readonly contentType?: string };

export interface ProxiedRequest {
  readonly index: number;
  readonly method: string;
  readonly path: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface ProxyLogEntry extends ProxiedRequest {
  readonly at: number;
  readonly fault: Fault['kind'] | undefined;
  readonly faultStatus?: number;
  /** What the upstream answered, when the request was forwarded. */
  upstreamStatus?: number;
}

export type FaultRule = (req: ProxiedRequest) => Fault | undefined;

/** An HTTP proxy in front of the SCIM target that injects faults chosen by `rule`. */
export class FaultProxy {
  rule: FaultRule = () => undefined;
  /** Called when the upstream has answered a forwarded request, before the answer is relayed. */
  onUpstreamAnswer: ((req: ProxiedRequest, status: number) => void) | undefined;
  readonly log: ProxyLogEntry[] = [];
  #server: Server | undefined;
  #origin = '';
  readonly #held = new Set<ServerResponse>();

  constructor(readonly upstreamOrigin: string) {}

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch(() => res.destroy());
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.#origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.#origin;
  }

  get origin(): string {
    return this.#origin;
  }

  faults(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const e of this.log) {
      if (!e.fault) continue;
      const key = e.fault === 'status' ? `status ${e.faultStatus ?? ''}` : e.fault;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  async stop(): Promise<void> {
    for (const res of this.#held) res.destroy();
    this.#held.clear();
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.#server = undefined;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const info: ProxiedRequest = {
      index: this.log.length,
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      body: Buffer.concat(chunks).toString('utf8'),
      headers: req.headers,
    };
    const fault = this.rule(info);
    const entry: ProxyLogEntry = {
      ...info,
      at: performance.now(),
      fault: fault?.kind,
      ...(fault?.kind === 'status' ? { faultStatus: fault.status } : {}),
    };
    this.log.push(entry);
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'text/html', ...fault.headers });
      res.end(fault.body ?? `<html><head><title>${fault.status} Error</title></head><body><h1>Upstream error</h1></body></html>`);
      return;
    }
    if (fault?.kind === 'hang') {
      this.#hold(res);
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === 'string' && !['host', 'connection', 'content-length', 'keep-alive'].includes(k)) headers[k] = v;
    }
    const upstream = await request(`${this.upstreamOrigin}${info.path}`, {
      method: info.method as 'GET',
      headers,
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
    const body = Buffer.from(await upstream.body.arrayBuffer());
    entry.upstreamStatus = upstream.statusCode;
    this.onUpstreamAnswer?.(info, upstream.statusCode);
    switch (fault?.kind) {
      case 'drop-after':
        res.socket?.destroy();
        return;
      case 'hang-after':
        this.#hold(res);
        return;
      case 'replace-body':
        res.writeHead(fault.status, { 'content-type': fault.contentType ?? 'application/scim+json' });
        res.end(fault.body);
        return;
      default: {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(upstream.headers)) {
          if (typeof v === 'string' && !['connection', 'keep-alive', 'transfer-encoding'].includes(k)) out[k] = v;
        }
        res.writeHead(upstream.statusCode, out);
        res.end(body);
      }
    }
  }

  #hold(res: ServerResponse): void {
    this.#held.add(res);
    res.on('close', () => this.#held.delete(res));
  }
}
