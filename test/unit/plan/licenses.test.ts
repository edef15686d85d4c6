import type { DesiredUser } from '../../../src/model/user-state';
import { resolveLicenses, type CurrentLicenses, type LicenseInput, type LicenseResolution } from '../../../src/plan/licenses';
import { desiredUser } from '../builders';

function input(overrides: Partial<LicenseInput>): LicenseInput {
  return {
    users: [],
    priorities: new Map(),
    limits: new Map(),
    allowed: undefined,
    current: () => undefined,
    otherUse: new Map(),
    exclusive: false,
    ...overrides,
  };
}

/** externalId -> licenses granted, for every user of the resolution. */
function grantedBy(r: LicenseResolution): Record<string, readonly string[]> {
  return Object.fromEntries(r.users.map((u) => [u.externalId, u.licenses]));
}

/** The denied map as plain sorted entries, so maps built in another order compare equal. */
function deniedOf(r: LicenseResolution): [string, [string, string][]][] {
  return [...r.denied]
    .map(([id, m]): [string, [string, string][]] => [id, [...m].sort(([a], [b]) => a.localeCompare(b))])
    .sort(([a], [b]) => a.localeCompare(b));
}

function currentOf(table: Record<string, CurrentLicenses>): (externalId: string) => CurrentLicenses | undefined {
  return (externalId) => table[externalId];
}

const wants = (uid: string, licenses: string[], overrides: Partial<DesiredUser> = {}): DesiredUser =>
  desiredUser(uid, { licenses, ...overrides });

describe('resolveLicenses: what each user is granted', () => {
  it('grants each user the licenses their groups request, sorted, per user', () => {
    const alice = wants('alice', ['Pro', 'Analytics']);
    const bob = wants('bob', ['Analytics']);
    const carol = wants('carol', []);
    const r = resolveLicenses(input({ users: [alice, bob, carol] }));
    expect(grantedBy(r)).toEqual({ 'id-alice': ['Analytics', 'Pro'], 'id-bob': ['Analytics'], 'id-carol': [] });
    expect(r.incompatible).toEqual([]);
    expect(r.shortfalls).toEqual([]);
    expect(r.seats).toEqual([]);
    expect(r.denied.size).toBe(0);
    // Users whose list does not change are passed through as they are.
    expect(r.users[1]).toBe(bob);
    expect(r.users[2]).toBe(carol);
    expect(r.users[0]).not.toBe(alice);
    expect(r.users[0]).toEqual({ ...alice, licenses: ['Analytics', 'Pro'] });
  });

  it('keeps the users in input order, inactive ones included', () => {
    const users = [wants('zed', ['Pro']), wants('amy', ['Pro'], { active: false }), wants('kim', [])];
    const r = resolveLicenses(input({ users }));
    expect(r.users.map((u) => u.userName)).toEqual(['zed', 'amy', 'kim']);
  });
});

describe('resolveLicenses: compatibility by user type', () => {
  const allowed = (type: string): ReadonlySet<string> => new Set(type === 'Creator' ? ['Analytics', 'Pro'] : ['Analytics']);

  it('does not grant a license the user type does not allow, reports it, and still provisions the user', () => {
    const viewer = wants('vera.viewer', ['Analytics', 'Pro'], { userType: 'Viewer', role: 'Viewer' });
    const creator = wants('carl.creator', ['Analytics', 'Pro']);
    const r = resolveLicenses(input({ users: [viewer, creator], allowed }));
    expect(grantedBy(r)).toEqual({ 'id-vera.viewer': ['Analytics'], 'id-carl.creator': ['Analytics', 'Pro'] });
    expect(r.incompatible).toEqual([
      { dn: 'uid=vera.viewer,ou=people,dc=example,dc=org', userName: 'vera.viewer', license: 'Pro', userType: 'Viewer' },
    ]);
    expect(deniedOf(r)).toEqual([['id-vera.viewer', [['Pro', 'user type "Viewer" does not allow it (licensing.userTypes)']]]]);
    expect(r.users.map((u) => u.userName)).toEqual(['vera.viewer', 'carl.creator']);
  });

  it('an incompatible request takes no seat and is not counted as wanted', () => {
    const viewer = wants('aaa.viewer', ['Pro'], { userType: 'Viewer' });
    const creator = wants('zzz.creator', ['Pro']);
    const r = resolveLicenses(input({ users: [viewer, creator], allowed, limits: new Map([['Pro', 1]]) }));
    expect(grantedBy(r)).toEqual({ 'id-aaa.viewer': [], 'id-zzz.creator': ['Pro'] });
    expect(r.shortfalls).toEqual([]);
    expect(r.seats).toEqual([{ license: 'Pro', limit: 1, used: 1 }]);
  });

  it('without a compatibility table everything is allowed', () => {
    const viewer = wants('vera.viewer', ['Pro'], { userType: 'Viewer' });
    const r = resolveLicenses(input({ users: [viewer] }));
    expect(grantedBy(r)).toEqual({ 'id-vera.viewer': ['Pro'] });
    expect(r.incompatible).toEqual([]);
  });
});

