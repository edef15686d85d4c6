import type { LicenseRepresentation } from '../../../src/config/schema';
import { licenseAttributePath, licenseBody, licensePatch, licensesOnUser, rolePatch } from '../../../src/target/license-resource';

const SCHEMA = 'urn:dirsync:params:scim:schemas:extension:licensing:2.0:User';
const ENTITLEMENTS: LicenseRepresentation = { kind: 'entitlements' };
const ROLES: LicenseRepresentation = { kind: 'roles' };
const EXTENSION: LicenseRepresentation = { kind: 'extension', schema: SCHEMA, attribute: 'licenses' };
const GROUPS: LicenseRepresentation = { kind: 'groups' };

describe('licenseAttributePath', () => {
  it.each([
    { rep: ENTITLEMENTS, path: 'entitlements' },
    { rep: ROLES, path: 'roles' },
    { rep: EXTENSION, path: `${SCHEMA}:licenses` },
    { rep: GROUPS, path: undefined },
  ])('$rep.kind -> $path', ({ rep, path }) => {
    expect(licenseAttributePath(rep)).toBe(path);
  });
});

describe('licenseBody: what a new account carries', () => {
  it('entitlements: one value per license', () => {
    expect(licenseBody(ENTITLEMENTS, 'Publisher', ['Analytics', 'Pro'])).toEqual({
      attributes: { entitlements: [{ value: 'Analytics' }, { value: 'Pro' }] },
      schemas: [],
    });
  });

  it('entitlements: nothing without licenses', () => {
    expect(licenseBody(ENTITLEMENTS, 'Publisher', [])).toEqual({ attributes: {}, schemas: [] });
  });

  it('roles: the product role is the primary value, the licenses the others', () => {
    expect(licenseBody(ROLES, 'Publisher', ['Analytics', 'Pro'])).toEqual({
      attributes: { roles: [{ value: 'Publisher', primary: true }, { value: 'Analytics' }, { value: 'Pro' }] },
      schemas: [],
    });
  });

  it('roles: the role alone without licenses', () => {
    expect(licenseBody(ROLES, 'Viewer', [])).toEqual({
      attributes: { roles: [{ value: 'Viewer', primary: true }] },
      schemas: [],
    });
  });

  it('extension: the attribute under the schema, and the schema announced', () => {
    expect(licenseBody(EXTENSION, 'Publisher', ['Pro'])).toEqual({
      attributes: { [SCHEMA]: { licenses: [{ value: 'Pro' }] } },
      schemas: [SCHEMA],
    });
  });

  it('extension: neither attribute nor schema without licenses', () => {
    expect(licenseBody(EXTENSION, 'Publisher', [])).toEqual({ attributes: {}, schemas: [] });
  });

  it('groups: nothing in the body (memberships are added after the account exists)', () => {
    expect(licenseBody(GROUPS, 'Publisher', ['Pro'])).toEqual({ attributes: {}, schemas: [] });
  });
});

describe('licensePatch: add and remove license values, leaving the others alone', () => {
  it('entitlements: a remove with a value filter per revoked license, then one add', () => {
    expect(licensePatch(ENTITLEMENTS, ['Beta', 'Pro'], ['Old', 'Older'])).toEqual([
      { op: 'remove', path: 'entitlements[value eq "Old"]' },
      { op: 'remove', path: 'entitlements[value eq "Older"]' },
      { op: 'add', path: 'entitlements', value: [{ value: 'Beta' }, { value: 'Pro' }] },
    ]);
  });

  it('roles', () => {
    expect(licensePatch(ROLES, ['Pro'], ['Old'])).toEqual([
      { op: 'remove', path: 'roles[value eq "Old"]' },
      { op: 'add', path: 'roles', value: [{ value: 'Pro' }] },
    ]);
  });

  it('extension: the path is the schema URN and the attribute', () => {
    expect(licensePatch(EXTENSION, ['Pro'], ['Old'])).toEqual([
      { op: 'remove', path: `${SCHEMA}:licenses[value eq "Old"]` },
      { op: 'add', path: `${SCHEMA}:licenses`, value: [{ value: 'Pro' }] },
    ]);
  });

  it('groups: nothing on the user (the group memberships carry the licenses)', () => {
    expect(licensePatch(GROUPS, ['Pro'], ['Old'])).toEqual([]);
  });

  it('nothing to grant or revoke: no operation', () => {
    expect(licensePatch(ENTITLEMENTS, [], [])).toEqual([]);
  });

  it('only revocations: no empty add', () => {
    expect(licensePatch(ENTITLEMENTS, [], ['Pro'])).toEqual([{ op: 'remove', path: 'entitlements[value eq "Pro"]' }]);
  });

  it('quotes and backslashes in a value are escaped inside the filter; the added value is sent as it is', () => {
    const odd = 'Pro "Plus" C:\\Tools';
    expect(licensePatch(ENTITLEMENTS, [odd], [odd])).toEqual([
      { op: 'remove', path: 'entitlements[value eq "Pro \\"Plus\\" C:\\\\Tools"]' },
      { op: 'add', path: 'entitlements', value: [{ value: 'Pro "Plus" C:\\Tools' }] },
    ]);
    // The filter as the server reads it: Pro \"Plus\" C:\\Tools
    const remove = licensePatch(ENTITLEMENTS, [], [odd])[0];
    expect(remove?.path).toBe(String.raw`entitlements[value eq "Pro \"Plus\" C:\\Tools"]`);
  });

  it('a value with "]" or " or " stays inside the quotes', () => {
    expect(licensePatch(ROLES, [], ['a] or value eq "b'])).toEqual([
      { op: 'remove', path: String.raw`roles[value eq "a] or value eq \"b"]` },
    ]);
  });
});

