import { exportCsv } from '../../../src/csv/export';
import { describeRowErrors, parseCsvSource, type CsvSourceOptions } from '../../../src/csv/source';
import type { SnapshotUser } from '../../../src/model/user-state';

const OPTIONS: CsvSourceOptions = { format: 'builtin', username: { foldAccents: false, usernameCase: 'preserve' } };
const HEADER = 'Email,Role,User Type,First Name,Last Name,Username,Password';

function parse(lines: string[], options: CsvSourceOptions = OPTIONS): ReturnType<typeof parseCsvSource> {
  return parseCsvSource(`${lines.join('\r\n')}\r\n`, options);
}

function snapshotUser(userName: string, over: Partial<SnapshotUser> = {}): SnapshotUser {
  return {
    externalId: `id-${userName}`,
    targetId: `t-${userName}`,
    dn: `uid=${userName},dc=x`,
    userName,
    email: `${userName}@example.org`,
    givenName: 'Given',
    familyName: 'Family',
    displayName: 'Given Family',
    role: 'User',
    userType: 'Viewer',
    active: true,
    updatedAt: '2026-01-01T00:00:00Z',
    licenses: [],
    targetGroups: [],
    ...over,
  };
}

describe('CSV as a source: row validation', () => {
  it('lists every bad row with its spreadsheet row number and all its reasons, and returns no user', () => {
    const result = parse([
      HEADER,
      'alice@example.org,User,Viewer,Alice,Smith,alice.smith,',
      ',User,Viewer,No,Mail,nomail.user,',
      "o'neil@example.org,User,Viewer,Pat,O'Neil,pat.oneil,",
      'bo@example.org,,Viewer,Bo,Short,bo,',
      'carol@example.org,User,Viewer,Carol,White,carol.white,hunter2',
      'ALICE@example.org,User,Viewer,Alice,Again,alice.again,',
      'dave@example.org,User,Viewer,Dave,Brown',
    ]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(describeRowErrors(result.errors)).toEqual([
      'row 3: no email address',
      `row 4: email "o'neil@example.org" contains an apostrophe`,
      'row 5: Username "bo" becomes "bo", outside 6..128 characters; Role is empty',
      'row 6: Password must be empty: dirsync never reads or sends passwords',
      'row 7: same Email as row 2',
      'row 8: has 5 cells, the header has 7; Username is empty',
    ]);
  });

  it('names missing columns on row 1', () => {
    const result = parse(['Email,Role,First Name,Last Name,Username', 'a@example.org,User,A,B,abcdef']);
    expect(result).toMatchObject({ ok: false, errors: [{ row: 1, reasons: ['missing column(s): User Type'] }] });
  });

  it('role and user type from columns: one mapping per pair, id = the email lower-cased', () => {
    const result = parse([
      HEADER,
      'Alice@Example.org,Publisher,Creator,Alice,Smith,alice.smith,',
      '',
      'bob@example.org,User,Viewer,Bob,Jones,bob.jones,',
    ]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.users.map((u) => u.externalId)).toEqual(['alice@example.org', 'bob@example.org']);
    expect(result.mapping).toEqual([
      { dn: 'role=Publisher;userType=Creator', role: 'Publisher', userType: 'Creator' },
      { dn: 'role=User;userType=Viewer', role: 'User', userType: 'Viewer' },
    ]);
    expect(result.rows).toBe(2);
  });

  it('a group column and an id column: mapped by group name (first listed wins), unmapped rows out of scope', () => {
    const options: CsvSourceOptions = {
      ...OPTIONS,
      idColumn: 'Employee ID',
      groupColumn: 'Department',
      groups: [
        { name: 'Engineering', role: 'Publisher', userType: 'Creator' },
        { name: 'Sales', role: 'User', userType: 'Viewer' },
      ],
    };
    const result = parse(
      [
        'Employee ID,Email,First Name,Last Name,Username,Department',
        'E1,alice@example.org,Alice,Smith,alice.smith,sales;engineering',
        'E2,bob@example.org,Bob,Jones,bob.jones,Facilities',
        'E1,carol@example.org,Carol,White,carol.white,Sales',
      ],
      options,
    );
    expect(result).toMatchObject({ ok: false, errors: [{ row: 4, reasons: ['same Employee ID as row 2'] }] });
    const ok = parse(
      [
        'Employee ID,Email,First Name,Last Name,Username,Department',
        'E1,alice@example.org,Alice,Smith,alice.smith,sales;engineering',
        'E2,bob@example.org,Bob,Jones,bob.jones,Facilities',
      ],
      options,
    );
    expect(ok).toMatchObject({ ok: true, outOfScope: 1, users: [{ externalId: 'E1', groups: ['Sales', 'Engineering'] }] });
    if (ok.ok) expect(ok.mapping.map((m) => m.dn)).toEqual(['Engineering', 'Sales']);
  });

  it("re-reads dirsync's own export without loss, formula guard included", () => {
    const users = [
      snapshotUser('alice.smith', { givenName: 'Alice, "Al"', familyName: '=cmd|calc' }),
      snapshotUser('-dash.user', { givenName: '+plus', familyName: '@at' }),
      snapshotUser('gone.user', { active: false }),
    ];
    const csv = exportCsv(users, { format: 'saml', identityType: 'OIDC' });
    expect(csv.split('\r\n')[0]).toBe('Email,Role,User Type,First Name,Last Name,Username,Identity Type');
    const result = parseCsvSource(csv, { ...OPTIONS, format: 'saml' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(
      result.users.map((u) => [u.attributes.username?.[0], u.attributes.givenname?.[0], u.attributes.familyname?.[0]]),
    ).toEqual([
      ['-dash.user', '+plus', '@at'],
      ['alice.smith', 'Alice, "Al"', '=cmd|calc'],
    ]);
  });
});

describe('CSV export', () => {
  it("writes the product's three formats, sorted by username, Password always empty, inactive only with --all", () => {
    const users = [
      snapshotUser('zed.user'),
      snapshotUser('amy.user', { role: 'Publisher', userType: 'Creator' }),
      snapshotUser('old.user', { active: false }),
    ];
    expect(exportCsv(users, { format: 'builtin' })).toBe(
      'Email,Role,User Type,First Name,Last Name,Username,Password\r\n' +
        'amy.user@example.org,Publisher,Creator,Given,Family,amy.user,\r\n' +
        'zed.user@example.org,User,Viewer,Given,Family,zed.user,\r\n',
    );
    expect(exportCsv(users, { format: 'adldap', includeInactive: true })).toBe(
      'Username,Role,User Type\r\namy.user,Publisher,Creator\r\nold.user,User,Viewer\r\nzed.user,User,Viewer\r\n',
    );
    expect(exportCsv(users, { format: 'saml' }).split('\r\n')[0]).toBe('Email,Role,User Type,First Name,Last Name,Username');
  });
});
