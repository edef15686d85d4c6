import type { TargetError } from '../../../src/errors/codes';
import type { BulkAnswer, BulkOperation, BulkTarget } from '../../../src/target/bulk-types';
import type { PatchOperation, ScimUser } from '../../../src/target/scim-types';
import { FakeTarget } from './fake-target';

/**
 * How the fake answers one bulk operation instead of its real result. `applied: false` leaves
 * the target unchanged; by default the operation lands and only its answer is replaced (a lost
 * answer: the case that could duplicate a create).
 */
export interface BulkOverride {
  readonly status?: number;
  readonly missing?: boolean;
  readonly applied?: boolean;
  /** The `response` sent with a replaced status; a SCIM error with a fixed detail by default. */
  readonly response?: unknown;
  readonly location?: string;
}

/**
 * FakeTarget with SCIM Bulk: each bulk operation is applied to the same users (userName unique,
 * 409 like a POST), and recorded in `bulks`, not in `calls` (which counts single requests).
 */
export class FakeBulkTarget extends FakeTarget implements BulkTarget {
  readonly bulks: BulkOperation[][] = [];
  override: (op: BulkOperation) => BulkOverride | undefined = () => undefined;
  readonly #whole: { error: TargetError; after: boolean }[] = [];

  /** The next bulk request fails as a whole; `after`: its operations were applied first. */
  failBulk(error: TargetError, options: { after?: boolean } = {}): void {
    this.#whole.push({ error, after: options.after ?? false });
  }

  async sendBulk(operations: readonly BulkOperation[]): Promise<BulkAnswer[]> {
    this.bulks.push([...operations]);
    const whole = this.#whole.shift();
    if (whole && !whole.after) throw whole.error;
    const answers = operations.map((op) => this.#answer(op));
    if (whole) throw whole.error;
    return answers;
  }

  #answer(op: BulkOperation): BulkAnswer {
    const forced = this.override(op) ?? {};
    const real = forced.applied === false ? undefined : this.#apply(op);
    if (forced.missing) return { kind: 'missing', bulkId: op.bulkId, detail: `no result for bulkId "${op.bulkId}"` };
    if (forced.status === undefined && real) return real;
    return {
      kind: 'result',
      bulkId: op.bulkId,
      status: forced.status ?? 200,
      location: forced.location,
      response: 'response' in forced ? forced.response : { detail: `forced ${forced.status ?? 200}` },
    };
  }

  #apply(op: BulkOperation): BulkAnswer {
    const data = op.data ?? {};
    if (op.method === 'POST') {
      const userName = String(data['userName']);
      if ([...this.users.values()].some((u) => u.userName === userName)) {
        return this.#error(op, 409, `userName '${userName}' is already in use`, 'uniqueness');
      }
      const user = this.seed({
        userName,
        externalId: data['externalId'] as string,
        active: data['active'] as boolean,
        emails: data['emails'] as ScimUser['emails'],
      });
      return {
        kind: 'result',
        bulkId: op.bulkId,
        status: 201,
        location: `https://fake.invalid/scim/v2/Users/${user.id}`,
        response: undefined,
      };
    }
    const id = decodeURIComponent(op.path.replace(/^\/Users\//, ''));
    const user = this.users.get(id);
    if (!user) return this.#error(op, 404, `User ${id} not found`);
    const next = { ...user, version: user.version + 1 };
    for (const patch of (data['Operations'] ?? []) as PatchOperation[]) {
      if (patch.path === 'active') next.active = patch.value as boolean;
      if (patch.path === 'userName') next.userName = patch.value as string;
    }
    this.users.set(id, next);
    return {
      kind: 'result',
      bulkId: op.bulkId,
      status: 200,
      location: `https://fake.invalid/scim/v2${op.path}`,
      response: undefined,
    };
  }

  #error(op: BulkOperation, status: number, detail: string, scimType?: string): BulkAnswer {
    const response = { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: String(status), detail, scimType };
    return { kind: 'result', bulkId: op.bulkId, status, location: undefined, response };
  }

  /** Operations sent in bulk requests, as "METHOD path". */
  bulkOperations(): string[] {
    return this.bulks.flat().map((op) => `${op.method} ${op.path}`);
  }
}
