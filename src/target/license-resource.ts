import type { LicenseRepresentation } from '../config/schema';
import { valuesOf, type PatchOperation } from './scim-types';

/** A string inside a value filter's double quotes (RFC 7644 §3.4.2.2). */
function quoted(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The attribute path that holds licenses, for the attribute representations. */
export function licenseAttributePath(rep: LicenseRepresentation): string | undefined {
  switch (rep.kind) {
    case 'entitlements':
      return 'entitlements';
    case 'roles':
      return 'roles';
    case 'extension':
      return `${rep.schema}:${rep.attribute}`;
    case 'groups':
      return undefined;
  }
}

/**
 * What a new account's body carries for its licenses and role. With licenses as roles, the
 * product role is the primary role value and the licenses are the other values.
 */
export function licenseBody(
  rep: LicenseRepresentation,
  role: string,
  licenses: readonly string[],
): { readonly attributes: Record<string, unknown>; readonly schemas: readonly string[] } {
  const values = licenses.map((value) => ({ value }));
  switch (rep.kind) {
    case 'entitlements':
      return { attributes: licenses.length > 0 ? { entitlements: values } : {}, schemas: [] };
    case 'roles':
      return { attributes: { roles: [{ value: role, primary: true }, ...values] }, schemas: [] };
    case 'extension':
      return licenses.length > 0
        ? { attributes: { [rep.schema]: { [rep.attribute]: values } }, schemas: [rep.schema] }
        : { attributes: {}, schemas: [] };
    case 'groups':
      return { attributes: {}, schemas: [] };
  }
}

/**
 * PATCH operations (RFC 7644 §3.5.2) that add and remove license values, leaving every other
 * value of the attribute alone: `add` with the new values, `remove` with a value filter.
 */
export function licensePatch(rep: LicenseRepresentation, grant: readonly string[], revoke: readonly string[]): PatchOperation[] {
  const path = licenseAttributePath(rep);
  if (!path) return [];
  const ops: PatchOperation[] = revoke.map((value) => ({ op: 'remove', path: `${path}[value eq ${quoted(value)}]` }));
  if (grant.length > 0) ops.push({ op: 'add', path, value: grant.map((value) => ({ value })) });
  return ops;
}

/** With licenses as roles, a role change must not replace the license values: swap one value. */
export function rolePatch(rep: LicenseRepresentation, from: string, to: string): PatchOperation[] {
  // Not roles, or adopting an account whose roles we do not know: set the one role outright.
  if (rep.kind !== 'roles' || from === '') return [{ op: 'replace', path: 'roles', value: [{ value: to, primary: true }] }];
  return [
    { op: 'remove', path: `roles[value eq ${quoted(from)}]` },
    { op: 'add', path: 'roles', value: [{ value: to, primary: true }] },
  ];
}

/**
 * The managed licenses an account holds according to a SCIM User resource, for the attribute
 * representations. Only catalog names count: other values of the attribute are not ours to judge.
 */
export function licensesOnUser(
  rep: LicenseRepresentation,
  user: Readonly<Record<string, unknown>>,
  catalog: ReadonlySet<string>,
): string[] {
  let values: string[];
  switch (rep.kind) {
    case 'entitlements':
      values = valuesOf(user['entitlements']);
      break;
    case 'roles':
      values = valuesOf(user['roles']);
      break;
    case 'extension': {
      const ext = user[rep.schema];
      values = ext !== null && typeof ext === 'object' ? valuesOf((ext as Record<string, unknown>)[rep.attribute]) : [];
      break;
    }
    case 'groups':
      values = [];
  }
  return [...new Set(values.filter((v) => catalog.has(v)))].sort();
}
