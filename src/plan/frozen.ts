import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Operation } from '../model/plan';
import { MANAGED_FIELDS, type SnapshotUser } from '../model/user-state';

/**
 * A frozen plan: the exact operations a `dirsync plan --out` produced, the fingerprint of the
 * snapshot they were computed against, and a digest over both, so `dirsync apply` can prove it
 * sends exactly what the admin reviewed, to the same target, from the same starting point.
 */
export const FROZEN_PLAN_FORMAT = 'dirsync-frozen-plan';
export const FROZEN_PLAN_VERSION = 1;

const str = z.string();
const Managed = {
  userName: str,
  email: str,
  givenName: str,
  familyName: str,
  displayName: str,
  role: str,
  userType: str,
  active: z.boolean(),
};
const List = z.array(str).default([]);
const Access = z.strictObject({ licenses: List, targetGroups: List });
const NoAccess = Access.default({ licenses: [], targetGroups: [] });
const Desired = z.strictObject({
  ...Managed,
  externalId: str.min(1),
  dn: str,
  groups: z.array(str),
  licenses: List,
  targetGroups: List,
});
const Snapshot = z.strictObject({
  ...Managed,
  externalId: str.min(1),
  targetId: str.min(1),
  dn: str,
  updatedAt: str,
  licenses: List,
  targetGroups: List,
  deactivatedAt: str.optional(),
});
const Change = z.strictObject({
  field: z.enum(MANAGED_FIELDS),
  from: z.union([str, z.boolean()]),
  to: z.union([str, z.boolean()]),
});
const Base = { externalId: str.min(1), userName: str, dn: str };

/** Strict: our own format. Also used to read journal entries back (older entries lack the access fields). */
export const OperationSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...Base, kind: z.literal('create'), desired: Desired }),
  z.strictObject({
    ...Base,
    kind: z.enum(['update', 'reactivate']),
    targetId: str.min(1),
    desired: Desired,
    changes: z.array(Change),
    grant: NoAccess,
    revoke: NoAccess,
  }),
  z.strictObject({
    ...Base,
    kind: z.literal('deactivate'),
    targetId: str.min(1),
    previous: Snapshot,
    why: z.enum(['disabled-in-directory', 'left-scope']),
    revoke: NoAccess,
  }),
  z.strictObject({
    ...Base,
    kind: z.literal('revoke'),
    targetId: str.min(1),
    previous: Snapshot,
    revoke: Access,
    why: z.enum(['grace-period-over', 'access-removed']),
  }),
  z.strictObject({ ...Base, kind: z.literal('delete'), targetId: str.min(1), previous: Snapshot }),
]);

const FrozenPlanSchema = z.strictObject({
  format: z.literal(FROZEN_PLAN_FORMAT),
  version: z.literal(FROZEN_PLAN_VERSION),
  createdAt: str,
  planRunId: str,
  target: str,
  snapshot: z.strictObject({ fingerprint: str, users: z.number().int(), active: z.number().int() }),
  /** Deactivations beyond the guard; applying the plan approves them. */
  guardExceeded: z.array(str),
  operations: z.array(OperationSchema),
  digest: str,
});
export type FrozenPlan = z.infer<typeof FrozenPlanSchema>;

/** JSON with object keys sorted, so equal content always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

/**
 * What the target confirmed, fingerprinted. `updatedAt` is left out: re-confirming the same
 * values does not change what a plan was computed against.
 */
export function snapshotFingerprint(snapshot: readonly SnapshotUser[]): string {
  const rows = [...snapshot].sort((a, b) => (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0));
  // Hashed row by row: the same bytes as canonicalJson(rows), without building one string of
  // tens of megabytes at 100k users.
  const hash = createHash('sha256').update('[', 'utf8');
  rows.forEach(({ updatedAt: _updatedAt, ...rest }, i) => hash.update(`${i > 0 ? ',' : ''}${canonicalJson(rest)}`, 'utf8'));
  return `sha256:${hash.update(']', 'utf8').digest('hex')}`;
}

function digestOf(plan: Omit<FrozenPlan, 'digest'>): string {
  return sha256(canonicalJson({ target: plan.target, snapshot: plan.snapshot.fingerprint, operations: plan.operations }));
}

export interface SnapshotSummary {
  readonly fingerprint: string;
  readonly users: number;
  readonly active: number;
}

export function summarizeSnapshot(snapshot: readonly SnapshotUser[]): SnapshotSummary {
  return { fingerprint: snapshotFingerprint(snapshot), users: snapshot.length, active: snapshot.filter((u) => u.active).length };
}

export interface FreezeInput {
  readonly operations: readonly Operation[];
  readonly snapshot: SnapshotSummary;
  readonly target: string;
  readonly planRunId: string;
  readonly createdAt: Date;
  readonly guardExceeded: readonly string[];
}

export function freezePlan(input: FreezeInput): FrozenPlan {
  const body: Omit<FrozenPlan, 'digest'> = {
    format: FROZEN_PLAN_FORMAT,
    version: FROZEN_PLAN_VERSION,
    createdAt: input.createdAt.toISOString(),
    planRunId: input.planRunId,
    target: input.target,
    snapshot: { ...input.snapshot },
    guardExceeded: [...input.guardExceeded],
    // A plain copy: the plan file must hold data only, whatever the operations carried.
    operations: JSON.parse(JSON.stringify(input.operations)) as FrozenPlan['operations'],
  };
  return { ...body, digest: digestOf(body) };
}

export type ParsedFrozenPlan =
  { readonly ok: true; readonly plan: FrozenPlan } | { readonly ok: false; readonly problem: string };

/** Validates a plan file's content; the problem names what is wrong. */
export function parseFrozenPlan(text: string): ParsedFrozenPlan {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: `not JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  const parsed = FrozenPlanSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first ? first.path.map(String).join('.') || '(top level)' : '';
    return {
      ok: false,
      problem: `not a dirsync ${FROZEN_PLAN_FORMAT} v${FROZEN_PLAN_VERSION} (${where}: ${first?.message ?? 'invalid'})`,
    };
  }
  const { digest, ...body } = parsed.data;
  if (digestOf(body) !== digest) {
    return {
      ok: false,
      problem: 'its digest does not match its content: the file was changed after `dirsync plan --out` wrote it',
    };
  }
  return { ok: true, plan: parsed.data };
}
