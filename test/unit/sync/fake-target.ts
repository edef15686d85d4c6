import { TargetError } from '../../../src/errors/codes';
import type { UserTarget, VersionedUser } from '../../../src/target/scim-client';
import type { PatchOperation, ScimGroup, ScimUser } from '../../../src/target/scim-types';

export type Call =
  | { readonly method: 'create'; readonly userName: string }
  | {
      readonly method: 'patch';
      readonly id: string;
      readonly ifMatch: string | undefined;
      readonly ops: readonly PatchOperation[];
    }
  | { readonly method: 'get'; readonly id: string }
  | { readonly method: 'find'; readonly by: string; readonly value: string }
  | { readonly method: 'delete'; readonly id: string }
  | { readonly method: 'group'; readonly id: string; readonly ops: readonly PatchOperation[] };

type Method = Call['method'];

/**
 * An in-memory SCIM target for unit tests: userName is unique (409 like the real one), and
 * faults can be queued per method. A fault may be applied "after" (the change lands, the
 * answer is lost), which is the case that could duplicate a create.
 */
export class FakeTarget implements UserTarget {
  readonly users = new Map<string, ScimUser & { version: number }>();
  /** SCIM Groups by id: displayName and member ids. */
  readonly groups = new Map<string, { displayName: string; members: Set<string> }>();
  readonly calls: Call[] = [];
  #next = 1;
  readonly #faults: { method: Method; error: TargetError; after: boolean }[] = [];

  seed(user: Omit<ScimUser, 'id'> & { id?: string }): ScimUser {
    const id = user.id ?? `t${this.#next++}`;
    const stored = { ...user, id, version: 1 };
    this.users.set(id, stored);
    return stored;
  }

  fail(method: Method, error: TargetError, options: { after?: boolean; times?: number } = {}): void {
    for (let i = 0; i < (options.times ?? 1); i += 1) this.#faults.push({ method, error, after: options.after ?? false });
  }

  #fault(method: Method): { error: TargetError; after: boolean } | undefined {
    const i = this.#faults.findIndex((f) => f.method === method);
    return i < 0 ? undefined : this.#faults.splice(i, 1)[0];
  }

  async createUser(resource: Record<string, unknown>): Promise<ScimUser> {
    const userName = String(resource.userName);
    this.calls.push({ method: 'create', userName });
    const fault = this.#fault('create');
    if (fault && !fault.after) throw fault.error;
    if ([...this.users.values()].some((u) => u.userName === userName)) {
      throw new TargetError('TARGET_CONFLICT', `POST /Users answered 409: userName '${userName}' is already in use`, 409);
    }
    const user = this.seed({
      userName,
      externalId: resource.externalId as string,
      active: resource.active as boolean,
      emails: resource.emails as ScimUser['emails'],
    });
    if (fault) throw fault.error;
    return user;
  }

  async patchUser(id: string, operations: readonly PatchOperation[], ifMatch?: string): Promise<ScimUser | undefined> {
    this.calls.push({ method: 'patch', id, ifMatch, ops: operations });
    const fault = this.#fault('patch');
    if (fault && !fault.after) throw fault.error;
    const user = this.users.get(id);
    if (!user) throw new TargetError('TARGET_HTTP', `PATCH /Users/${id} answered 404: not found`, 404);
    if (ifMatch !== undefined && ifMatch !== `W/"${user.version}"`) {
      throw new TargetError('TARGET_PRECONDITION', `PATCH /Users/${id} answered 412: version mismatch`, 412);
    }
    const next = { ...user, version: user.version + 1 };
    for (const op of operations) {
      if (op.path === 'active') next.active = op.value as boolean;
      if (op.path === 'externalId') next.externalId = op.value as string;
      if (op.path === 'userName') next.userName = op.value as string;
      if (op.path === 'emails') next.emails = op.value as ScimUser['emails'];
    }
    this.users.set(id, next);
    if (fault) throw fault.error;
    return next;
  }

  async getUserVersioned(id: string): Promise<VersionedUser | undefined> {
    this.calls.push({ method: 'get', id });
    const fault = this.#fault('get');
    if (fault) throw fault.error;
    const user = this.users.get(id);
    return user && { user, version: `W/"${user.version}"` };
  }

  async findUsers(attribute: 'userName' | 'externalId', value: string): Promise<ScimUser[]> {
    this.calls.push({ method: 'find', by: attribute, value });
    const fault = this.#fault('find');
    if (fault) throw fault.error;
    return [...this.users.values()].filter((u) => u[attribute] === value);
  }

  async findUsersByEmail(email: string): Promise<ScimUser[]> {
    this.calls.push({ method: 'find', by: 'email', value: email });
    const fault = this.#fault('find');
    if (fault) throw fault.error;
    return [...this.users.values()].filter((u) => (u.emails ?? []).some((e) => e.value?.toLowerCase() === email.toLowerCase()));
  }

  async deleteUser(id: string): Promise<boolean> {
    this.calls.push({ method: 'delete', id });
    const fault = this.#fault('delete');
    if (fault && !fault.after) throw fault.error;
    const existed = this.users.delete(id);
    for (const g of this.groups.values()) g.members.delete(id);
    if (fault) throw fault.error;
    return existed;
  }

  async findGroups(displayName: string): Promise<ScimGroup[]> {
    return [...this.groups].filter(([, g]) => g.displayName === displayName).map(([id]) => ({ id, displayName }));
  }

  async getGroup(id: string): Promise<ScimGroup | undefined> {
    const g = this.groups.get(id);
    return g && { id, displayName: g.displayName, members: [...g.members].map((value) => ({ value })) };
  }

  async createGroup(displayName: string): Promise<ScimGroup> {
    const id = `g${this.#next++}`;
    this.groups.set(id, { displayName, members: new Set() });
    return { id, displayName };
  }

  async patchGroup(id: string, operations: readonly PatchOperation[]): Promise<void> {
    this.calls.push({ method: 'group', id, ops: operations });
    const fault = this.#fault('group');
    if (fault) throw fault.error;
    const g = this.groups.get(id);
    if (!g) throw new TargetError('TARGET_HTTP', `PATCH /Groups/${id} answered 404: not found`, 404);
    for (const op of operations) {
      if (op.op === 'add' && op.path === 'members') for (const m of op.value as { value: string }[]) g.members.add(m.value);
      const removed = op.op === 'remove' ? /^members\[value eq "(.*)"\]$/.exec(op.path ?? '') : null;
      if (removed?.[1] !== undefined) g.members.delete(removed[1]);
    }
  }

  count(method: Method): number {
    return this.calls.filter((c) => c.method === method).length;
  }
}

export const noAnswer = (what = 'POST /Users'): TargetError => new TargetError('TARGET_HTTP', `${what}: other side closed`);
export const serverError = (what = 'POST /Users'): TargetError =>
  new TargetError('TARGET_HTTP', `${what} answered 500: boom`, 500);
