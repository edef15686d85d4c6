import { setTimeout as sleep } from 'node:timers/promises';
import { DirsyncError, TargetError, errorMessage } from '../errors/codes';
import type { Logger } from '../log/logger';
import type { LicenseRepresentation } from '../config/schema';
import type {
  CreateOperation,
  DeactivateOperation,
  DeleteOperation,
  Operation,
  RevokeOperation,
  UpdateOperation,
} from '../model/plan';
import type { SkippedUser } from '../model/skip';
import type { AccountAccess, DesiredUser, SnapshotUser } from '../model/user-state';
import { MANAGED_FIELDS, NO_ACCESS } from '../model/user-state';
import type { Journal } from '../state/journal';
import type { SnapshotChange } from '../state/snapshot';
import { licensePatch } from '../target/license-resource';
import { backoffDelay, DEFAULT_RETRY, type RetryPolicy } from '../target/retry';
import type { UserTarget } from '../target/scim-client';
import { SCIM_PATCH_SCHEMA, type PatchOperation, type ScimUser } from '../target/scim-types';
import { toPatchOperations, toScimUser } from '../target/user-resource';
import { decideAdoption, type AdoptionDecision } from './adoption';
import { BulkSender } from './bulk-batch';
import type { BulkContext, BulkWrite, SinglePath } from './bulk-context';
import { seqsOf, workUnits } from './bulk-units';
import { runPool } from './pool';
import { TargetGroups } from './target-groups';

export type OperationOutcome =
  | {
      readonly status: 'done';
      readonly targetId: string;
      readonly confirmed: SnapshotChange;
      readonly adopted?: boolean;
      /** Group memberships that failed while the account itself was written: retried next run. */
      readonly warnings?: readonly string[];
    }
  | {
      readonly status: 'failed';
      /** Names the operation and the user, for reports. */
      readonly error: string;
      /** The target's (or the transport's) own words. */
      readonly detail: string;
      readonly code: string;
      /** The target's state is unknown (no answer, 5xx, 429) or the failure is not this user's (401). */
      readonly unsettled: boolean;
    }
  | { readonly status: 'consolidation'; readonly message: string };

type DoneOutcome = Extract<OperationOutcome, { readonly status: 'done' }>;

/**
 * An outcome as a run keeps it once journalled: a done one without its confirmed row, which is
 * in the snapshot by then (at 100,000 creates, 100,000 rows the report never reads).
 */
export type SettledOutcome = Exclude<OperationOutcome, DoneOutcome> | Omit<DoneOutcome, 'confirmed'>;

export interface OperationResult {
  readonly operation: Operation;
  readonly outcome: SettledOutcome;
}

function settled(outcome: OperationOutcome): SettledOutcome {
  if (outcome.status !== 'done') return outcome;
  const kept: { status: 'done'; targetId: string; adopted?: boolean; warnings?: readonly string[] } = {
    status: 'done',
    targetId: outcome.targetId,
  };
  if (outcome.adopted !== undefined) kept.adopted = outcome.adopted;
  if (outcome.warnings !== undefined) kept.warnings = outcome.warnings;
  return kept;
}

export interface ApplyContext {
  readonly runId: string;
  readonly client: UserTarget;
  readonly journal: Journal;
  readonly logger: Logger;
  readonly concurrency: number;
  readonly now?: () => Date;
  /** The target advertised ETag support: every PATCH carries If-Match with the version just read. */
  readonly etag?: boolean;
  /** Attempts at a create whose answer never came, each after looking the account up. */
  readonly retry?: RetryPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Asked before each operation: a reason to send nothing more (the lease was lost, the daemon
   * is stopping). What was not sent stays pending in the journal.
   */
  readonly stopReason?: () => string | undefined;
  /** Told once per operation of the plan when its outcome is known (progress, the heap ceiling). */
  readonly onSettled?: () => void;
  /** How licenses reach the target, and the run's SCIM Group lookups. Unset: entitlements, no groups yet. */
  readonly access?: AccessContext;
  /** SCIM Bulk for the simple operations (bulk-batch.ts); unset: every operation is its own request. */
  readonly bulk?: BulkContext;
}

