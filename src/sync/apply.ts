import { DirsyncError, TargetError, errorMessage } from '../errors/codes';
import type { Logger } from '../log/logger';
import type { CreateOperation, DeactivateOperation, Operation, UpdateOperation } from '../model/plan';
import type { SkippedUser } from '../model/skip';
import type { DesiredUser, SnapshotUser } from '../model/user-state';
import type { Journal } from '../state/journal';
import type { ScimClient } from '../target/scim-client';
import type { ScimUser } from '../target/scim-types';
import { toPatchOperations, toScimUser } from '../target/user-resource';
import { MANAGED_FIELDS } from '../model/user-state';

export type OperationOutcome =
  | { readonly status: 'done'; readonly targetId: string; readonly confirmed: SnapshotUser; readonly adopted?: boolean }
  | { readonly status: 'failed'; readonly error: string; readonly code: string }
  | { readonly status: 'consolidation'; readonly message: string };

export interface OperationResult {
  readonly operation: Operation;
  readonly outcome: OperationOutcome;
}

export interface ApplyContext {
  readonly runId: string;
  readonly client: ScimClient;
  readonly journal: Journal;
  readonly logger: Logger;
  readonly concurrency: number;
  readonly now?: () => Date;
}

export interface ApplyResult {
  readonly results: readonly OperationResult[];
  /** Users the target holds under another identity: never overwritten (DOMAIN.md consolidation). */
  readonly consolidation: readonly SkippedUser[];
}

function confirmed(user: DesiredUser, targetId: string, now: Date): SnapshotUser {
  return {
    externalId: user.externalId,
    targetId,
    dn: user.dn,
    userName: user.userName,
    email: user.email,
    givenName: user.givenName,
    familyName: user.familyName,
    displayName: user.displayName,
    role: user.role,
    userType: user.userType,
    active: user.active,
    updatedAt: now.toISOString(),
  };
}

/** Every managed field, for adopting an account whose current values we do not know. */
function fullReplace(user: DesiredUser): ReturnType<typeof toPatchOperations> {
  return toPatchOperations(
    MANAGED_FIELDS.map((field) => ({ field, from: '', to: user[field] })),
    user,
  );
}

function clock(ctx: ApplyContext): Date {
  return ctx.now ? ctx.now() : new Date();
}

function isAmbiguous(err: unknown): boolean {
  // No answer, or a server error: the create may or may not have happened.
  return err instanceof TargetError && (err.status === undefined || err.status >= 500);
}

async function adopt(ctx: ApplyContext, op: CreateOperation, existing: ScimUser): Promise<OperationOutcome> {
  await ctx.client.patchUser(existing.id, fullReplace(op.desired));
  ctx.logger.info('adopted existing target account with the same externalId', { dn: op.dn, targetId: existing.id });
  return { status: 'done', targetId: existing.id, confirmed: confirmed(op.desired, existing.id, clock(ctx)), adopted: true };
}

/**
 * Creates, never twice (invariant 3). A 409 or an answer that never came is followed by a
 * lookup: the same externalId is our account and is adopted; an account that only shares the
 * userName belongs to someone else and is reported for consolidation, never taken over.
 */
async function applyCreate(ctx: ApplyContext, op: CreateOperation): Promise<OperationOutcome> {
  try {
    const created = await ctx.client.createUser(toScimUser(op.desired));
    return { status: 'done', targetId: created.id, confirmed: confirmed(op.desired, created.id, clock(ctx)) };
  } catch (err) {
    const conflict = err instanceof TargetError && err.status === 409;
    if (!conflict && !isAmbiguous(err)) throw err;
    const [sameId] = await ctx.client.findUsers('externalId', op.externalId);
    if (sameId) return adopt(ctx, op, sameId);
    if (!conflict) {
      // Nothing there: the first attempt did not land, so one more create is safe.
      const created = await ctx.client.createUser(toScimUser(op.desired));
      return { status: 'done', targetId: created.id, confirmed: confirmed(op.desired, created.id, clock(ctx)) };
    }
    const [sameName] = await ctx.client.findUsers('userName', op.userName);
    const holder = sameName ? `account ${sameName.id} (externalId ${sameName.externalId ?? 'none'})` : 'an account we cannot see';
    return {
      status: 'consolidation',
      message: `the target already has ${holder} with userName "${op.userName}" or the same email; it is not linked to this directory user, so it needs consolidation`,
    };
  }
}

