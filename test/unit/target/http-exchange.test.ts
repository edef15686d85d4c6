import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { exchange } from '../../../src/target/http-exchange';

let server: Server | undefined;
let agent: Agent | undefined;

async function serve(listener: RequestListener): Promise<URL> {
  server = createServer(listener);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2/Users?count=1`);
}

afterEach(async () => {
  await agent?.close();
  agent = undefined;
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

function send(url: URL, body?: string, timeoutMs = 2000): ReturnType<typeof exchange> {
  agent ??= new Agent();
  return exchange(agent, url, { method: body === undefined ? 'GET' : 'POST', headers: { 'x-test': 'yes' }, body, timeoutMs });
}

describe('exchange (one request through undici dispatch)', () => {
  it('sends method, path with query, headers and body, and gathers a body sent in pieces', async () => {
    const seen: { method?: string; url?: string; header?: string; body: string } = { body: '' };
    const url = await serve((req, res) => {
      seen.method = req.method;
      seen.url = req.url;
      seen.header = req.headers['x-test'] as string;
      req.on('data', (d: Buffer) => (seen.body += d.toString()));
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/scim+json', etag: 'W/"1"' });
        res.write('{"id":"a",');
        setTimeout(() => res.end('"name":"é"}'), 20);
      });
    });
    const answer = await send(url, '{"userName":"u"}');
    expect(seen).toEqual({ method: 'POST', url: '/scim/v2/Users?count=1', header: 'yes', body: '{"userName":"u"}' });
    expect(answer.status).toBe(201);
    expect(answer.headers['etag']).toBe('W/"1"');
    expect(JSON.parse(answer.text)).toEqual({ id: 'a', name: 'é' });
  });

  it('drops a UTF-8 byte order mark, passes over a 1xx answer, and reads an empty body as empty text', async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls += 1;
      if (calls === 1) {
        res.writeEarlyHints({ link: '</x>; rel=preload' });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"ok":true}')]));
      } else {
        res.writeHead(204);
        res.end();
      }
    });
    const first = await send(url);
    expect(first.status).toBe(200);
    expect(first.text).toBe('{"ok":true}');
    const second = await send(url);
    expect(second).toMatchObject({ status: 204, text: '' });
  });

  it('rejects with undici’s error when the connection drops mid-body or the answer never comes', async () => {
    const url = await serve((req, res) => {
      if (req.url?.includes('count=1')) {
        res.writeHead(200, { 'content-length': '100' });
        res.write('{"partial":');
        setTimeout(() => res.destroy(), 20);
      }
      // any other path: never answers
    });
    await expect(send(url)).rejects.toThrow(/other side closed|terminated|socket/i);
    const silent = new URL(url);
    silent.search = '';
    await expect(send(silent, undefined, 200)).rejects.toThrow(/timeout/i);
  });
});
