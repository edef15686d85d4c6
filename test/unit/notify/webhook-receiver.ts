import { createServer, type IncomingHttpHeaders } from 'node:http';

export interface ReceivedHook {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: readonly ReceivedHook[];
  /** The status the next requests get (default 204). */
  status: number;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 that records every POSTed JSON body. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedHook[] = [];
  const receiver = { status: 204 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text: the test will see it is not JSON
      }
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(receiver.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('webhook receiver: no port');
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${address.port}/hooks/dirsync-secret-path`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}