export interface AccessContext {
  readonly representation: LicenseRepresentation;
  /** displayName of the SCIM Group that stands for a license (representation "groups"). */
  readonly licenseGroup: (license: string) => string;
  readonly groups: TargetGroups;
}

const accessCache = new WeakMap<ApplyContext, AccessContext>();

function accessOf(ctx: ApplyContext): AccessContext {
  if (ctx.access) return ctx.access;
  let access = accessCache.get(ctx);
  if (!access) {
    access = { representation: { kind: 'entitlements' }, licenseGroup: (l) => l, groups: new TargetGroups(ctx.client) };
    accessCache.set(ctx, access);
  }
  return access;
}

export interface ApplyResult {
  readonly results: readonly OperationResult[];
  /** Users the target holds under another identity: never overwritten (DOMAIN.md consolidation). */
  readonly consolidation: readonly SkippedUser[];
}

/** How often a PATCH is re-read and re-sent after 412 Precondition Failed. */
const PRECONDITION_ATTEMPTS = 3;

function confirmed(user: DesiredUser, targetId: string, now: Date, access: AccountAccess = user): SnapshotUser {
  return {
    licenses: access.licenses,
    targetGroups: access.targetGroups,
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

/** Every managed field, the licenses and the link, for adopting an account whose current values we do not know. */
function adoptionPatch(user: DesiredUser, rep: LicenseRepresentation): PatchOperation[] {
  return [
    { op: 'replace', path: 'externalId', value: user.externalId },
    ...toPatchOperations(
      MANAGED_FIELDS.map((field) => ({ field, from: '', to: user[field] })),
      user,
      rep,
    ),
    ...licensePatch(rep, user.licenses, []),
  ];
}

/** Whether applyMemberships has a request to make for these changes (bulk sends only those without). */
function hasMembershipSteps(ctx: ApplyContext, grant: AccountAccess, revoke: AccountAccess): boolean {
  if (grant.targetGroups.length > 0 || revoke.targetGroups.length > 0) return true;
  return accessOf(ctx).representation.kind === 'groups' && (grant.licenses.length > 0 || revoke.licenses.length > 0);
}

interface MembershipResult {
  /** The access the account ends with, as far as the target confirmed it. */
  readonly access: AccountAccess;
  readonly warnings: string[];
}

/**
 * SCIM Group memberships: target groups, and licenses when they are represented as groups.
 * Each change is its own request; one that fails leaves the account's confirmed access as it
 * was for that item (so the next run tries again) and becomes a warning, never a lost change.
 */
async function applyMemberships(
  ctx: ApplyContext,
  userId: string,
  before: AccountAccess,
  grant: AccountAccess,
  revoke: AccountAccess,
): Promise<MembershipResult> {
  const access = accessOf(ctx);
  const licensesAsGroups = access.representation.kind === 'groups';
  const licenses = new Set(before.licenses);
  const targetGroups = new Set(before.targetGroups);
  // Attribute representations: the user PATCH already carried the license changes.
  if (!licensesAsGroups) {
    for (const l of grant.licenses) licenses.add(l);
    for (const l of revoke.licenses) licenses.delete(l);
  }
  const warnings: string[] = [];
  const steps: { what: string; run: () => Promise<void>; done: () => void }[] = [];
  for (const name of revoke.targetGroups) {
    steps.push({
      what: `remove from target group "${name}"`,
      run: () => access.groups.removeMember(name, userId),
      done: () => targetGroups.delete(name),
    });
  }
  for (const name of grant.targetGroups) {
    steps.push({
      what: `add to target group "${name}"`,
      run: () => access.groups.addMember(name, userId, true),
      done: () => targetGroups.add(name),
    });
  }
  if (licensesAsGroups) {
    for (const l of revoke.licenses) {
      const group = access.licenseGroup(l);
      steps.push({
        what: `revoke license "${l}" (group "${group}")`,
        run: () => access.groups.removeMember(group, userId),
        done: () => licenses.delete(l),
      });
    }
    for (const l of grant.licenses) {
      const group = access.licenseGroup(l);
      steps.push({
        what: `grant license "${l}" (group "${group}")`,
        run: () => access.groups.addMember(group, userId, false),
        done: () => licenses.add(l),
      });
    }
  }
  for (const step of steps) {
    try {
      await step.run();
      step.done();
    } catch (err) {
      if (err instanceof TargetError && err.code === 'TARGET_AUTH') throw err;
      warnings.push(`${step.what}: ${errorMessage(err)}`);
    }
  }
  return { access: { licenses: [...licenses].sort(), targetGroups: [...targetGroups].sort() }, warnings };
}

function doneWith(targetId: string, change: SnapshotChange, warnings: readonly string[], adopted?: boolean): OperationOutcome {
  return {
    status: 'done',
    targetId,
    confirmed: change,
    ...(adopted ? { adopted } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

function clock(ctx: ApplyContext): Date {
  return ctx.now ? ctx.now() : new Date();
}

/** No answer, a server error or a body we could not read: the create may or may not have happened. */
function isAmbiguous(err: unknown): boolean {
  if (!(err instanceof TargetError)) return false;
  return err.status === undefined || err.status >= 500 || err.code === 'TARGET_RESPONSE';
}

function isUnsettled(err: unknown): boolean {
  if (!(err instanceof TargetError)) return false;
  return err.status === undefined || err.status >= 500 || err.status === 429 || err.code === 'TARGET_AUTH';
}

/** PATCH, with If-Match where the target supports ETags; a 412 means re-read and re-send. */
async function patch(ctx: ApplyContext, id: string, ops: readonly PatchOperation[]): Promise<void> {
  if (!ctx.etag) {
    await ctx.client.patchUser(id, ops);
    return;
  }
  for (let attempt = 1; ; attempt += 1) {
    const current = await ctx.client.getUserVersioned(id);
    if (!current) throw new TargetError('TARGET_HTTP', `account ${id} no longer exists on the target`, 404);
    try {
      await ctx.client.patchUser(id, ops, current.version);
      return;
    } catch (err) {
      if (!(err instanceof TargetError && err.code === 'TARGET_PRECONDITION') || attempt >= PRECONDITION_ATTEMPTS) throw err;
      ctx.logger.debug('account changed between read and write; reading it again', { targetId: id });
    }
  }
}

async function adopt(ctx: ApplyContext, op: CreateOperation, account: ScimUser, why: string): Promise<OperationOutcome> {
  await patch(ctx, account.id, adoptionPatch(op.desired, accessOf(ctx).representation));
  ctx.logger.info('adopted existing target account', { dn: op.dn, userName: op.userName, targetId: account.id, why });
  const m = await applyMemberships(ctx, account.id, NO_ACCESS, op.desired, NO_ACCESS);
  return doneWith(account.id, confirmed(op.desired, account.id, clock(ctx), m.access), m.warnings, true);
}

async function lookUp(ctx: ApplyContext, op: CreateOperation): Promise<AdoptionDecision> {
  const byExternalId = await ctx.client.findUsers('externalId', op.externalId);
  if (byExternalId.length > 0) return decideAdoption(op, { byExternalId, byUserName: [], byEmail: [] });
  const byUserName = await ctx.client.findUsers('userName', op.userName);
  const byEmail = await ctx.client.findUsersByEmail(op.desired.email);
  return decideAdoption(op, { byExternalId, byUserName, byEmail });
}

async function settle(ctx: ApplyContext, op: CreateOperation, decision: AdoptionDecision): Promise<OperationOutcome | undefined> {
  switch (decision.kind) {
    case 'adopt':
      return adopt(ctx, op, decision.account, decision.why);
    case 'consolidate':
      return { status: 'consolidation', message: decision.message };
    case 'none':
      return undefined;
  }
}

/** The body of a create's POST /Users. */
function createResource(ctx: ApplyContext, op: CreateOperation): Record<string, unknown> {
  return toScimUser(op.desired, accessOf(ctx).representation);
}

/** After the target confirmed a create: memberships, then what the snapshot records. */
async function createdOutcome(ctx: ApplyContext, op: CreateOperation, targetId: string): Promise<OperationOutcome> {
  const m = await applyMemberships(ctx, targetId, NO_ACCESS, op.desired, NO_ACCESS);
  return doneWith(targetId, confirmed(op.desired, targetId, clock(ctx), m.access), m.warnings);
}

/**
 * Creates, never twice (invariant 3). `lookFirst` (resuming a dead run's create) asks the
 * target before sending. A 409 is settled by the adoption rule (adoption.ts). An answer that
 * never came is followed by a lookup by externalId: found means it landed; not found means a
 * new attempt is safe, after a backoff. Both lookups ask by externalId, then userName and email.
 */
async function applyCreate(ctx: ApplyContext, op: CreateOperation, lookFirst: boolean): Promise<OperationOutcome> {
  if (lookFirst) {
    const existing = await settle(ctx, op, await lookUp(ctx, op));
    if (existing) return existing;
  }
  const policy = ctx.retry ?? DEFAULT_RETRY;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const created = await ctx.client.createUser(createResource(ctx, op));
      return await createdOutcome(ctx, op, created.id);
    } catch (err) {
      if (err instanceof TargetError && err.status === 409) {
        return (
          (await settle(ctx, op, await lookUp(ctx, op))) ?? {
            status: 'consolidation',
            message: `the target refused the create as a conflict (${errorMessage(err)}) but shows no account with this userName, email or externalId: the holder may be outside the organisation; it needs consolidation`,
          }
        );
      }
      if (!isAmbiguous(err)) throw err;
      // Asked by externalId, then userName and email: a server that does not filter on
      // externalId still shows a create that landed under its userName.
      const landed = await settle(ctx, op, await lookUp(ctx, op));
      if (landed) return landed;
      if (attempt >= policy.maxAttempts) throw err;
      ctx.logger.debug('create got no usable answer and did not land; sending it again', { dn: op.dn, attempt });
      await (ctx.sleep ?? sleep)(backoffDelay(attempt, policy, undefined));
    }
  }
}

/** The access an account had before an update: what it has after, less the grants, plus the revocations. */
function accessBefore(op: UpdateOperation): AccountAccess {
  const back = (after: readonly string[], added: readonly string[], removed: readonly string[]): string[] => {
    const set = new Set(after);
    for (const x of added) set.delete(x);
    for (const x of removed) set.add(x);
    return [...set].sort();
  };
  return {
    licenses: back(op.desired.licenses, op.grant.licenses, op.revoke.licenses),
    targetGroups: back(op.desired.targetGroups, op.grant.targetGroups, op.revoke.targetGroups),
  };
}

/** The PATCH operations of an update or reactivation (none when only memberships change). */
function updatePatchOf(ctx: ApplyContext, op: UpdateOperation): PatchOperation[] {
  const rep = accessOf(ctx).representation;
  const ops = [...toPatchOperations(op.changes, op.desired, rep), ...licensePatch(rep, op.grant.licenses, op.revoke.licenses)];
  if (op.kind === 'reactivate') ops.push({ op: 'replace', path: 'active', value: true });
  return ops;
}

async function updatedOutcome(ctx: ApplyContext, op: UpdateOperation): Promise<OperationOutcome> {
  const m = await applyMemberships(ctx, op.targetId, accessBefore(op), op.grant, op.revoke);
  return doneWith(op.targetId, confirmed(op.desired, op.targetId, clock(ctx), m.access), m.warnings);
}

async function applyUpdate(ctx: ApplyContext, op: UpdateOperation): Promise<OperationOutcome> {
  const ops = updatePatchOf(ctx, op);
  if (ops.length > 0) await patch(ctx, op.targetId, ops);
  return updatedOutcome(ctx, op);
}

function deactivatePatchOf(ctx: ApplyContext, op: DeactivateOperation): PatchOperation[] {
  return [{ op: 'replace', path: 'active', value: false }, ...licensePatch(accessOf(ctx).representation, [], op.revoke.licenses)];
}

async function deactivatedOutcome(ctx: ApplyContext, op: DeactivateOperation): Promise<OperationOutcome> {
  const m = await applyMemberships(ctx, op.targetId, op.previous, NO_ACCESS, op.revoke);
  const now = clock(ctx).toISOString();
  const deactivated: SnapshotUser = { ...op.previous, ...m.access, active: false, updatedAt: now, deactivatedAt: now };
  return doneWith(op.targetId, deactivated, m.warnings);
}

async function applyDeactivate(ctx: ApplyContext, op: DeactivateOperation): Promise<OperationOutcome> {
  await patch(ctx, op.targetId, deactivatePatchOf(ctx, op));
  return deactivatedOutcome(ctx, op);
}

async function applyRevoke(ctx: ApplyContext, op: RevokeOperation): Promise<OperationOutcome> {
  const ops = licensePatch(accessOf(ctx).representation, [], op.revoke.licenses);
  if (ops.length > 0) await patch(ctx, op.targetId, ops);
  const m = await applyMemberships(ctx, op.targetId, op.previous, NO_ACCESS, op.revoke);
  // After the grace period every license goes: one the target no longer showed (not in the
  // revoke list) is dropped from the snapshot too; one whose removal failed stays, to retry.
  const released =
    op.why === 'grace-period-over' ? m.access.licenses.filter((l) => op.revoke.licenses.includes(l)) : m.access.licenses;
  return doneWith(
    op.targetId,
    { ...op.previous, ...m.access, licenses: released, updatedAt: clock(ctx).toISOString() },
    m.warnings,
  );
}

async function applyDelete(ctx: ApplyContext, op: DeleteOperation): Promise<OperationOutcome> {
  const existed = await ctx.client.deleteUser(op.targetId);
  if (!existed) ctx.logger.info('account to delete was already gone', { dn: op.dn, targetId: op.targetId });
  return doneWith(op.targetId, { removed: op.externalId }, []);
}

/** One operation; every failure becomes an outcome naming the operation and the user, never a throw. */
export async function applyOperation(
  ctx: ApplyContext,
  op: Operation,
  options: { lookFirst?: boolean } = {},
): Promise<OperationOutcome> {
  try {
    switch (op.kind) {
      case 'create':
        return await applyCreate(ctx, op, options.lookFirst ?? false);
      case 'update':
      case 'reactivate':
        return await applyUpdate(ctx, op);
      case 'deactivate':
        return await applyDeactivate(ctx, op);
      case 'revoke':
        return await applyRevoke(ctx, op);
      case 'delete':
        return await applyDelete(ctx, op);
    }
  } catch (err) {
    return failedOutcome(op, err);
  }
}

/** A failure as an outcome naming the operation and the user. */
function failedOutcome(op: Operation, err: unknown): OperationOutcome {
  const code = err instanceof DirsyncError ? err.code : 'INTERNAL';
  const detail = errorMessage(err);
  return { status: 'failed', error: `${op.kind} of ${op.userName}: ${detail}`, detail, code, unsettled: isUnsettled(err) };
}

/**
 * The target confirmed the write a bulk operation carried: what the single path does after its
 * own request succeeded (memberships, if any, and the snapshot change), never a throw.
 */
async function confirmWritten(ctx: ApplyContext, op: BulkWrite['op'], targetId: string): Promise<OperationOutcome> {
  try {
    switch (op.kind) {
      case 'create':
        return await createdOutcome(ctx, op, targetId);
      case 'update':
      case 'reactivate':
        return await updatedOutcome(ctx, op);
      case 'deactivate':
        return await deactivatedOutcome(ctx, op);
    }
  } catch (err) {
    return failedOutcome(op, err);
  }
}

/** Journal and log one outcome. `resumedBy` is set when a run settles another (dead) run's entry. */
export function recordOutcome(
  ctx: ApplyContext,
  entry: { readonly runId: string; readonly seq: number },
  op: Operation,
  outcome: OperationOutcome,
  resumedBy?: string,
  deferred = false,
): void {
  switch (outcome.status) {
    case 'done':
      // Deferred: written with others in one transaction; the caller flushes (Journal.completeDeferred).
      if (deferred) ctx.journal.completeDeferred(entry.runId, entry.seq, outcome.confirmed, resumedBy);
      else ctx.journal.complete(entry.runId, entry.seq, outcome.confirmed, resumedBy);
      ctx.logger.debug('operation done', { kind: op.kind, dn: op.dn, targetId: outcome.targetId });
      for (const warning of outcome.warnings ?? []) {
        ctx.logger.error('group membership not changed', { kind: op.kind, dn: op.dn, userName: op.userName, detail: warning });
      }
      break;
    case 'failed':
      ctx.journal.fail(entry.runId, entry.seq, outcome.error, resumedBy);
      ctx.logger.error('operation failed', {
        kind: op.kind,
        dn: op.dn,
        userName: op.userName,
        code: outcome.code,
        error: outcome.error,
      });
      break;
    case 'consolidation':
      ctx.journal.fail(entry.runId, entry.seq, outcome.message, resumedBy);
      ctx.logger.warn('needs consolidation', { dn: op.dn, userName: op.userName, detail: outcome.message });
      break;
  }
}

export function consolidationOf(results: readonly OperationResult[]): SkippedUser[] {
  return results.flatMap((r) =>
    r.outcome.status === 'consolidation'
      ? [
          {
            dn: r.operation.dn,
            externalId: r.operation.externalId,
            reason: 'NEEDS_CONSOLIDATION' as const,
            message: r.outcome.message,
          },
        ]
      : [],
  );
}

/**
 * The request of an operation simple enough to go in a SCIM Bulk: a create that looks nothing up
 * first, an update or deactivation whose PATCH carries no If-Match; none with a group membership
 * step. Undefined: the operation takes the single path.
 */
function bulkWriteOf(ctx: ApplyContext, op: Operation): BulkWrite | undefined {
  const patchOf = (ops: readonly PatchOperation[]): Record<string, unknown> => ({
    schemas: [SCIM_PATCH_SCHEMA],
    Operations: ops,
  });
  const path = (id: string): string => `/Users/${encodeURIComponent(id)}`;
  switch (op.kind) {
    case 'create':
      if (hasMembershipSteps(ctx, op.desired, NO_ACCESS)) return undefined;
      return { op, method: 'POST', path: '/Users', data: createResource(ctx, op) };
    case 'update':
    case 'reactivate': {
      if (ctx.etag || hasMembershipSteps(ctx, op.grant, op.revoke)) return undefined;
      const ops = updatePatchOf(ctx, op);
      return ops.length === 0 ? undefined : { op, method: 'PATCH', path: path(op.targetId), data: patchOf(ops) };
    }
    case 'deactivate':
      if (ctx.etag || hasMembershipSteps(ctx, NO_ACCESS, op.revoke)) return undefined;
      return { op, method: 'PATCH', path: path(op.targetId), data: patchOf(deactivatePatchOf(ctx, op)) };
    case 'revoke':
    case 'delete':
      return undefined;
  }
}

/** What the bulk sender needs of the single path (passed in: bulk-batch.ts does not import this file). */
function singlePath(ctx: ApplyContext): SinglePath {
  return {
    apply: (op, lookFirst) => applyOperation(ctx, op, { lookFirst }),
    confirm: (op, targetId) => confirmWritten(ctx, op, targetId),
    fail: failedOutcome,
  };
}

function sharedIds(operations: readonly Operation[]): Map<string, string[]> {
  const dns = new Map<string, string[]>();
  for (const op of operations) dns.set(op.externalId, [...(dns.get(op.externalId) ?? []), op.dn]);
  for (const [id, list] of dns) if (list.length < 2) dns.delete(id);
  return dns;
}

/**
 * Sends the plan with bounded concurrency, each operation journalled before it is sent. One
 * user's failure is recorded and reported; it never stops the others.
 */
export async function applyPlan(ctx: ApplyContext, operations: readonly Operation[]): Promise<ApplyResult> {
  const journalled = ctx.journal.recordInSteps(ctx.runId, operations);
  const results: OperationResult[] = [];
  // Two operations for one externalId would give two accounts one identity (an id attribute
  // that is not unique in the directory): neither is sent.
  const shared = sharedIds(operations);
  for (const [seq, op] of operations.entries()) {
    const dns = shared.get(op.externalId);
    if (!dns) continue;
    const detail = `not sent: ${dns.length} directory entries share externalId "${op.externalId}" (${dns.join('; ')}); the id attribute must be unique`;
    const outcome: OperationOutcome = {
      status: 'failed',
      error: `${op.kind} of ${op.userName}: ${detail}`,
      detail,
      code: 'INTERNAL',
      unsettled: false,
    };
    results[seq] = { operation: op, outcome };
    journalled.through(seq);
    recordOutcome(ctx, { runId: ctx.runId, seq }, op, outcome);
    ctx.onSettled?.();
  }
  // A refused token fails every request alike: stop at the first instead of sending them all.
  let authFailure: string | undefined;
  const settle = (seq: number, op: Operation, outcome: OperationOutcome): void => {
    results[seq] = { operation: op, outcome: settled(outcome) };
    if (outcome.status === 'failed' && outcome.code === 'TARGET_AUTH') authFailure ??= outcome.detail;
    recordOutcome(ctx, { runId: ctx.runId, seq }, op, outcome, undefined, true);
    ctx.onSettled?.();
  };
  const stop = (): string | undefined => (authFailure !== undefined ? 'the target refused the credentials' : ctx.stopReason?.());
  // Without bulk, one unit per operation in plan order; with it, the simple ones go in batches.
  const units = workUnits(operations, ctx.bulk, (op) => (shared.has(op.externalId) ? undefined : bulkWriteOf(ctx, op)));
  const bulk = new BulkSender(ctx, singlePath(ctx), settle, stop);
  let pool: Awaited<ReturnType<typeof runPool>>;
  try {
    pool = await runPool(
      units,
      ctx.concurrency,
      async (unit) => {
        journalled.through(unit.kind === 'batch' ? Math.max(...unit.seqs) : unit.seq);
        if (unit.kind === 'batch') return bulk.send(unit.items);
        const op = operations[unit.seq] as Operation;
        if (shared.has(op.externalId)) return;
        settle(unit.seq, op, await applyOperation(ctx, op));
      },
      stop,
    );
  } finally {
    try {
      ctx.journal.flush();
    } finally {
      // Whatever was not sent is journalled as pending: the next run resumes it.
      journalled.rest();
    }
  }
  const notStarted = [...pool.notStarted.flatMap((i) => seqsOf(units[i])), ...bulk.notSent].sort((a, b) => a - b);
  const stopReason = pool.stopReason ?? bulk.stopReason;
  if (authFailure !== undefined) {
    for (const seq of notStarted) ctx.journal.fail(ctx.runId, seq, `not sent: ${stopReason ?? 'stopped'}`);
    throw new TargetError('TARGET_AUTH', `the target refused the API token (target.token): ${authFailure}`, 401);
  }
  if (stopReason !== undefined) {
    // Left pending on purpose: the next run that holds the lease sends them (resume).
    const sentInBulk = bulk.unconfirmed.length;
    const unconfirmed = sentInBulk > 0 ? ` and ${sentInBulk} sent in a bulk request but not confirmed` : '';
    throw new DirsyncError(
      'RUN_STOPPED',
      `stopped sending: ${stopReason}; ${notStarted.length} operation(s) not sent${unconfirmed} stay in the journal for the next run`,
    );
  }
  const done = results.filter((r): r is OperationResult => r !== undefined);
  return { results: done, consolidation: consolidationOf(done) };
}
