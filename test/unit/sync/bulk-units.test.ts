import type { Operation } from '../../../src/model/plan';
import type { BulkWrite } from '../../../src/sync/bulk-context';
import { bulkLimitsFor } from '../../../src/sync/bulk-settings';
import { bulkItemOf, seqsOf, workUnits } from '../../../src/sync/bulk-units';
import { verdictOf } from '../../../src/sync/bulk-verdict';
import { SCIM_BULK_REQUEST_SCHEMA } from '../../../src/target/bulk-types';
import { createOf as create, updateOf as update } from '../builders';

const post = (op: Operation, padding = 0): BulkWrite | undefined =>
  op.kind === 'create'
    ? { op, method: 'POST', path: '/Users', data: { userName: op.userName, pad: 'x'.repeat(padding) } }
    : undefined;

const plan = (n: number): Operation[] => Array.from({ length: n }, (_, i) => create(`user.${i}`));

describe('workUnits: cutting a plan into batches', () => {
  it('without bulk, one unit per operation in plan order', () => {
    expect(workUnits(plan(3), undefined, post)).toEqual([
      { kind: 'single', seq: 0 },
      { kind: 'single', seq: 1 },
      { kind: 'single', seq: 2 },
    ]);
  });

  it('batches of at most maxOperations; what bulk does not take stays single, in plan order', () => {
    const ops = [...plan(5), update('bob.jones', 't1'), create('user.9')];
    const units = workUnits(ops, { maxOperations: 2, maxPayloadBytes: 1_000_000 }, post);
    expect(units.map(seqsOf)).toEqual([[0, 1], [2, 3], [4, 6], [5]]);
    expect(units.map((u) => u.kind)).toEqual(['batch', 'batch', 'batch', 'single']);
  });

  it('keeps every request body within maxPayloadBytes, exactly as the client serialises it', () => {
    const ops = plan(7);
    const write = (op: Operation): BulkWrite | undefined => post(op, 100);
    const one = bulkItemOf(0, write(ops[0] as Operation) as BulkWrite).bytes;
    const envelope = JSON.stringify({ schemas: [SCIM_BULK_REQUEST_SCHEMA], Operations: [] }).length;
    // Room for exactly three operations and the two commas between them.
    const limit = envelope + 3 * one + 2;
    const units = workUnits(ops, { maxOperations: 100, maxPayloadBytes: limit }, write);
    expect(units.map(seqsOf)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    for (const unit of units) {
      if (unit.kind !== 'batch') continue;
      const body = JSON.stringify({ schemas: [SCIM_BULK_REQUEST_SCHEMA], Operations: unit.items.map((i) => i.request) });
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(limit);
    }
    // An operation too large for any request goes on its own.
    expect(workUnits(ops.slice(0, 1), { maxOperations: 100, maxPayloadBytes: envelope + one - 1 }, write)).toEqual([
      { kind: 'single', seq: 0 },
    ]);
  });

  it('gives every operation a bulkId unique in the plan', () => {
    const units = workUnits(plan(4), { maxOperations: 10, maxPayloadBytes: 1_000_000 }, post);
    const first = units[0];
    expect(first?.kind === 'batch' ? first.items.map((i) => i.request.bulkId) : []).toEqual(['op0', 'op1', 'op2', 'op3']);
  });
});

describe('bulkLimitsFor: config and what the target advertises', () => {
  const config = { bulk: 'auto' as const, bulkMaxOperations: 100 };
  it('uses the smaller of our cap and the target maxOperations, and the target payload limit', () => {
    expect(bulkLimitsFor(config, { maxOperations: 1000, maxPayloadSize: 1_048_576 })).toEqual({
      limits: { maxOperations: 100, maxPayloadBytes: 1_048_576 },
    });
    expect(bulkLimitsFor(config, { maxOperations: 10, maxPayloadSize: 5000 })).toEqual({
      limits: { maxOperations: 10, maxPayloadBytes: 5000 },
    });
  });

  it('is off when configured off, not advertised, or advertised without limits', () => {
    expect(bulkLimitsFor({ ...config, bulk: 'off' }, { maxOperations: 10, maxPayloadSize: 5000 })).toEqual({
      why: 'target.bulk is off',
    });
    expect(bulkLimitsFor(config, undefined)).toEqual({ why: 'the target does not advertise bulk' });
    expect(bulkLimitsFor(config, { maxOperations: undefined, maxPayloadSize: 5000 })).toHaveProperty('why');
  });
});

describe('verdictOf: what one bulk result means', () => {
  const createItem = bulkItemOf(0, post(create('alice.smith')) as BulkWrite);
  const op = update('bob.jones', 'u-7');
  const patchItem = bulkItemOf(1, { op, method: 'PATCH', path: '/Users/u-7', data: {} });
  const result = (status: number, extra: { location?: string; response?: unknown } = {}) =>
    ({ kind: 'result', bulkId: 'op0', status, location: extra.location, response: extra.response }) as const;

  it('2xx confirms; a create takes its id from response.id, else from location', () => {
    expect(verdictOf(createItem, result(201, { location: 'https://x/scim/v2/Users/a%2Fb' }))).toEqual({
      kind: 'confirmed',
      targetId: 'a/b',
    });
    expect(verdictOf(createItem, result(201, { response: { id: 'u-1' } }))).toEqual({ kind: 'confirmed', targetId: 'u-1' });
    expect(verdictOf(patchItem, result(204))).toEqual({ kind: 'confirmed', targetId: 'u-7' });
  });

  it('a created id that cannot be known goes the single way (looked up there)', () => {
    expect(verdictOf(createItem, result(201))).toMatchObject({ kind: 'single' });
    expect(verdictOf(createItem, result(201, { location: 'https://x/scim/v2/Groups/g' }))).toMatchObject({ kind: 'single' });
    expect(verdictOf(createItem, result(201, { location: 'https://x/scim/v2/Users/a', response: { id: 'b' } }))).toMatchObject({
      kind: 'single',
      why: expect.stringContaining('disagree'),
    });
  });

  it.each([401, 403, 409, 412, 429, 500, 503, 302])('%s goes the single way', (status) => {
    expect(verdictOf(createItem, result(status))).toMatchObject({ kind: 'single' });
  });

  it('a missing result goes the single way; other 4xx fail with the target detail and code', () => {
    expect(verdictOf(createItem, { kind: 'missing', bulkId: 'op0', detail: 'no result' })).toEqual({
      kind: 'single',
      why: 'no result',
    });
    const verdict = verdictOf(patchItem, result(404, { response: { detail: 'User u-7 not found' } }));
    expect(verdict).toMatchObject({ kind: 'failed' });
    expect(verdict.kind === 'failed' && verdict.error).toMatchObject({
      code: 'TARGET_HTTP',
      status: 404,
      message: 'PATCH /Users/u-7 (in POST /Bulk) answered 404: User u-7 not found',
    });
  });
});
