import { directoryOf, parseConfig } from '../../../src/config/load';
import { resolveSettings } from '../../../src/directory/settings';

function directory(
  extra: Record<string, unknown> = {},
  groupExtra: Record<string, unknown> = {},
): ReturnType<typeof directoryOf> {
  return directoryOf(
    parseConfig(
      {
        directory: {
          url: 'ldaps://dc1:636',
          bindDn: 'cn=svc',
          bindPassword: '${env:X}',
          users: { baseDns: ['dc=x'] },
          groups: [{ dn: 'cn=a,dc=x', role: 'User', userType: 'Viewer', ...groupExtra }],
          ...extra,
        },
        target: { url: 'https://t/scim/v2', token: '${env:T}' },
      },
      '/tmp',
    ),
  );
}

describe('vendor defaults', () => {
  it('Active Directory: objectGUID, sAMAccountName, person users, nesting on', () => {
    const s = resolveSettings(directory(), 'activedirectory');
    expect([s.idAttribute, s.usernameTemplate, s.userFilter]).toEqual([
      'objectGUID',
      '{sAMAccountName}',
      '(&(objectCategory=person)(objectClass=user))',
    ]);
    expect(s.groups[0]?.nested).toBe(true);
    expect(s.vendor.rangeRetrieval).toBe(true);
  });

  it('OpenLDAP: entryUUID, uid, inetOrgPerson, nesting off', () => {
    const s = resolveSettings(directory(), 'openldap');
    expect([s.idAttribute, s.usernameTemplate, s.userFilter]).toEqual(['entryUUID', '{uid}', '(objectClass=inetOrgPerson)']);
    expect(s.groups[0]?.nested).toBe(false);
  });

  it('the config wins over the vendor, per directory and per group', () => {
    expect(resolveSettings(directory({ nestedGroups: true }), 'openldap').groups[0]?.nested).toBe(true);
    expect(resolveSettings(directory({ nestedGroups: true }, { nested: false }), 'activedirectory').groups[0]?.nested).toBe(
      false,
    );
    const s = resolveSettings(
      directory({ attributes: { username: '{userPrincipalName}' }, users: { baseDns: ['dc=x'], idAttribute: 'employeeID' } }),
      'activedirectory',
    );
    expect([s.usernameTemplate, s.idAttribute]).toEqual(['{userPrincipalName}', 'employeeID']);
  });
});