describe('resolveLicenses: seat limits', () => {
  it('holders keep their seats first, then lower priority, then userName, then externalId', () => {
    const users = [
      wants('dave', ['Pro']), // priority 1
      wants('anna', ['Pro']), // priority 5, holds Pro
      wants('bert', ['Pro']), // priority 1
      wants('same', ['Pro'], { externalId: 'id-2' }), // priority 1, same userName as id-1
      wants('same', ['Pro'], { externalId: 'id-1' }),
      wants('cleo', ['Pro']), // priority 0
      wants('eve', ['Pro']), // no priority: last
    ];
    const priorities = new Map([
      ['id-dave', 1],
      ['id-anna', 5],
      ['id-bert', 1],
      ['id-2', 1],
      ['id-1', 1],
      ['id-cleo', 0],
    ]);
    const current = currentOf({ 'id-anna': { held: ['Pro'], ours: ['Pro'] } });
    const r = resolveLicenses(input({ users, priorities, current, limits: new Map([['Pro', 3]]) }));
    expect(grantedBy(r)).toEqual({
      'id-anna': ['Pro'],
      'id-cleo': ['Pro'],
      'id-bert': ['Pro'],
      'id-dave': [],
      'id-1': [],
      'id-2': [],
      'id-eve': [],
    });
    expect(r.shortfalls).toEqual([{ license: 'Pro', seats: 3, wanted: 7, short: 4, waiting: ['dave', 'same', 'same', 'eve'] }]);
    expect(r.seats).toEqual([{ license: 'Pro', limit: 3, used: 3 }]);
    expect(deniedOf(r)).toEqual([
      ['id-1', [['Pro', 'no free seat: 3 seat(s), 0 held outside these users, 3 given first; place 2 of 4 in the queue']]],
      ['id-2', [['Pro', 'no free seat: 3 seat(s), 0 held outside these users, 3 given first; place 3 of 4 in the queue']]],
      ['id-dave', [['Pro', 'no free seat: 3 seat(s), 0 held outside these users, 3 given first; place 1 of 4 in the queue']]],
      ['id-eve', [['Pro', 'no free seat: 3 seat(s), 0 held outside these users, 3 given first; place 4 of 4 in the queue']]],
    ]);
  });

  it('a holder keeps the seat even against a better priority', () => {
    const users = [wants('boss', ['Pro']), wants('holder', ['Pro'])];
    const r = resolveLicenses(
      input({
        users,
        priorities: new Map([
          ['id-boss', 0],
          ['id-holder', 9],
        ]),
        current: currentOf({ 'id-holder': { held: ['Pro'], ours: [] } }),
        limits: new Map([['Pro', 1]]),
      }),
    );
    expect(grantedBy(r)).toEqual({ 'id-boss': [], 'id-holder': ['Pro'] });
    expect(r.shortfalls).toEqual([{ license: 'Pro', seats: 1, wanted: 2, short: 1, waiting: ['boss'] }]);
  });

  it('a limit with enough seats gives everyone a seat and reports the use', () => {
    const r = resolveLicenses(input({ users: [wants('a', ['Pro']), wants('b', ['Pro'])], limits: new Map([['Pro', 5]]) }));
    expect(grantedBy(r)).toEqual({ 'id-a': ['Pro'], 'id-b': ['Pro'] });
    expect(r.shortfalls).toEqual([]);
    expect(r.seats).toEqual([{ license: 'Pro', limit: 5, used: 2 }]);
  });

  it('a limit of 0 gives nobody a seat', () => {
    const r = resolveLicenses(input({ users: [wants('a', ['Pro'])], limits: new Map([['Pro', 0]]) }));
    expect(grantedBy(r)).toEqual({ 'id-a': [] });
    expect(r.shortfalls).toEqual([{ license: 'Pro', seats: 0, wanted: 1, short: 1, waiting: ['a'] }]);
    expect(r.seats).toEqual([{ license: 'Pro', limit: 0, used: 0 }]);
  });

  it('licenses without a limit are not affected by a scarce one', () => {
    const r = resolveLicenses(
      input({ users: [wants('a', ['Analytics', 'Pro']), wants('b', ['Analytics', 'Pro'])], limits: new Map([['Pro', 1]]) }),
    );
    expect(grantedBy(r)).toEqual({ 'id-a': ['Analytics', 'Pro'], 'id-b': ['Analytics'] });
    expect(r.shortfalls.map((s) => s.license)).toEqual(['Pro']);
  });

  it('seats held outside these users (otherUse) reduce the seats available', () => {
    const users = [wants('a', ['Pro']), wants('b', ['Pro']), wants('c', ['Pro'])];
    const r = resolveLicenses(input({ users, limits: new Map([['Pro', 3]]), otherUse: new Map([['Pro', 2]]) }));
    expect(grantedBy(r)).toEqual({ 'id-a': ['Pro'], 'id-b': [], 'id-c': [] });
    expect(r.shortfalls).toEqual([{ license: 'Pro', seats: 1, wanted: 3, short: 2, waiting: ['b', 'c'] }]);
    expect(r.seats).toEqual([{ license: 'Pro', limit: 3, used: 3 }]);
    expect(r.denied.get('id-b')?.get('Pro')).toBe(
      'no free seat: 3 seat(s), 2 held outside these users, 1 given first; place 1 of 2 in the queue',
    );
  });

  it('more seats used outside than the limit leaves 0 available, never a negative count', () => {
    const r = resolveLicenses(
      input({ users: [wants('a', ['Pro'])], limits: new Map([['Pro', 2]]), otherUse: new Map([['Pro', 5]]) }),
    );
    expect(r.shortfalls).toEqual([{ license: 'Pro', seats: 0, wanted: 1, short: 1, waiting: ['a'] }]);
    expect(r.seats).toEqual([{ license: 'Pro', limit: 2, used: 5 }]);
  });

  it('reports seat use of limited licenses nobody requests, sorted by license', () => {
    const r = resolveLicenses(
      input({
        users: [wants('a', ['Beta'])],
        limits: new Map([
          ['Zeta', 4],
          ['Beta', 2],
          ['Alpha', 1],
        ]),
        otherUse: new Map([['Zeta', 3]]),
      }),
    );
    expect(r.seats).toEqual([
      { license: 'Alpha', limit: 1, used: 0 },
      { license: 'Beta', limit: 2, used: 1 },
      { license: 'Zeta', limit: 4, used: 3 },
    ]);
  });
});

