import type { DesiredUser, ManagedField, SnapshotUser } from './user-state';
import type { SkippedUser } from './skip';

export type OperationKind = 'create' | 'update' | 'deactivate' | 'reactivate';

interface OperationBase {
  readonly kind: OperationKind;
  readonly externalId: string;
  readonly userName: string;
  readonly dn: string;
}

export interface CreateOperation extends OperationBase {
  readonly kind: 'create';
  readonly desired: DesiredUser;
}

export interface UpdateOperation extends OperationBase {
  readonly kind: 'update' | 'reactivate';
  readonly targetId: string;
  readonly desired: DesiredUser;
  readonly changes: readonly FieldChange[];
}

export interface DeactivateOperation extends OperationBase {
  readonly kind: 'deactivate';
  readonly targetId: string;
  readonly previous: SnapshotUser;
  readonly why: 'disabled-in-directory' | 'left-scope';
}

export type Operation = CreateOperation | UpdateOperation | DeactivateOperation;

export interface FieldChange {
  readonly field: ManagedField;
  readonly from: string | boolean;
  readonly to: string | boolean;
}

export interface PlanSummary {
  readonly create: number;
  readonly update: number;
  readonly deactivate: number;
  readonly reactivate: number;
  readonly unchanged: number;
  readonly skipped: number;
}

export interface Plan {
  readonly operations: readonly Operation[];
  readonly skipped: readonly SkippedUser[];
  readonly summary: PlanSummary;
  /** Why deactivations were held back, when they were; empty when none were. */
  readonly held: readonly string[];
}
