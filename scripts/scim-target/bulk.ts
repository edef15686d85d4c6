/**
 * SCIM Bulk (RFC 7644 §3.7) for the test target, opt-in (`--bulk`). Each operation is handed to
 * the very resource handlers the single routes use, with the operation's own method, so that a
 * bulk create meets the same uniqueness check and storage as a POST /Users, and a bulk PATCH the
 * same PatchOp engine as a PATCH /Users/{id}.
 *
 * Why not scimmy's BulkRequest (1.3.5): it hands every operation the context of the bulk request
 * itself (method POST), so this server stored a PATCH through its PUT path (other validation:
 * two primary values refused instead of demoted) and set the Location header of the bulk answer
 * from a create inside it; it drops bulkId from the results of non-POST operations; and it reads
 * support and limits from scimmy's process-wide config, so two targets in one process could not
 * differ.
 *
 * Supported: POST, PUT, PATCH, DELETE on /Users and /Groups; failOnErrors; "bulkId:<id>" values
 * that name a resource created earlier in the same request. Refused as a whole: a body over
 * maxPayloadSize or more than maxOperations operations (413), a malformed request (400).
 */
import express from 'express';
import SCIMMY from 'scimmy';

export interface BulkSettings {
  readonly maxOperations: number;
  readonly maxPayloadSize: number;
}

export type BulkMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type BulkEndpoint = 'Users' | 'Groups';

/** What a single route would have answered: its status and the resource it returned, if any. */
export interface DispatchResult {
  readonly status: number;
  readonly resource?: { readonly id: string; readonly location?: string; readonly version?: string };
}

/** One target as the bulk endpoint sees it; undefined from `hostOf` means bulk is off for it. */
export interface BulkHost {
  readonly settings: BulkSettings;
  readonly baseUrl: string;
  dispatch(method: BulkMethod, endpoint: BulkEndpoint, id: string | undefined, data: unknown): Promise<DispatchResult>;
  recordOperation(method: BulkMethod, endpoint: BulkEndpoint): void;
}

export interface BulkRoutesOptions {
  hostOf(req: express.Request): BulkHost | undefined;
  /** The bearer check of the single routes; false when it has answered 401 itself. */
  authenticate(req: express.Request, res: express.Response): boolean;
}

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';
const METHODS: readonly string[] = ['POST', 'PUT', 'PATCH', 'DELETE'];
const PATH = /^\/(Users|Groups)(?:\/([^/]+))?$/;
const REFERENCE = /^bulkId:(.+)$/;

/** Statuses scimmy's Error message accepts; 413 only with scimType tooMany or none. */
type Status = 400 | 404 | 413;

function fail(status: Status, scimType: string, detail: string): Error {
  // scimmy's own code passes a falsy scimType when there is none.
  return new SCIMMY.Types.Error(status, scimType, detail);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function send(res: express.Response, status: number, body: unknown): void {
  res.status(status).type('application/scim+json').send(JSON.stringify(body));
}

function errorBody(error: unknown): { status: number; body: unknown } {
  if (error instanceof SCIMMY.Types.Error) return { status: error.status, body: new SCIMMY.Messages.Error(error) };
  process.stderr.write(
    `[scim-target] unexpected error in a bulk operation: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  const detail = error instanceof Error ? error.message : String(error);
  return { status: 500, body: new SCIMMY.Messages.Error({ status: 500, detail }) };
}

/** The whole request's shape; anything wrong here refuses the request before any operation. */
function checkRequest(body: unknown, settings: BulkSettings): { operations: unknown[]; failOnErrors: number | undefined } {
  if (!isRecord(body)) throw fail(400, 'invalidSyntax', 'A BulkRequest must be a JSON object');
  const schemas = body['schemas'];
  if (!Array.isArray(schemas) || schemas.length !== 1 || schemas[0] !== BULK_REQUEST) {
    throw fail(400, 'invalidSyntax', `"schemas" must be exactly ['${BULK_REQUEST}']`);
  }
  const operations = body['Operations'];
  if (!Array.isArray(operations) || operations.length === 0) {
    throw fail(400, 'invalidSyntax', '"Operations" must be an array of at least one operation');
  }
  if (operations.length > settings.maxOperations) {
    throw fail(413, '', `The number of operations (${operations.length}) exceeds maxOperations (${settings.maxOperations})`);
  }
  const failOnErrors = body['failOnErrors'];
  if (failOnErrors !== undefined && !(typeof failOnErrors === 'number' && Number.isInteger(failOnErrors) && failOnErrors > 0)) {
    throw fail(400, 'invalidValue', '"failOnErrors" must be a positive integer');
  }
  const ids = operations.map((op) => (isRecord(op) ? op['bulkId'] : undefined)).filter((id) => id !== undefined);
  if (new Set(ids).size !== ids.length) throw fail(400, 'invalidValue', 'Every bulkId must be unique within the request');
  return { operations, failOnErrors };
}

interface ParsedOperation {
  readonly method: BulkMethod;
  readonly endpoint: BulkEndpoint;
  readonly id: string | undefined;
  readonly bulkId: string | undefined;
  readonly data: unknown;
}

function parseOperation(raw: unknown, index: number): ParsedOperation {
  const where = `in operation #${index + 1}`;
  if (!isRecord(raw)) throw fail(400, 'invalidSyntax', `An operation must be a JSON object ${where}`);
  const { method, path, bulkId, data } = raw;
  if (typeof method !== 'string' || !METHODS.includes(method)) {
    throw fail(400, 'invalidValue', `"method" must be one of ${METHODS.join(', ')} ${where}`);
  }
  const match = typeof path === 'string' ? PATH.exec(path) : null;
  if (!match) throw fail(400, 'invalidValue', `"path" must be /Users, /Groups or one of their resources ${where}`);
  if (bulkId !== undefined && (typeof bulkId !== 'string' || bulkId === '')) {
    throw fail(400, 'invalidValue', `"bulkId" must be a non-empty string ${where}`);
  }
  let id: string | undefined;
  try {
    id = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
  } catch {
    throw fail(400, 'invalidValue', `"path" is not a valid URI path ${where}`);
  }
  if (method === 'POST' && (bulkId === undefined || id !== undefined)) {
    throw fail(400, 'invalidSyntax', `A POST needs a "bulkId" and a path without an id ${where}`);
  }
  if (method !== 'POST' && id === undefined) throw fail(404, '', `${method} must name a resource ${where}`);
  if (method !== 'DELETE' && !isRecord(data)) throw fail(400, 'invalidSyntax', `"data" must be a JSON object ${where}`);
  return { method: method as BulkMethod, endpoint: match[1] as BulkEndpoint, id, bulkId, data };
}

/** Replaces every "bulkId:<id>" string by the id of the resource that operation created. */
function resolveReferences(value: unknown, created: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') {
    const reference = REFERENCE.exec(value)?.[1];
    if (reference === undefined) return value;
    const id = created.get(reference);
    if (id === undefined) {
      throw fail(400, 'invalidValue', `bulkId '${reference}' names no resource created earlier in this request`);
    }
    return id;
  }
  if (Array.isArray(value)) return value.map((v) => resolveReferences(v, created));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveReferences(v, created)]));
  return value;
}

