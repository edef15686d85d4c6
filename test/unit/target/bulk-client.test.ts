import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Secret } from '../../../src/config/secret';
import { parseBulkResponse } from '../../../src/target/bulk-response';
import type { BulkOperation } from '../../../src/target/bulk-types';
import { ScimClient } from '../../../src/target/scim-client';

type Request = IncomingMessage & { body: string };
type Handler = (req: Request, res: ServerResponse) => void;

const RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

let server: Server | undefined;
let client: ScimClient | undefined;
let requests: Request[] = [];

/** A scripted server: each request takes the next handler (the last one repeats). */
async function setup(handlers: Handler[]): Promise<ScimClient> {
  requests = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const r = Object.assign(req, { body });
      requests.push(r);
      (handlers[Math.min(requests.length - 1, handlers.length - 1)] as Handler)(r, res);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new ScimClient({
    url: `http://127.0.0.1:${port}/scim/v2`,
    token: new Secret('t0ken'),
    allowInsecure: false,
    timeoutMs: 2000,
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
  });
  return client;
}

async function teardown(): Promise<void> {
  await client?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  client = undefined;
}

afterEach(teardown);

const json =
  (status: number, body: unknown): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/scim+json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
const drop: Handler = (req) => req.socket.destroy();

const CREATE: BulkOperation = { method: 'POST', bulkId: 'op0', path: '/Users', data: { userName: 'alice.smith' } };
const PATCH: BulkOperation = {
  method: 'PATCH',
  bulkId: 'op1',
  path: '/Users/u%201',
  data: { Operations: [{ op: 'replace', path: 'active', value: false }] },
};

const bulkResponse = (...operations: unknown[]) => ({ schemas: [RESPONSE_SCHEMA], Operations: operations });
const raw = (body: unknown) => ({ status: 200, body, text: JSON.stringify(body) ?? '', headers: {} });

describe('ServiceProviderConfig: bulk', () => {
  it('offers bulk only when bulk.supported is true; limits that are not positive integers are not given', async () => {
    const c = await setup([
      json(200, { etag: { supported: false }, bulk: { supported: true, maxOperations: 1000, maxPayloadSize: 1048576 } }),
      json(200, { bulk: { supported: false, maxOperations: 1000, maxPayloadSize: 1048576 } }),
      json(200, { bulk: { supported: true, maxOperations: '1000', maxPayloadSize: 0 } }),
      json(200, { etag: { supported: true }, bulk: 'yes' }),
    ]);
    expect(await c.discover()).toEqual({ etag: false, bulk: { maxOperations: 1000, maxPayloadSize: 1048576 } });
    expect(await c.discover()).toEqual({ etag: false });
    expect(await c.discover()).toEqual({ etag: false, bulk: { maxOperations: undefined, maxPayloadSize: undefined } });
    // A bulk section we cannot read does not cost the ETag support.
    expect(await c.discover()).toEqual({ etag: true });
  });
});