describe('resolveLicenses: licenses found on accounts that no group grants', () => {
  const users = [wants('holder', []), wants('wanter', ['Pro'])];
  // The holder got Pro by hand: the target shows it, dirsync never granted it.
  const current = currentOf({ 'id-holder': { held: ['Pro'], ours: [] } });

  it('not exclusive: the stray license stays, so its seat is used', () => {
    const r = resolveLicenses(input({ users, current, limits: new Map([['Pro', 1]]), exclusive: false }));
    expect(grantedBy(r)).toEqual({ 'id-holder': [], 'id-wanter': [] });
    expect(r.shortfalls).toEqual([{ license: 'Pro', seats: 0, wanted: 1, short: 1, waiting: ['wanter'] }]);
    expect(r.seats).toEqual([{ license: 'Pro', limit: 1, used: 1 }]);
    expect(r.denied.get('id-wanter')?.get('Pro')).toBe(
      'no free seat: 1 seat(s), 1 held outside these users, 0 given first; place 1 of 1 in the queue',
    );
  });

  it('exclusive: the stray license is removed, so its seat is free', () => {
    const r = resolveLicenses(input({ users, current, limits: new Map([['Pro', 1]]), exclusive: true }));
    expect(grantedBy(r)).toEqual({ 'id-holder': [], 'id-wanter': ['Pro'] });
    expect(r.shortfalls).toEqual([]);
    expect(r.seats).toEqual([{ license: 'Pro', limit: 1, used: 1 }]);
  });

  it('a license dirsync granted and the group no longer requests is revoked: it frees its seat', () => {
    const ours = currentOf({ 'id-holder': { held: ['Pro'], ours: ['Pro'] } });
    const r = resolveLicenses(input({ users, current: ours, limits: new Map([['Pro', 1]]) }));
    expect(grantedBy(r)).toEqual({ 'id-holder': [], 'id-wanter': ['Pro'] });
    expect(r.shortfalls).toEqual([]);
  });

  it('a stray held on an unlimited license costs nothing, and is counted for a limited one nobody requests', () => {
    const r = resolveLicenses(
      input({
        users: [wants('holder', [])],
        current: currentOf({ 'id-holder': { held: ['Analytics', 'Pro'], ours: [] } }),
        limits: new Map([['Pro', 3]]),
        otherUse: new Map([['Pro', 1]]),
      }),
    );
    expect(r.seats).toEqual([{ license: 'Pro', limit: 3, used: 2 }]);
  });

  it('an inactive user holding a stray license is not counted here (otherUse is)', () => {
    const r = resolveLicenses(
      input({
        users: [wants('gone', [], { active: false }), wants('wanter', ['Pro'])],
        current: currentOf({ 'id-gone': { held: ['Pro'], ours: [] } }),
        limits: new Map([['Pro', 1]]),
      }),
    );
    expect(grantedBy(r)).toEqual({ 'id-gone': [], 'id-wanter': ['Pro'] });
  });
});

