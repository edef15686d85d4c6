import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of the shared slapd that a test can cut, instead of stopping a server
 * other tests use. TLS passes through untouched (the certificate names 127.0.0.1, not a port).
 * `cutAfterBytes` cuts every connection once that many bytes came back from the server in
 * total, and refuses new ones: the server vanished in the middle of the read.
 */
export class TcpProxy {
  cutAfterBytes: number | undefined;
  bytesDown = 0;
  connections = 0;
  #cut = false;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();

  constructor(
    readonly upstreamHost: string,
    readonly upstreamPort: number,
  ) {}

  async start(): Promise<number> {
    const server = createServer((client) => this.#accept(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    return (server.address() as AddressInfo).port;
  }

  /** Back to a healthy link with fresh counters. */
  reset(cutAfterBytes?: number): void {
    this.cutAfterBytes = cutAfterBytes;
    this.bytesDown = 0;
    this.connections = 0;
    this.#cut = false;
  }

  get wasCut(): boolean {
    return this.#cut;
  }

  cut(): void {
    this.#cut = true;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }

  async stop(): Promise<void> {
    this.cut();
    const server = this.#server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    if (this.#cut) {
      client.destroy();
      return;
    }
    this.connections += 1;
    const upstream = connect(this.upstreamPort, this.upstreamHost);
    this.#sockets.add(client);
    this.#sockets.add(upstream);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.on('data', (d: Buffer) => upstream.write(d));
    upstream.on('data', (d: Buffer) => {
      if (this.cutAfterBytes !== undefined && this.bytesDown + d.length > this.cutAfterBytes) {
        // Deliver up to the cut point, then the server is gone.
        client.write(d.subarray(0, Math.max(0, this.cutAfterBytes - this.bytesDown)));
        this.bytesDown = this.cutAfterBytes;
        this.cut();
        return;
      }
      this.bytesDown += d.length;
      client.write(d);
    });
  }
}
