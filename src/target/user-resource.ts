import type { LicenseRepresentation } from '../config/schema';
import type { FieldChange } from '../model/plan';
import type { DesiredUser } from '../model/user-state';
import { licenseBody, rolePatch } from './license-resource';
import { SCIM_USER_SCHEMA, type PatchOperation } from './scim-types';

const ENTITLEMENTS: LicenseRepresentation = { kind: 'entitlements' };

/**
 * The SCIM User we create for a desired user, with its licenses as the representation says
 * (SCIM Group memberships are added after the account exists). Empty names are left out.
 */
export function toScimUser(user: DesiredUser, rep: LicenseRepresentation = ENTITLEMENTS): Record<string, unknown> {
  const name: Record<string, string> = {};
  if (user.givenName) name.givenName = user.givenName;
  if (user.familyName) name.familyName = user.familyName;
  const licenses = licenseBody(rep, user.role, user.licenses);
  return {
    schemas: [SCIM_USER_SCHEMA, ...licenses.schemas],
    externalId: user.externalId,
    userName: user.userName,
    ...(Object.keys(name).length > 0 ? { name } : {}),
    displayName: user.displayName,
    emails: [{ value: user.email, type: 'work', primary: true }],
    userType: user.userType,
    roles: [{ value: user.role, primary: true }],
    active: user.active,
    ...licenses.attributes,
  };
}

/** One PATCH operation per changed field; names use `replace` or `remove` when emptied. */
export function toPatchOperations(
  changes: readonly FieldChange[],
  user: DesiredUser,
  rep: LicenseRepresentation = ENTITLEMENTS,
): PatchOperation[] {
  const ops: PatchOperation[] = [];
  for (const change of changes) {
    switch (change.field) {
      case 'userName':
        ops.push({ op: 'replace', path: 'userName', value: user.userName });
        break;
      case 'email':
        ops.push({ op: 'replace', path: 'emails', value: [{ value: user.email, type: 'work', primary: true }] });
        break;
      case 'givenName':
        ops.push(
          user.givenName
            ? { op: 'replace', path: 'name.givenName', value: user.givenName }
            : { op: 'remove', path: 'name.givenName' },
        );
        break;
      case 'familyName':
        ops.push(
          user.familyName
            ? { op: 'replace', path: 'name.familyName', value: user.familyName }
            : { op: 'remove', path: 'name.familyName' },
        );
        break;
      case 'displayName':
        ops.push({ op: 'replace', path: 'displayName', value: user.displayName });
        break;
      case 'role':
        ops.push(...rolePatch(rep, String(change.from), user.role));
        break;
      case 'userType':
        ops.push({ op: 'replace', path: 'userType', value: user.userType });
        break;
      case 'active':
        ops.push({ op: 'replace', path: 'active', value: user.active });
        break;
    }
  }
  return ops;
}
