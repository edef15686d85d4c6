import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Secret } from '../../../src/config/secret';
import { ScimClient } from '../../../src/target/scim-client';
import { snippet } from '../../../src/target/response-text';

type Handler = (req: IncomingMessage & { body: string }, res: ServerResponse) => void;

/** A scripted HTTP server on 127.0.0.1: each request takes the next handler (the last one repeats). */
async function fakeServer(
  handlers: Handler[],
): Promise<{ url: string; requests: (IncomingMessage & { body: string })[]; close(): Promise<void> }> {
  const requests: (IncomingMessage & { body: string })[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const r = Object.assign(req, { body });
      requests.push(r);
      const handler = handlers[Math.min(requests.length - 1, handlers.length - 1)] as Handler;
      handler(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/scim/v2`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/scim+json', ...headers });
    res.end(body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body));
  };
const html = (status: number, title: string): Handler =>
  json(status, `<!DOCTYPE html><html><head><title>${title}</title></head><body><p>Sorry.</p></body></html>`, {
    'content-type': 'text/html',
  });
const hang: Handler = () => undefined;

let server: Awaited<ReturnType<typeof fakeServer>> | undefined;
let client: ScimClient | undefined;

async function setup(handlers: Handler[], timeoutMs = 2000): Promise<ScimClient> {
  server = await fakeServer(handlers);
  client = new ScimClient({
    url: server.url,
    token: new Secret('t0ken'),
    allowInsecure: false,
    timeoutMs,
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
  });
  return client;
}

afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

const USER = { id: 'u1', userName: 'alice.smith', meta: { version: 'W/"7"' } };

describe('ETag discovery and If-Match', () => {
  it('reads etag.supported from /ServiceProviderConfig; anything else means unsupported', async () => {
    const c = await setup([
      json(200, { etag: { supported: true } }),
      json(200, { etag: { supported: false } }),
      json(200, { etag: 'yes' }),
      json(200, 'garbage'),
    ]);
    expect(await c.discover()).toEqual({ etag: true });
    expect(await c.discover()).toEqual({ etag: false });
    expect(await c.discover()).toEqual({ etag: false });
    expect(await c.discover()).toEqual({ etag: false });
  });

  it('returns the ETag header as the version, else meta.version', async () => {
    const c = await setup([json(200, USER, { etag: 'W/"9"' }), json(200, USER)]);
    expect((await c.getUserVersioned('u1'))?.version).toBe('W/"9"');
    expect((await c.getUserVersioned('u1'))?.version).toBe('W/"7"');
  });

  it('sends If-Match only when given one', async () => {
    const c = await setup([json(204, undefined)]);
    await c.patchUser('u1', [{ op: 'replace', path: 'active', value: false }], 'W/"7"');
    await c.patchUser('u1', [{ op: 'replace', path: 'active', value: false }]);
    expect(server?.requests.map((r) => r.headers['if-match'])).toEqual(['W/"7"', undefined]);
  });

  it('maps 412 to TARGET_PRECONDITION', async () => {
    const c = await setup([json(412, { detail: 'version mismatch' })]);
    await expect(c.patchUser('u1', [], 'W/"1"')).rejects.toMatchObject({ code: 'TARGET_PRECONDITION', status: 412 });
  });
});

describe('malformed answers get a clear error, never a crash', () => {
  it.each<[string, Handler, RegExp]>([
    [
      'non-JSON 200',
      json(200, 'OK then', { 'content-type': 'text/plain' }),
      /^POST \/Users answered 200 with an unexpected body: OK then$/,
    ],
    ['200 with an empty body', json(200, undefined), /^POST \/Users answered 200 with an unexpected body: \(empty\)$/],
    [
      'wrong schema (no id)',
      json(201, { userName: 'alice' }),
      /^POST \/Users answered 201 with an unexpected body: \{"userName":"alice"\}$/,
    ],
    [
      'an HTML page with 200',
      html(200, 'Sign in'),
      /^POST \/Users answered 200 with an unexpected body: HTML page: Sign in - Sorry\.$/,
    ],
    ['an HTML error page', html(400, '400 Bad Request'), /^POST \/Users answered 400: HTML page: 400 Bad Request - Sorry\.$/],
  ])('%s', async (_label, handler, message) => {
    const c = await setup([handler]);
    await expect(c.createUser({ userName: 'alice' })).rejects.toMatchObject({ message: expect.stringMatching(message) });
  });

  it('a PATCH answered 200 without the resource is not taken as confirmed', async () => {
    const c = await setup([json(200, undefined)]);
    await expect(c.patchUser('u1', [])).rejects.toMatchObject({ code: 'TARGET_RESPONSE' });
  });

  it('a list that is not a ListResponse', async () => {
    const c = await setup([json(200, { Resources: 'nope' })]);
    await expect(c.findUsers('externalId', 'x')).rejects.toMatchObject({
      code: 'TARGET_RESPONSE',
      message: expect.stringContaining('GET /Users?filter=externalId eq "x" answered 200 with an unexpected body'),
    });
  });

  it('snippets are one line, without control characters, and bounded', () => {
    expect(snippet('a\u0000b\r\nc')).toBe('a b c');
    expect(snippet('x'.repeat(500))).toHaveLength(200);
  });
});

describe('retries', () => {
  it('retries a GET on 5xx and honours Retry-After on 429', async () => {
    const c = await setup([
      json(503, { detail: 'busy' }),
      json(429, { detail: 'slow' }, { 'retry-after': '0' }),
      json(200, USER),
    ]);
    expect(await c.getUser('u1')).toMatchObject({ id: 'u1' });
    expect(c.stats).toEqual({ requests: 3, retries: 2 });
  });

  it('never retries a POST blindly: not on 500, not on a timeout; only on 429', async () => {
    let c = await setup([json(500, { detail: 'boom' }), json(201, USER)]);
    await expect(c.createUser({ userName: 'alice' })).rejects.toMatchObject({ status: 500 });
    expect(server?.requests).toHaveLength(1);
    await client?.close();
    await server?.close();

    c = await setup([hang], 200);
    await expect(c.createUser({ userName: 'alice' })).rejects.toMatchObject({ code: 'TARGET_HTTP', status: undefined });
    expect(server?.requests).toHaveLength(1);
    await client?.close();
    await server?.close();

    c = await setup([json(429, { detail: 'slow' }, { 'retry-after': '0' }), json(201, USER)]);
    expect(await c.createUser({ userName: 'alice' })).toMatchObject({ id: 'u1' });
    expect(server?.requests).toHaveLength(2);
  });

  it('retries a GET that timed out', async () => {
    const c = await setup([hang, json(200, USER)], 200);
    expect(await c.getUser('u1')).toMatchObject({ id: 'u1' });
  });

  it('quotes filter values so they cannot change the filter, and decides matches exactly', async () => {
    const c = await setup([
      json(200, {
        totalResults: 2,
        Resources: [
          { id: 'a', externalId: 'X"y' },
          { id: 'b', externalId: 'x"Y' },
        ],
      }),
    ]);
    expect((await c.findUsers('externalId', 'X"y')).map((u) => u.id)).toEqual(['a']);
    expect(decodeURIComponent(server?.requests[0]?.url ?? '')).toContain('filter=externalId eq "X\\"y"');
  });
});
