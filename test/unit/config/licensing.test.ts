import { parseConfig } from '../../../src/config/load';
import { ConfigError } from '../../../src/errors/codes';

interface RawGroup {
  dn: string;
  role: string;
  userType: string;
  licenses?: string[];
  targetGroups?: string[];
  priority?: number;
}

/** A minimal valid config, the same shape as load.test.ts builds, with optional licensing. */
function valid(
  groups: RawGroup[] = [{ dn: 'cn=staff,dc=example,dc=org', role: 'User', userType: 'Viewer' }],
  licensing?: unknown,
) {
  return {
    directory: {
      url: 'ldaps://dc1.example.org:636',
      bindDn: 'cn=svc,dc=example,dc=org',
      bindPassword: '${env:BIND_PW}',
      users: { baseDns: ['ou=people,dc=example,dc=org'] },
      groups,
    },
    target: { url: 'https://api.example.com/scim/v2', token: 'file:token.txt' },
    ...(licensing === undefined ? {} : { licensing }),
  };
}

function problems(raw: unknown): string[] {
  try {
    parseConfig(raw, '/etc/dirsync');
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

const CATALOG = [{ name: 'Pro' }, { name: 'Analytics', seats: 5 }];

describe('licensing config: defaults', () => {
  it('a config without licensing or guard gets the defaults', () => {
    const config = parseConfig(valid(), '/etc/dirsync');
    expect(config.licensing).toEqual({
      licenses: [],
      representation: { kind: 'entitlements' },
      exclusive: false,
      reconcile: 'full',
      deprovision: { revokeLicensesAfterDays: 30 },
    });
    expect(config.licensing.userTypes).toBeUndefined();
    expect(config.licensing.deprovision.deleteAfterDays).toBeUndefined();
    expect(config.guard).toEqual({
      deactivations: { maxCount: 10, maxPercent: 5 },
      licenseRevocations: { maxCount: 10, maxPercent: 5 },
      deletions: { maxCount: 10, maxPercent: 5 },
    });
    expect(config.directory?.groups[0]).toMatchObject({ licenses: [], targetGroups: [] });
  });

  it('a partial licensing section is completed', () => {
    const config = parseConfig(valid(undefined, { licenses: CATALOG, deprovision: { deleteAfterDays: 90 } }), '/etc/dirsync');
    expect(config.licensing).toEqual({
      licenses: [{ name: 'Pro' }, { name: 'Analytics', seats: 5 }],
      representation: { kind: 'entitlements' },
      exclusive: false,
      reconcile: 'full',
      deprovision: { revokeLicensesAfterDays: 30, deleteAfterDays: 90 },
    });
  });

  it('a partial guard keeps the defaults of the others', () => {
    const raw = { ...valid(), guard: { deactivations: { maxCount: 3 }, deletions: { maxPercent: 1 } } };
    expect(parseConfig(raw, '/etc/dirsync').guard).toEqual({
      deactivations: { maxCount: 3, maxPercent: 5 },
      licenseRevocations: { maxCount: 10, maxPercent: 5 },
      deletions: { maxCount: 10, maxPercent: 1 },
    });
  });

  it('accepts a complete, consistent licensing section', () => {
    const groups = [
      { dn: 'cn=a,dc=x', role: 'Publisher', userType: 'Creator', licenses: ['Pro', 'Analytics'], targetGroups: ['Team A'] },
      { dn: 'cn=b,dc=x', role: 'Viewer', userType: 'Viewer', licenses: ['Analytics'], priority: 5 },
    ];
    const licensing = {
      licenses: [{ name: 'Pro', seats: 'target', group: 'License: Pro' }, { name: 'Analytics' }],
      userTypes: { Creator: { roles: ['Publisher'], licenses: ['Pro', 'Analytics'] }, Viewer: { roles: ['Viewer'] } },
      representation: { kind: 'extension', schema: 'urn:example:licensing:2.0:User', attribute: 'licenses' },
      exclusive: true,
      reconcile: 'always',
      deprovision: { revokeLicensesAfterDays: 0, deleteAfterDays: 1 },
    };
    const config = parseConfig(valid(groups, licensing), '/etc/dirsync');
    expect(config.licensing.userTypes).toEqual({
      Creator: { roles: ['Publisher'], licenses: ['Pro', 'Analytics'] },
      Viewer: { roles: ['Viewer'], licenses: [] },
    });
    expect(config.licensing.representation).toEqual({
      kind: 'extension',
      schema: 'urn:example:licensing:2.0:User',
      attribute: 'licenses',
    });
    expect(config.licensing.deprovision).toEqual({ revokeLicensesAfterDays: 0, deleteAfterDays: 1 });
  });
});

describe('licensing config: errors name the path', () => {
  it('a group license that is not in licensing.licenses', () => {
    const groups = [{ dn: 'cn=a,dc=x', role: 'User', userType: 'Viewer', licenses: ['Pro', 'Typo'] }];
    expect(problems(valid(groups, { licenses: CATALOG }))).toEqual([
      'directory.groups[0].licenses[1]: "Typo" is not in licensing.licenses (known: Pro, Analytics)',
    ]);
  });

  it('a group license with an empty catalog', () => {
    const groups = [{ dn: 'cn=a,dc=x', role: 'User', userType: 'Viewer', licenses: ['Pro'] }];
    expect(problems(valid(groups))).toEqual([
      'directory.groups[0].licenses[0]: "Pro" is not in licensing.licenses (known: none)',
    ]);
  });

  it('a user type license that is not in licensing.licenses', () => {
    const licensing = { licenses: CATALOG, userTypes: { Viewer: { roles: ['User'], licenses: ['Analytics', 'Nope'] } } };
    expect(problems(valid(undefined, licensing))).toEqual([
      'licensing.userTypes.Viewer.licenses[1]: "Nope" is not in licensing.licenses (known: Pro, Analytics)',
    ]);
  });

  it('a role the group’s user type does not allow', () => {
    const groups = [
      { dn: 'cn=a,dc=x', role: 'Publisher', userType: 'Creator' },
      { dn: 'cn=b,dc=x', role: 'Publisher', userType: 'Viewer' },
    ];
    const licensing = { userTypes: { Creator: { roles: ['Publisher', 'User'] }, Viewer: { roles: ['Viewer', 'User'] } } };
    expect(problems(valid(groups, licensing))).toEqual([
      'directory.groups[1].role: "Publisher" is not allowed for user type "Viewer" (licensing.userTypes.Viewer.roles: Viewer, User)',
    ]);
  });

  it('a user type that is not in the table', () => {
    const groups = [
      { dn: 'cn=a,dc=x', role: 'User', userType: 'Creator' },
      { dn: 'cn=b,dc=x', role: 'User', userType: 'Editor' },
    ];
    const licensing = { userTypes: { Creator: { roles: ['User'] }, Viewer: { roles: ['Viewer'] } } };
    expect(problems(valid(groups, licensing))).toEqual([
      'directory.groups[1].userType: "Editor" is not in licensing.userTypes (known: Creator, Viewer)',
    ]);
  });

  it('without a user type table roles and user types are not checked', () => {
    const groups = [{ dn: 'cn=a,dc=x', role: 'Anything', userType: 'Whatever' }];
    expect(problems(valid(groups))).toEqual([]);
  });

  it('a license listed twice', () => {
    const licensing = { licenses: [{ name: 'Pro' }, { name: 'Analytics' }, { name: 'Pro', seats: 3 }] };
    expect(problems(valid(undefined, licensing))).toEqual(['licensing.licenses[2].name: "Pro" is listed twice']);
  });

  it('deleteAfterDays less than revokeLicensesAfterDays (set or default)', () => {
    expect(problems(valid(undefined, { deprovision: { revokeLicensesAfterDays: 60, deleteAfterDays: 59 } }))).toEqual([
      'licensing.deprovision.deleteAfterDays: must not be less than revokeLicensesAfterDays (60)',
    ]);
    expect(problems(valid(undefined, { deprovision: { deleteAfterDays: 10 } }))).toEqual([
      'licensing.deprovision.deleteAfterDays: must not be less than revokeLicensesAfterDays (30)',
    ]);
  });

  it('deleteAfterDays equal to revokeLicensesAfterDays is allowed', () => {
    expect(problems(valid(undefined, { deprovision: { revokeLicensesAfterDays: 30, deleteAfterDays: 30 } }))).toEqual([]);
  });

  it('deleteAfterDays 0 is refused: deletion is never immediate', () => {
    expect(problems(valid(undefined, { deprovision: { revokeLicensesAfterDays: 0, deleteAfterDays: 0 } }))).toEqual([
      expect.stringMatching(/^licensing\.deprovision\.deleteAfterDays: /),
    ]);
  });

  it('an extension representation without schema', () => {
    expect(problems(valid(undefined, { representation: { kind: 'extension', attribute: 'licenses' } }))).toEqual([
      'licensing.representation.schema: required',
    ]);
  });

  it('an extension representation with a schema that is not a URN', () => {
    expect(
      problems(valid(undefined, { representation: { kind: 'extension', schema: 'licensing', attribute: 'licenses' } })),
    ).toEqual(['licensing.representation.schema: must be a schema URN (urn:...)']);
  });

  it('a negative seat count', () => {
    expect(problems(valid(undefined, { licenses: [{ name: 'Pro', seats: -1 }] }))).toEqual([
      expect.stringMatching(/^licensing\.licenses\[0\]\.seats: /),
    ]);
  });

  it('reports every licensing problem at once', () => {
    const groups = [{ dn: 'cn=a,dc=x', role: 'Admin', userType: 'Viewer', licenses: ['Ghost'] }];
    const licensing = {
      licenses: [{ name: 'Pro' }, { name: 'Pro' }],
      userTypes: { Viewer: { roles: ['Viewer'] } },
      deprovision: { revokeLicensesAfterDays: 10, deleteAfterDays: 5 },
    };
    expect(problems(valid(groups, licensing))).toEqual([
      'licensing.licenses[1].name: "Pro" is listed twice',
      'licensing.deprovision.deleteAfterDays: must not be less than revokeLicensesAfterDays (10)',
      'directory.groups[0].licenses[0]: "Ghost" is not in licensing.licenses (known: Pro, Pro)',
      'directory.groups[0].role: "Admin" is not allowed for user type "Viewer" (licensing.userTypes.Viewer.roles: Viewer)',
    ]);
  });

  it('the groups of a CSV source are checked the same way', () => {
    const raw = {
      source: {
        csv: {
          file: 'people.csv',
          groupColumn: 'Department',
          groups: [{ name: 'Sales', role: 'User', userType: 'Viewer', licenses: ['Pro', 'Typo'] }],
        },
      },
      target: { url: 'https://api.example.com/scim/v2', token: 'file:token.txt' },
      licensing: { licenses: [{ name: 'Pro' }] },
    };
    expect(problems(raw)).toEqual(['source.csv.groups[0].licenses[1]: "Typo" is not in licensing.licenses (known: Pro)']);
  });
});
