import type { DirectoryUser } from '../../src/model/directory-user';
import type { CreateOperation, DeactivateOperation, UpdateOperation } from '../../src/model/plan';
import type { DesiredUser, SnapshotUser } from '../../src/model/user-state';

export const ENG = 'cn=engineering,ou=groups,dc=example,dc=org';
export const SALES = 'cn=sales,ou=groups,dc=example,dc=org';

export function directoryUser(
  uid: string,
  overrides: Partial<DirectoryUser> = {},
  attrs: Record<string, string[]> = {},
): DirectoryUser {
  return {
    dn: `uid=${uid},ou=people,dc=example,dc=org`,
    externalId: `id-${uid}`,
    attributes: { uid: [uid], mail: [`${uid}@example.org`], givenname: ['Given'], sn: ['Family'], ...attrs },
    groups: [ENG],
    disabled: false,
    ...overrides,
  };
}

export function desiredUser(uid: string, overrides: Partial<DesiredUser> = {}): DesiredUser {
  return {
    externalId: `id-${uid}`,
    dn: `uid=${uid},ou=people,dc=example,dc=org`,
    groups: [ENG],
    userName: uid,
    email: `${uid}@example.org`,
    givenName: 'Given',
    familyName: 'Family',
    displayName: 'Given Family',
    role: 'Publisher',
    userType: 'Creator',
    active: true,
    licenses: [],
    targetGroups: [],
    ...overrides,
  };
}

export function snapshotOf(user: DesiredUser, overrides: Partial<SnapshotUser> = {}): SnapshotUser {
  const { groups: _groups, ...rest } = user;
  return { ...rest, targetId: `t-${user.externalId}`, updatedAt: '2026-01-01T00:00:00.000Z', ...overrides };
}

/** A deactivation of a snapshot account, releasing `licenses` with it. */
export function deactivateOf(
  previous: SnapshotUser,
  why: DeactivateOperation['why'] = 'left-scope',
  licenses: readonly string[] = [],
): DeactivateOperation {
  return {
    kind: 'deactivate',
    externalId: previous.externalId,
    userName: previous.userName,
    dn: previous.dn,
    targetId: previous.targetId,
    previous,
    why,
    revoke: { licenses, targetGroups: [] },
  };
}

export function createOf(uid: string): CreateOperation {
  const desired = desiredUser(uid);
  return { kind: 'create', externalId: desired.externalId, userName: desired.userName, dn: desired.dn, desired };
}

/** An update of the display name (Given Family -> New Name), no access change. */
export function updateOf(uid: string, targetId: string): UpdateOperation {
  const desired = desiredUser(uid, { displayName: 'New Name' });
  return {
    kind: 'update',
    externalId: desired.externalId,
    userName: desired.userName,
    dn: desired.dn,
    targetId,
    desired,
    changes: [{ field: 'displayName', from: 'Given Family', to: 'New Name' }],
    grant: { licenses: [], targetGroups: [] },
    revoke: { licenses: [], targetGroups: [] },
  };
}