describe('sendBulk', () => {
  it('POSTs a BulkRequest to {base}/Bulk and returns the results in the order sent', async () => {
    const c = await setup([
      json(
        200,
        bulkResponse(
          // A server that echoes bulkId only for POST: the PATCH is matched by its location.
          { method: 'PATCH', location: 'http://127.0.0.1/scim/v2/Users/u%201', status: '204' },
          { method: 'POST', bulkId: 'op0', location: 'http://127.0.0.1/scim/v2/Users/new-1', status: 201 },
        ),
      ),
    ]);
    const answers = await c.sendBulk([CREATE, PATCH]);
    expect(answers).toEqual([
      { kind: 'result', bulkId: 'op0', status: 201, location: 'http://127.0.0.1/scim/v2/Users/new-1', response: undefined },
      { kind: 'result', bulkId: 'op1', status: 204, location: 'http://127.0.0.1/scim/v2/Users/u%201', response: undefined },
    ]);
    const [req] = requests;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/scim/v2/Bulk');
    expect(req?.headers['content-type']).toBe('application/scim+json');
    expect(JSON.parse(req?.body ?? '')).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: [CREATE, PATCH],
    });
  });

  it('an operation without a result is "missing", named by its bulkId, method and path', async () => {
    const c = await setup([json(200, bulkResponse({ bulkId: 'op0', status: '409', response: { detail: 'taken' } }))]);
    expect(await c.sendBulk([CREATE, PATCH])).toEqual([
      { kind: 'result', bulkId: 'op0', status: 409, location: undefined, response: { detail: 'taken' } },
      { kind: 'missing', bulkId: 'op1', detail: 'the BulkResponse has no result for bulkId "op1" (PATCH /Users/u%201)' },
    ]);
  });

  it('a bulk with a POST is retried on 429 only: a 503 may have created something', async () => {
    const ok = json(200, bulkResponse({ bulkId: 'op0', status: '201', location: '/Users/x' }));
    let c = await setup([json(429, { detail: 'slow down' }), ok]);
    expect(await c.sendBulk([CREATE])).toHaveLength(1);
    expect(requests).toHaveLength(2);
    await teardown();

    c = await setup([json(503, { detail: 'busy' }), ok]);
    await expect(c.sendBulk([CREATE])).rejects.toMatchObject({ code: 'TARGET_HTTP', status: 503 });
    expect(requests).toHaveLength(1);
    await teardown();

    c = await setup([drop, ok]);
    await expect(c.sendBulk([CREATE])).rejects.toMatchObject({ code: 'TARGET_HTTP', status: undefined });
    expect(requests).toHaveLength(1);
  });

  it('a bulk of PATCHes only is retried like a PATCH (5xx, no answer)', async () => {
    const ok = json(200, bulkResponse({ bulkId: 'op1', status: '200', location: '/Users/u%201' }));
    const c = await setup([json(503, { detail: 'busy' }), drop, ok]);
    expect(await c.sendBulk([PATCH])).toEqual([expect.objectContaining({ kind: 'result', status: 200 })]);
    expect(requests).toHaveLength(3);
  });

  it('401 is TARGET_AUTH, like any request', async () => {
    const c = await setup([json(401, { detail: 'Invalid bearer token' })]);
    await expect(c.sendBulk([CREATE])).rejects.toMatchObject({
      code: 'TARGET_AUTH',
      message: 'POST /Bulk answered 401: Invalid bearer token',
    });
  });

  it('refuses an empty request and duplicate bulkIds before sending', async () => {
    const c = await setup([json(200, bulkResponse())]);
    await expect(c.sendBulk([])).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(c.sendBulk([CREATE, { ...PATCH, bulkId: 'op0' }])).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(requests).toHaveLength(0);
  });
});

describe('parseBulkResponse: strict about what it reads', () => {
  it.each<[string, unknown, string]>([
    ['a body that is no JSON object', 'OK', 'the body: '],
    ['no schemas', { Operations: [] }, 'schemas is missing'],
    ['another message', { schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], Operations: [] }, 'lacks'],
    ['Operations missing', { schemas: [RESPONSE_SCHEMA] }, 'Operations is missing'],
    ['a result without status', bulkResponse({ bulkId: 'op0' }), 'Operations[0].status is missing'],
    [
      'a status that is none',
      bulkResponse({ bulkId: 'op0', status: 'created' }),
      'Operations[0].status: must be an HTTP status code',
    ],
    [
      'a result for an operation never sent',
      bulkResponse({ bulkId: 'op9', status: '201' }),
      'answers no operation that was sent (bulkId "op9")',
    ],
    [
      'two results for one operation',
      bulkResponse({ bulkId: 'op0', status: '201' }, { bulkId: 'op0', status: '409' }),
      'two results for bulkId "op0" (POST /Users)',
    ],
  ])('%s is TARGET_RESPONSE naming what is wrong', (_what, body, why) => {
    expect(() => parseBulkResponse(raw(body), [CREATE])).toThrow(expect.objectContaining({ code: 'TARGET_RESPONSE' }));
    expect(() => parseBulkResponse(raw(body), [CREATE])).toThrow(why);
  });
});