describe('resolveLicenses: inactive users', () => {
  it('get no licenses and take no seats', () => {
    const off = wants('aaa.off', ['Analytics', 'Pro'], { active: false });
    const on = wants('zzz.on', ['Pro']);
    const r = resolveLicenses(
      input({
        users: [off, on],
        limits: new Map([['Pro', 1]]),
        current: currentOf({ 'id-aaa.off': { held: ['Pro'], ours: ['Pro'] } }),
        priorities: new Map([['id-aaa.off', 0]]),
      }),
    );
    expect(grantedBy(r)).toEqual({ 'id-aaa.off': [], 'id-zzz.on': ['Pro'] });
    expect(r.users[0]).toEqual({ ...off, licenses: [] });
    expect(r.shortfalls).toEqual([]);
    expect(r.denied.size).toBe(0);
  });

  it('an incompatible request of an inactive user is not reported', () => {
    const off = wants('off', ['Pro'], { active: false, userType: 'Viewer' });
    const r = resolveLicenses(input({ users: [off], allowed: () => new Set<string>() }));
    expect(r.incompatible).toEqual([]);
  });
});

describe('resolveLicenses: determinism', () => {
  const users = [
    wants('u1', ['Pro', 'Analytics']),
    wants('u2', ['Pro']),
    wants('u3', ['Pro', 'Beta'], { userType: 'Viewer' }),
    wants('u4', ['Pro', 'Beta']),
    wants('u5', ['Beta']),
    wants('u6', ['Pro']),
    wants('u7', ['Pro'], { active: false }),
    wants('u8', ['Beta', 'Pro']),
  ];
  const base: Omit<LicenseInput, 'users'> = {
    priorities: new Map([
      ['id-u1', 3],
      ['id-u2', 1],
      ['id-u3', 0],
      ['id-u4', 1],
      ['id-u6', 2],
    ]),
    limits: new Map([
      ['Pro', 3],
      ['Beta', 2],
    ]),
    allowed: (type) => new Set(type === 'Viewer' ? ['Beta'] : ['Analytics', 'Beta', 'Pro']),
    current: currentOf({ 'id-u6': { held: ['Pro'], ours: ['Pro'] }, 'id-u5': { held: ['Gamma'], ours: [] } }),
    otherUse: new Map([['Beta', 1]]),
    exclusive: false,
  };

  /** A fixed pseudo-random permutation (no Math.random: the test itself is deterministic). */
  function shuffled<T>(list: readonly T[], seed: number): T[] {
    const out = [...list];
    let s = seed;
    for (let i = out.length - 1; i > 0; i -= 1) {
      s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
      const j = s % (i + 1);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }

  const reference = resolveLicenses({ ...base, users });

  it('resolves the expected seats', () => {
    expect(grantedBy(reference)).toEqual({
      'id-u1': ['Analytics'],
      'id-u2': ['Pro'],
      'id-u3': ['Beta'],
      'id-u4': ['Pro'],
      'id-u5': [],
      'id-u6': ['Pro'],
      'id-u7': [],
      'id-u8': [],
    });
    expect(reference.shortfalls).toEqual([
      { license: 'Beta', seats: 1, wanted: 4, short: 3, waiting: ['u4', 'u5', 'u8'] },
      { license: 'Pro', seats: 3, wanted: 5, short: 2, waiting: ['u1', 'u8'] },
    ]);
    expect(reference.incompatible).toEqual([
      { dn: 'uid=u3,ou=people,dc=example,dc=org', userName: 'u3', license: 'Pro', userType: 'Viewer' },
    ]);
  });

  const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

  it('the shuffles really are other orders', () => {
    const orders = new Set(
      SEEDS.map((seed) =>
        shuffled(users, seed)
          .map((u) => u.userName)
          .join(','),
      ),
    );
    orders.add(users.map((u) => u.userName).join(','));
    expect(orders.size).toBeGreaterThanOrEqual(6);
  });

  it.each(SEEDS)('input order %i gives the same seats to the same users', (seed) => {
    const order = shuffled(users, seed);
    const r = resolveLicenses({ ...base, users: order });
    expect(r.users.map((u) => u.externalId)).toEqual(order.map((u) => u.externalId));
    expect(grantedBy(r)).toEqual(grantedBy(reference));
    expect(r.shortfalls).toEqual(reference.shortfalls);
    expect(r.seats).toEqual(reference.seats);
    expect(deniedOf(r)).toEqual(deniedOf(reference));
    expect(r.incompatible).toEqual(reference.incompatible);
  });
});
