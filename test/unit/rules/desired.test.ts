import { buildDesiredState, type DesiredOptions } from '../../../src/rules/desired';
import { directoryUser, ENG, SALES } from '../builders';

const options: DesiredOptions = {
  usernameTemplate: '{uid}',
  attributes: { email: 'mail', givenName: 'givenName', familyName: 'sn', displayName: 'displayName' },
  groups: [
    { dn: ENG, role: 'Publisher', userType: 'Creator' },
    { dn: SALES, role: 'User', userType: 'Viewer' },
  ],
  foldAccents: false,
  usernameCase: 'preserve',
};

describe('buildDesiredState', () => {
  it('maps role and user type from the first configured group the user is in', () => {
    const state = buildDesiredState(
      [directoryUser('alice.smith', { groups: [SALES, ENG] }), directoryUser('bob.jones', { groups: [SALES] })],
      options,
    );
    expect(state.users.map((u) => [u.userName, u.role, u.userType])).toEqual([
      ['alice.smith', 'Publisher', 'Creator'],
      ['bob.jones', 'User', 'Viewer'],
    ]);
  });

  it('skips rule breakers with a reason naming the DN, and holds them from deactivation', () => {
    const state = buildDesiredState(
      [
        directoryUser('bo'),
        directoryUser('no.mail.user', {}, { mail: [] }),
        directoryUser('darcy.user', {}, { mail: ["d'arcy@example.org"] }),
      ],
      options,
    );
    expect(state.users).toEqual([]);
    expect(state.skipped.map((s) => [s.dn, s.reason])).toEqual(
      expect.arrayContaining([
        ['uid=bo,ou=people,dc=example,dc=org', 'USERNAME_TOO_SHORT'],
        ['uid=no.mail.user,ou=people,dc=example,dc=org', 'EMAIL_MISSING'],
        ['uid=darcy.user,ou=people,dc=example,dc=org', 'EMAIL_APOSTROPHE'],
      ]),
    );
    expect([...state.held].sort()).toEqual(['id-bo', 'id-darcy.user', 'id-no.mail.user']);
  });

  it('reports both users of a username collision and provisions neither', () => {
    const state = buildDesiredState(
      [directoryUser('jean+paul'), directoryUser('jean#paul'), directoryUser('JEAN.other', {}, { uid: ['Jean_Paul'] })],
      options,
    );
    expect(state.users).toEqual([]);
    expect(state.skipped.filter((s) => s.reason === 'USERNAME_DUPLICATE')).toHaveLength(3);
    expect(state.skipped[0]?.message).toMatch(/username "jean_paul" is also produced by/);
  });

  it('reports duplicate emails that differ only in case', () => {
    const state = buildDesiredState(
      [
        directoryUser('alice.one', {}, { mail: ['Alice@Example.org'] }),
        directoryUser('alice.two', {}, { mail: ['alice@example.org'] }),
      ],
      options,
    );
    expect(state.users).toEqual([]);
    expect(state.skipped.map((s) => s.reason)).toEqual(['EMAIL_DUPLICATE', 'EMAIL_DUPLICATE']);
  });

  it('counts entries without a stable id', () => {
    const state = buildDesiredState([directoryUser('alice.smith', { externalId: '' })], options);
    expect(state.entriesWithoutId).toBe(1);
    expect(state.skipped[0]?.reason).toBe('ID_MISSING');
  });

  it('falls back to given + family name for the display name', () => {
    const state = buildDesiredState([directoryUser('alice.smith', {}, { givenname: ['Alice'], sn: ['Smith'] })], options);
    expect(state.users[0]?.displayName).toBe('Alice Smith');
  });
});

describe('buildDesiredState with a non-unique id attribute', () => {
  it('skips every entry that shares its id, naming the other DN, and counts them', () => {
    const state = buildDesiredState(
      [
        directoryUser('alice.smith', { externalId: 'same' }),
        directoryUser('bob.jones', { externalId: 'same' }),
        directoryUser('carol.white'),
      ],
      options,
    );
    expect(state.users.map((u) => u.userName)).toEqual(['carol.white']);
    expect(state.entriesWithDuplicateId).toBe(2);
    expect(state.skipped.map((s) => [s.reason, s.message])).toEqual([
      ['ID_DUPLICATE', expect.stringContaining('uid=bob.jones')],
      ['ID_DUPLICATE', expect.stringContaining('uid=alice.smith')],
    ]);
  });
});