async function runOperations(host: BulkHost, operations: unknown[], failOnErrors: number | undefined): Promise<unknown[]> {
  const results: unknown[] = [];
  const created = new Map<string, string>();
  let errors = 0;
  for (const [index, raw] of operations.entries()) {
    if (failOnErrors !== undefined && errors >= failOnErrors) break;
    const echo = isRecord(raw) ? raw : {};
    const bulkId = typeof echo['bulkId'] === 'string' ? echo['bulkId'] : undefined;
    const method = typeof echo['method'] === 'string' ? echo['method'] : undefined;
    const path = typeof echo['path'] === 'string' ? echo['path'] : undefined;
    try {
      const op = parseOperation(raw, index);
      host.recordOperation(op.method, op.endpoint);
      const outcome = await host.dispatch(op.method, op.endpoint, op.id, resolveReferences(op.data, created));
      const resource = outcome.resource;
      if (op.bulkId !== undefined && op.method === 'POST' && resource) created.set(op.bulkId, resource.id);
      results.push({
        method: op.method,
        ...(bulkId === undefined ? {} : { bulkId }),
        ...(resource?.version === undefined ? {} : { version: resource.version }),
        location: resource?.location ?? `${host.baseUrl}${path ?? ''}`,
        status: String(outcome.status),
      });
    } catch (error) {
      errors += 1;
      const { status, body } = errorBody(error);
      results.push({
        ...(method === undefined ? {} : { method }),
        ...(bulkId === undefined ? {} : { bulkId }),
        // RFC 7644 §3.7.3: a failed POST has no location.
        ...(method === 'POST' || path === undefined ? {} : { location: `${host.baseUrl}${path}` }),
        status: String(status),
        response: body,
      });
    }
  }
  return results;
}

/**
 * POST /Bulk and the bulk part of GET /ServiceProviderConfig, for targets started with bulk;
 * every other request (and every request to a target without bulk) goes on to the SCIM router.
 */
export function bulkRoutes(options: BulkRoutesOptions): express.Router {
  const router = express.Router();
  router.use((req, _res, next) => {
    const bulkPath = req.path === '/Bulk' || req.path === '/ServiceProviderConfig';
    next(bulkPath && options.hostOf(req) !== undefined ? undefined : 'router');
  });
  router.use((req, res, next) => {
    if (options.authenticate(req, res)) next();
  });
  router.get('/ServiceProviderConfig', async (req, res, next) => {
    try {
      const host = options.hostOf(req) as BulkHost;
      SCIMMY.Resources.ServiceProviderConfig.basepath(host.baseUrl);
      const config: unknown = JSON.parse(JSON.stringify(await new SCIMMY.Resources.ServiceProviderConfig().read()));
      send(res, 200, { ...(isRecord(config) ? config : {}), bulk: { supported: true, ...host.settings } });
    } catch (error) {
      next(error);
    }
  });
  router.post(
    '/Bulk',
    (req, res, next) => {
      const limit = (options.hostOf(req) as BulkHost).settings.maxPayloadSize;
      if (Number(req.get('content-length') ?? 0) > limit) {
        send(res, 413, new SCIMMY.Messages.Error({ status: 413, detail: `The request exceeds maxPayloadSize (${limit} bytes)` }));
        return;
      }
      express.json({ type: ['application/scim+json', 'application/json'], limit })(req, res, (error?: unknown) => {
        if (error === undefined) return next();
        const tooLarge = isRecord(error) && error['type'] === 'entity.too.large';
        const status = tooLarge ? 413 : 400;
        const detail = tooLarge ? `The request exceeds maxPayloadSize (${limit} bytes)` : 'The request body is not valid JSON';
        send(res, status, new SCIMMY.Messages.Error({ status, ...(tooLarge ? {} : { scimType: 'invalidSyntax' }), detail }));
      });
    },
    async (req, res) => {
      const host = options.hostOf(req) as BulkHost;
      let checked: ReturnType<typeof checkRequest>;
      try {
        checked = checkRequest(req.body, host.settings);
      } catch (error) {
        const { status, body } = errorBody(error);
        send(res, status, body);
        return;
      }
      const results = await runOperations(host, checked.operations, checked.failOnErrors);
      send(res, 200, { schemas: [BULK_RESPONSE], Operations: results });
    },
  );
  return router;
}