async function applyUpdate(ctx: ApplyContext, op: UpdateOperation): Promise<OperationOutcome> {
  const ops = toPatchOperations(op.changes, op.desired);
  if (op.kind === 'reactivate') ops.push({ op: 'replace', path: 'active', value: true });
  await ctx.client.patchUser(op.targetId, ops);
  return { status: 'done', targetId: op.targetId, confirmed: confirmed(op.desired, op.targetId, clock(ctx)) };
}

async function applyDeactivate(ctx: ApplyContext, op: DeactivateOperation): Promise<OperationOutcome> {
  await ctx.client.patchUser(op.targetId, [{ op: 'replace', path: 'active', value: false }]);
  const deactivated = { ...op.previous, active: false, updatedAt: clock(ctx).toISOString() };
  return { status: 'done', targetId: op.targetId, confirmed: deactivated };
}

async function applyOne(ctx: ApplyContext, op: Operation): Promise<OperationOutcome> {
  try {
    switch (op.kind) {
      case 'create':
        return await applyCreate(ctx, op);
      case 'update':
      case 'reactivate':
        return await applyUpdate(ctx, op);
      case 'deactivate':
        return await applyDeactivate(ctx, op);
    }
  } catch (err) {
    const code = err instanceof DirsyncError ? err.code : 'INTERNAL';
    return { status: 'failed', error: errorMessage(err), code };
  }
}

/**
 * Journals the whole plan, then sends it with bounded concurrency. One user's failure is
 * recorded and reported; it never stops the others.
 */
export async function applyPlan(ctx: ApplyContext, operations: readonly Operation[]): Promise<ApplyResult> {
  ctx.journal.record(ctx.runId, operations);
  const results: OperationResult[] = new Array<OperationResult>(operations.length);
  let next = 0;
  // A refused token fails every request alike: stop at the first instead of sending them all.
  let authFailure: string | undefined;
  const worker = async (): Promise<void> => {
    while (next < operations.length && authFailure === undefined) {
      const seq = next;
      next += 1;
      const op = operations[seq] as Operation;
      const outcome = await applyOne(ctx, op);
      results[seq] = { operation: op, outcome };
      switch (outcome.status) {
        case 'done':
          ctx.journal.complete(ctx.runId, seq, outcome.confirmed);
          ctx.logger.debug('operation done', { kind: op.kind, dn: op.dn, targetId: outcome.targetId });
          break;
        case 'failed':
          if (outcome.code === 'TARGET_AUTH') authFailure = outcome.error;
          ctx.journal.fail(ctx.runId, seq, outcome.error);
          ctx.logger.error('operation failed', {
            kind: op.kind,
            dn: op.dn,
            userName: op.userName,
            code: outcome.code,
            error: outcome.error,
          });
          break;
        case 'consolidation':
          ctx.journal.fail(ctx.runId, seq, outcome.message);
          ctx.logger.warn('needs consolidation', { dn: op.dn, userName: op.userName, detail: outcome.message });
          break;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(ctx.concurrency, operations.length) }, worker));
  if (authFailure !== undefined) {
    for (let seq = next; seq < operations.length; seq += 1)
      ctx.journal.fail(ctx.runId, seq, 'not sent: the target refused the credentials');
    throw new TargetError('TARGET_AUTH', `the target refused the API token (target.token): ${authFailure}`, 401);
  }
  const consolidation: SkippedUser[] = results
    .filter((r) => r.outcome.status === 'consolidation')
    .map((r) => ({
      dn: r.operation.dn,
      externalId: r.operation.externalId,
      reason: 'NEEDS_CONSOLIDATION' as const,
      message: r.outcome.status === 'consolidation' ? r.outcome.message : '',
    }));
  return { results, consolidation };
}
