import { buildDesiredState, type DesiredOptions } from '../../../src/rules/desired';
import { profiler } from '../../../src/rules/profile';
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

describe('buildDesiredState from profiles made as the entries were read', () => {
  const profile = profiler(options);
  const entries = [
    directoryUser('alice.smith', { groups: [SALES, ENG] }),
    directoryUser('bob.jones', { groups: [SALES] }, { displayname: ['Bobby J'] }),
    directoryUser('bo'),
    directoryUser('x'.repeat(130)),
    directoryUser('no.mail.user', {}, { mail: [] }),
    directoryUser('darcy.user', {}, { mail: ["d'arcy@example.org"] }),
    directoryUser('bad.mail', {}, { mail: ['bad@@example.org'] }),
    directoryUser('no.uid.user', {}, { uid: [] }),
    directoryUser('Zoë.Ünïcode', {}, { givenname: ['  Zoë '], sn: [] }),
    directoryUser('twin.one', {}, { mail: ['twin@example.org'] }),
    directoryUser('twin.two', {}, { mail: ['TWIN@example.org'] }),
    directoryUser('same.id1', { externalId: 'shared' }),
    directoryUser('same.id2', { externalId: 'shared' }),
    directoryUser('no.id.user', { externalId: '' }),
    directoryUser('out.of.scope', { groups: [] }),
    directoryUser('disabled.user', { disabled: true }),
  ];

  it.each([
    ['preserve', false],
    ['lower', true],
  ] as const)('equals the state built from the attributes (usernameCase %s, foldAccents %s)', (usernameCase, fold) => {
    const o: DesiredOptions = { ...options, usernameCase, foldAccents: fold };
    const p = profiler(o);
    const profiled = entries.map((e) => ({ ...e, attributes: {}, profile: p(e.attributes) }));
    const fromAttributes = buildDesiredState(entries, o);
    const fromProfiles = buildDesiredState(profiled, o);
    expect(fromProfiles.users).toEqual(fromAttributes.users);
    expect(fromProfiles.skipped).toEqual(fromAttributes.skipped);
    expect([...fromProfiles.held].sort()).toEqual([...fromAttributes.held].sort());
    expect([...fromProfiles.priorities]).toEqual([...fromAttributes.priorities]);
    expect(fromProfiles.entriesWithoutId).toBe(1);
    expect(fromProfiles.entriesWithDuplicateId).toBe(2);
    // Every rule outcome is in there: the comparison is not of two empty lists.
    expect(new Set(fromAttributes.skipped.map((s) => s.reason))).toEqual(
      new Set([
        'USERNAME_TOO_SHORT',
        'USERNAME_TOO_LONG',
        'EMAIL_MISSING',
        'EMAIL_APOSTROPHE',
        'EMAIL_INVALID',
        'USERNAME_MISSING',
        'EMAIL_DUPLICATE',
        'ID_DUPLICATE',
        'ID_MISSING',
      ]),
    );
    expect(fromAttributes.users.length).toBeGreaterThanOrEqual(3);
  });

  it('uses the profile, not the attributes, when an entry carries one', () => {
    const entry = directoryUser('alice.smith');
    const state = buildDesiredState([{ ...entry, profile: profile({ ...entry.attributes, uid: ['carol.white'] }) }], options);
    expect(state.users.map((u) => u.userName)).toEqual(['carol.white']);
  });

  it('gives each user the priority of the group that gave role and type, made when first asked for', () => {
    const groups = [
      { dn: ENG, role: 'Publisher', userType: 'Creator', priority: 2 },
      { dn: SALES, role: 'User', userType: 'Viewer', priority: 9 },
    ];
    const state = buildDesiredState(
      [directoryUser('alice.smith', { groups: [SALES, ENG] }), directoryUser('bob.jones', { groups: [SALES] })],
      { ...options, groups },
    );
    expect(state.priorities).toBe(state.priorities);
    expect(state.priorities.get('id-bob.jones')).toBe(9);
    expect(state.priorities.get('id-alice.smith')).toBeDefined();
  });
});
