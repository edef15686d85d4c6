import type { AccountAccess, DesiredUser, ManagedField, SnapshotUser } from './user-state';
import type { SkippedUser } from './skip';

export type OperationKind = 'create' | 'update' | 'deactivate' | 'reactivate' | 'revoke' | 'delete';

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

/**
 * Field changes and license / target group changes of one account. `desired` holds the
 * licenses and target groups the account has once this operation is done.
 */
export interface UpdateOperation extends OperationBase {
  readonly kind: 'update' | 'reactivate';
  readonly targetId: string;
  readonly desired: DesiredUser;
  readonly changes: readonly FieldChange[];
  readonly grant: AccountAccess;
  readonly revoke: AccountAccess;
}

export interface DeactivateOperation extends OperationBase {
  readonly kind: 'deactivate';
  readonly targetId: string;
  readonly previous: SnapshotUser;
  readonly why: 'disabled-in-directory' | 'left-scope';
  /** Licenses released with the deactivation (licensing.deprovision.revokeLicensesAfterDays 0). */
  readonly revoke: AccountAccess;
}

/** Licenses (and target groups) taken from an account that is otherwise left as it is. */
export interface RevokeOperation extends OperationBase {
  readonly kind: 'revoke';
  readonly targetId: string;
  readonly previous: SnapshotUser;
  readonly revoke: AccountAccess;
  readonly why: 'grace-period-over' | 'access-removed';
}

/** Staged deprovisioning's last step: only with licensing.deprovision.deleteAfterDays set. */
export interface DeleteOperation extends OperationBase {
  readonly kind: 'delete';
  readonly targetId: string;
  readonly previous: SnapshotUser;
}

export type Operation = CreateOperation | UpdateOperation | DeactivateOperation | RevokeOperation | DeleteOperation;

/** The licenses an operation takes away (what the guard counts as revocations). */
export function revokedLicenses(op: Operation): readonly string[] {
  switch (op.kind) {
    case 'update':
    case 'reactivate':
    case 'deactivate':
    case 'revoke':
      return op.revoke.licenses;
    case 'create':
    case 'delete':
      return [];
  }
}

/** One license that could not go to everyone who should have it, or went to nobody for a reason. */
export interface LicenseShortfall {
  readonly license: string;
  /** Seats the connector may use this run (after seats held outside its management, when known). */
  readonly seats: number;
  /** Users who should have it (in scope, active, compatible). */
  readonly wanted: number;
  readonly short: number;
  /** The userNames left without a seat, in the order they will get one. */
  readonly waiting: readonly string[];
}

export interface IncompatibleLicense {
  readonly dn: string;
  readonly userName: string;
  readonly license: string;
  readonly userType: string;
}

/** A license found on the target that no mapped group grants (drift). */
export interface ExtraLicense {
  readonly userName: string;
  readonly license: string;
  /** true: licensing.exclusive, so this plan removes it. */
  readonly removed: boolean;
}

export interface LicenseReport {
  readonly shortfalls: readonly LicenseShortfall[];
  readonly incompatible: readonly IncompatibleLicense[];
  readonly extra: readonly ExtraLicense[];
  /** Licenses dirsync granted that the target no longer shows: granted again by this plan. */
  readonly restored: readonly { readonly userName: string; readonly license: string }[];
  /** Seats per license: granted before and after this plan (managed users only). */
  readonly seats: readonly { readonly license: string; readonly limit?: number; readonly used: number }[];
}

export const EMPTY_LICENSE_REPORT: LicenseReport = { shortfalls: [], incompatible: [], extra: [], restored: [], seats: [] };

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
  readonly revoke: number;
  readonly delete: number;
  readonly unchanged: number;
  readonly skipped: number;
  /** License assignments and removals across all operations. */
  readonly licensesGranted: number;
  readonly licensesRevoked: number;
}

export interface Plan {
  readonly operations: readonly Operation[];
  readonly skipped: readonly SkippedUser[];
  readonly summary: PlanSummary;
  /** Why deactivations were held back, when they were; empty when none were. */
  readonly held: readonly string[];
  readonly licenses: LicenseReport;
}
