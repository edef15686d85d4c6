import { Secret } from '../../../src/config/secret';
import { DirectoryClient } from '../../../src/directory/client';
import { GroupLists, readDirectory, ruleAttributes } from '../../../src/directory/read';
import type { DirectorySettings } from '../../../src/directory/settings';
import { vendorFor } from '../../../src/directory/vendor';
import { startFakeLdap, type FakeEntry, type FakeLdap } from './fake-ldap';

const PEOPLE = 'ou=people,dc=example,dc=org';
const GROUPS = 'ou=groups,dc=example,dc=org';
const dn = (uid: string): string => `uid=${uid},${PEOPLE}`;
const group = (cn: string): string => `cn=${cn},${GROUPS}`;

function person(uid: string, csn: string): FakeEntry {
  return {
    dn: dn(uid),
    attributes: {
      uid: [uid],
      mail: [`${uid}@example.org`],
      givenName: ['Given'],
      sn: ['Family'],
      displayName: [`Given ${uid}`],
      entryUUID: [`id-${uid}`],
      entryCSN: [csn],
    },
  };
}

function groupEntry(cn: string, members: readonly string[], csn = '20260101000000.000000Z#000000#000#000000'): FakeEntry {
  return { dn: group(cn), attributes: { objectClass: ['top', 'groupOfNames'], entryCSN: [csn], member: members } };
}

const settings = (groups: DirectorySettings['groups'], baseDns: readonly string[] = [PEOPLE]): DirectorySettings => ({
  vendor: vendorFor('openldap'),
  baseDns,
  userFilter: '(objectClass=inetOrgPerson)',
  idAttribute: 'entryUUID',
  usernameTemplate: '{uid}',
  attributes: { email: 'mail', givenName: 'givenName', familyName: 'sn', displayName: 'displayName' },
  memberAttribute: 'member',
  maxNestingDepth: 5,
  pageSize: 2,
  groups,
});

describe('readDirectory', () => {
  let server: FakeLdap;
  let client: DirectoryClient;

  beforeAll(async () => {
    const csn = (n: number): string => `2026010100000${n}.000000Z#000000#000#000000`;
    const entries = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7'].map((u, i) => person(u, csn(i)));
    server = await startFakeLdap({
      bases: {
        [PEOPLE]: [entries.slice(0, 2), entries.slice(2, 4), entries.slice(4)],
        // A member listed twice, one spelled in capitals, a member that is no user in scope.
        [group('g1')]: [
          [groupEntry('g1', [dn('u1'), dn('u2'), dn('u2'), `UID=U3,OU=People,${GROUPS.replace('ou=groups,', '')}`, dn('u7')])],
        ],
        [group('g2')]: [[groupEntry('g2', [dn('u2'), dn('u5'), dn('nobody')], csn(9))]],
        // Nested: g3 holds group gs, which holds u1, u4 and u7.
        [group('g3')]: [[groupEntry('g3', [group('gs')])]],
        [group('gs')]: [[groupEntry('gs', [dn('u1'), dn('u4'), dn('u7')])]],
      },
    });
    client = await DirectoryClient.connect({
      urls: [server.url],
      bindDn: 'cn=admin',
      bindPassword: new Secret('x'),
      startTls: false,
      allowInsecure: true,
      timeoutMs: 5_000,
    });
  });

  afterAll(async () => {
    await client.close();
    await server.close();
  });

  it('gives each user in a mapped group its groups in config order, counting each user once per group', async () => {
    const read = await readDirectory(
      client,
      settings([
        { dn: group('g1'), nested: false },
        { dn: group('g2'), nested: false },
        { dn: group('g3'), nested: true },
        { dn: group('missing'), nested: false },
      ]),
    );
    expect(read.users.map((u) => [u.dn, u.groups])).toEqual([
      [dn('u1'), [group('g1'), group('g3')]],
      [dn('u2'), [group('g1'), group('g2')]],
      [dn('u3'), [group('g1')]],
      [dn('u4'), [group('g3')]],
      [dn('u5'), [group('g2')]],
      [dn('u7'), [group('g1'), group('g3')]],
    ]);
    expect(read.groupSizes).toEqual({ [group('g1')]: 4, [group('g2')]: 2, [group('g3')]: 3 });
    expect(read.problems).toEqual([{ scope: `group ${group('missing')}`, reason: 'the group does not exist' }]);
    expect(read.entriesRead).toBe(7);
    expect(read.entriesPerBase).toEqual({ [PEOPLE]: 7 });
    expect(read.newestChange).toBe('20260101000009.000000Z#000000#000#000000');
  });

  it('keeps of each entry only what the rules read, and shares one group list between users of the same groups', async () => {
    const read = await readDirectory(
      client,
      settings([
        { dn: group('g1'), nested: false },
        { dn: group('g3'), nested: true },
      ]),
    );
    const u1 = read.users.find((u) => u.externalId === 'id-u1');
    const u7 = read.users.find((u) => u.externalId === 'id-u7');
    expect(u1).toEqual({
      dn: dn('u1'),
      externalId: 'id-u1',
      attributes: { uid: ['u1'], mail: ['u1@example.org'], givenname: ['Given'], sn: ['Family'], displayname: ['Given u1'] },
      groups: [group('g1'), group('g3')],
      disabled: false,
      canonicalDn: dn('u1'),
    });
    expect(u7?.groups).toBe(u1?.groups);
    expect(Object.isFrozen(u1?.groups)).toBe(true);
  });

  it('counts an entry found under two overlapping bases once', async () => {
    const read = await readDirectory(client, settings([{ dn: group('g2'), nested: false }], [PEOPLE, PEOPLE]));
    expect(read.entriesRead).toBe(14);
    expect(read.users.map((u) => u.externalId)).toEqual(['id-u2', 'id-u5']);
  });
});

describe('ruleAttributes', () => {
  it('lists, lower-cased and once each, the attributes the username template and the field mapping read', () => {
    expect(
      ruleAttributes({
        ...settings([]),
        usernameTemplate: '{uid}_{departmentNumber}',
        attributes: { email: 'mail', givenName: 'givenName', familyName: 'sn', displayName: 'UID' },
      }),
    ).toEqual(['uid', 'departmentnumber', 'mail', 'givenname', 'sn']);
  });
});

describe('GroupLists', () => {
  it('hands out one frozen array per sequence of groups', () => {
    const lists = new GroupLists();
    const a = lists.with(lists.with(GroupLists.EMPTY, 'g1'), 'g2');
    const b = lists.with(lists.with(GroupLists.EMPTY, 'g1'), 'g2');
    expect(a).toEqual(['g1', 'g2']);
    expect(a).toBe(b);
    expect(lists.with(lists.with(GroupLists.EMPTY, 'g2'), 'g1')).not.toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
  });
});