describe('rolePatch', () => {
  it('not roles: the role is replaced outright', () => {
    for (const rep of [ENTITLEMENTS, EXTENSION, GROUPS]) {
      expect(rolePatch(rep, 'Viewer', 'Publisher')).toEqual([
        { op: 'replace', path: 'roles', value: [{ value: 'Publisher', primary: true }] },
      ]);
    }
  });

  it('licenses as roles: the old role value is removed and the new one added, the license values stay', () => {
    expect(rolePatch(ROLES, 'Viewer', 'Publisher')).toEqual([
      { op: 'remove', path: 'roles[value eq "Viewer"]' },
      { op: 'add', path: 'roles', value: [{ value: 'Publisher', primary: true }] },
    ]);
  });

  it('licenses as roles, old role unknown (adoption): replaced outright', () => {
    expect(rolePatch(ROLES, '', 'Publisher')).toEqual([
      { op: 'replace', path: 'roles', value: [{ value: 'Publisher', primary: true }] },
    ]);
  });

  it('licenses as roles: the old role is quoted in the filter', () => {
    expect(rolePatch(ROLES, 'Data "Editor"', 'User')[0]).toEqual({
      op: 'remove',
      path: String.raw`roles[value eq "Data \"Editor\""]`,
    });
  });
});

describe('licensesOnUser: the managed licenses a SCIM User shows', () => {
  const catalog = new Set(['Analytics', 'Beta', 'Pro']);

  it('entitlements: catalog names only, sorted, without duplicates', () => {
    const user = {
      id: 't1',
      entitlements: [{ value: 'Pro' }, { value: 'Unmanaged' }, { value: 'Analytics' }, { value: 'Pro' }, { type: 'x' }, 'Beta'],
      roles: [{ value: 'Beta' }],
    };
    expect(licensesOnUser(ENTITLEMENTS, user, catalog)).toEqual(['Analytics', 'Pro']);
  });

  it('roles: the product role is not a license unless the catalog names it', () => {
    const user = {
      id: 't1',
      roles: [{ value: 'Publisher', primary: true }, { value: 'Beta' }],
      entitlements: [{ value: 'Pro' }],
    };
    expect(licensesOnUser(ROLES, user, catalog)).toEqual(['Beta']);
  });

  it('extension: the attribute under the schema', () => {
    const user = { id: 't1', [SCHEMA]: { licenses: [{ value: 'Pro' }, { value: 'Analytics' }], other: [{ value: 'Beta' }] } };
    expect(licensesOnUser(EXTENSION, user, catalog)).toEqual(['Analytics', 'Pro']);
  });

  it('extension: none when the extension or the attribute is missing or malformed', () => {
    expect(licensesOnUser(EXTENSION, { id: 't1' }, catalog)).toEqual([]);
    expect(licensesOnUser(EXTENSION, { id: 't1', [SCHEMA]: null }, catalog)).toEqual([]);
    expect(licensesOnUser(EXTENSION, { id: 't1', [SCHEMA]: 'Pro' }, catalog)).toEqual([]);
    expect(licensesOnUser(EXTENSION, { id: 't1', [SCHEMA]: { licenses: 'Pro' } }, catalog)).toEqual([]);
    // The attribute at the top level is not the extension's.
    expect(licensesOnUser(EXTENSION, { id: 't1', licenses: [{ value: 'Pro' }] }, catalog)).toEqual([]);
  });

  it('groups: nothing is read from the user resource', () => {
    expect(licensesOnUser(GROUPS, { id: 't1', entitlements: [{ value: 'Pro' }], roles: [{ value: 'Pro' }] }, catalog)).toEqual(
      [],
    );
  });

  it('entitlements missing or not a list: none', () => {
    expect(licensesOnUser(ENTITLEMENTS, { id: 't1' }, catalog)).toEqual([]);
    expect(licensesOnUser(ENTITLEMENTS, { id: 't1', entitlements: { value: 'Pro' } }, catalog)).toEqual([]);
  });
});
