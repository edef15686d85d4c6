/**
 * A seeded corpus of generated hostile directory values through the rules, the planner, the
 * SCIM resource mapping, the state database and frozen plans: zero crashes, every rejection
 * names the DN and has a reason, everything accepted obeys the product's rules.
 */
import { normalizeDn, escapeFilterValue } from '../../../src/directory/dn';
import type { DirectoryUser } from '../../../src/model/directory-user';
import type { SkipReason } from '../../../src/model/skip';
import { buildPlan } from '../../../src/plan/build-plan';
import { freezePlan, parseFrozenPlan, summarizeSnapshot } from '../../../src/plan/frozen';
import { buildDesiredState, type DesiredOptions } from '../../../src/rules/desired';
import { openStateDb } from '../../../src/state/db';
import { SnapshotStore } from '../../../src/state/snapshot';
import { toScimUser } from '../../../src/target/user-resource';
import { ENG, SALES } from '../builders';

const SEED = Number(process.env.DIRSYNC_FAULT_SEED ?? 20261122);

function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = mulberry32(SEED);
const int = (min: number, max: number): number => min + Math.floor(rand() * (max - min + 1));
const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)] as T;
const chars = (alphabet: readonly string[], n: number): string => Array.from({ length: n }, () => pick(alphabet)).join('');

const CONTROL = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).concat(['\u007f', '\u0085', '\u009b']);
const DN_SPECIAL = [',', '+', '"', '\\', '<', '>', ';', '=', '#', ' ', '\\,', '\\2C', '\\5C', '\\'];
const UNICODE = ['é', 'ß', 'Ø', '😀', '\u202e', '\u200b', '\u0301', 'Ａ', 'ı', 'İ', '\ufeff', '𝔘', '中', 'ا', '\ud800', '\udfff'];
const INJECTION = [
  '*)(uid=*))(|(uid=*',
  '${env:DIRSYNC_SCIM_TOKEN}',
  '"; DROP TABLE snapshot; --',
  '<script>x</script>',
  '\r\n\r\nHTTP/1.1 200 OK',
  '%00',
  '../../etc/passwd',
  '{{7*7}}',
];
const PLAIN = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_@'];

/** Bytes that are not UTF-8, decoded the way the LDAP client decodes attribute values. */
function invalidUtf8(): string {
  return Buffer.from(
    Array.from({ length: int(1, 40) }, () => pick([0xff, 0xfe, 0xc3, 0x28, 0x80, 0xbf, 0xe2, 0x82, 0x41, 0xed, 0xa0])),
  ).toString('utf8');
}

const GENERATORS: readonly (() => string)[] = [
  () => chars(CONTROL, int(1, 20)),
  () => chars(PLAIN, int(1, 8)) + chars(CONTROL, int(1, 3)) + chars(PLAIN, int(1, 8)),
  () => chars(PLAIN, int(1_000, 100_000)),
  invalidUtf8,
  () => chars([...PLAIN, ...DN_SPECIAL], int(1, 30)),
  () => chars([...PLAIN, ...UNICODE], int(1, 30)),
  () => pick(INJECTION),
  () => pick(['', ' ', '   ', '\t', '\n']),
  () => chars(PLAIN, int(1, 12)),
];

const EMAILS: readonly (() => string)[] = [
  () => `${chars(PLAIN.slice(0, 62), int(1, 10))}'${chars(PLAIN.slice(0, 26), 3)}@example.org`,
  () => `o\u2019brien${int(0, 999)}@example.org`,
  () => `${chars(PLAIN.slice(0, 26), 5)}@${chars(PLAIN.slice(0, 26), 3)}@example.org`,
  () => `${chars(PLAIN.slice(0, 26), 5)} ${chars(PLAIN.slice(0, 26), 3)}@example.org`,
  () => `${chars(PLAIN.slice(0, 26), 5)}@example..org`,
  () => `.${chars(PLAIN.slice(0, 26), 5)}@example.org`,
  () => `${chars(PLAIN.slice(0, 26), 5)}@`,
  () => `@example.org`,
  () => `${chars([...PLAIN.slice(0, 26), ...UNICODE], 8)}@exämple.org`,
  () => `${'a'.repeat(int(60, 300))}@example.org`,
  () => chars([...PLAIN, ...CONTROL], int(5, 30)),
  () => `${chars(PLAIN.slice(0, 52), int(3, 12))}@Example.ORG`,
  () => pick(GENERATORS)(),
];

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

let hostileValues = 0;
const hostile = (gen: () => string): string => {
  hostileValues += 1;
  return gen();
};

function corpus(n: number): DirectoryUser[] {
  const users: DirectoryUser[] = [];
  for (let i = 0; i < n; i += 1) {
    const uid = rand() < 0.7 ? hostile(pick(GENERATORS)) : `user.${i}`;
    const attributes: Record<string, string[]> = {};
    if (uid) attributes.uid = [uid];
    if (rand() < 0.95) attributes.mail = [rand() < 0.6 ? hostile(pick(EMAILS)) : `user.${i}@example.org`];
    if (rand() < 0.3) attributes.mail = [...(attributes.mail ?? []), hostile(pick(EMAILS))];
    for (const a of ['givenName', 'sn', 'displayName'])
      if (rand() < 0.8) attributes[a.toLowerCase()] = [hostile(pick(GENERATORS))];
    const dn =
      rand() < 0.8 ? `uid=${uid.replace(/([,+"\\<>;=])/g, '\\$1')},ou=people,dc=example,dc=org` : hostile(pick(GENERATORS));
    // Hostile but unique: a directory's stable id is unique by definition (entryUUID, objectGUID).
    const externalId = rand() < 0.05 ? '' : rand() < 0.1 ? `${hostile(pick(GENERATORS))}#${i}` : `id-${i}`;
    users.push({ dn, externalId, attributes, groups: rand() < 0.9 ? [pick([ENG, SALES])] : [], disabled: rand() < 0.1 });
  }
  // Duplicate emails that differ only in case, and usernames that collide after the rule.
  for (let i = 0; i < 40; i += 1) {
    const base = `dup.${i}@example.org`;
    for (const [k, mail] of [base, base.toUpperCase(), `Dup.${i}@EXAMPLE.org`].entries()) {
      users.push({
        dn: `uid=dup${i}-${k},ou=people,dc=example,dc=org`,
        externalId: `dup-${i}-${k}`,
        attributes: { uid: [`dupuser${i}x${k}`], mail: [mail] },
        groups: [ENG],
        disabled: false,
      });
    }
    users.push({
      dn: `uid=coll${i}+a,ou=people,dc=example,dc=org`,
      externalId: `coll-${i}-a`,
      attributes: { uid: [`collide${i}+a`], mail: [`ca${i}@example.org`] },
      groups: [ENG],
      disabled: false,
    });
    users.push({
      dn: `uid=coll${i}#a,ou=people,dc=example,dc=org`,
      externalId: `coll-${i}-b`,
      attributes: { uid: [`collide${i}#a`], mail: [`cb${i}@example.org`] },
      groups: [ENG],
      disabled: false,
    });
  }
  return users;
}

const REASONS: readonly SkipReason[] = [
  'USERNAME_MISSING',
  'USERNAME_TOO_SHORT',
  'USERNAME_TOO_LONG',
  'USERNAME_DUPLICATE',
  'EMAIL_MISSING',
  'EMAIL_INVALID',
  'EMAIL_APOSTROPHE',
  'EMAIL_DUPLICATE',
  'ID_MISSING',
  'DISABLED_NEVER_PROVISIONED',
];

const isWellFormed = (s: string): boolean => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

describe(`hostile directory values (seed ${SEED})`, () => {
  const users = corpus(1200);

  it('the corpus holds well over 1,000 generated hostile values', () => {
    expect(hostileValues).toBeGreaterThanOrEqual(1000);
    process.stdout.write(`[hostile-corpus] seed ${SEED}: ${users.length} entries, ${hostileValues} hostile values\n`);
  });

  it('rules and planner: zero crashes; every rejection has a reason and the DN; everything accepted obeys the rules', () => {
    const state = buildDesiredState(users, options);
    const inScope = users.filter((u) => u.groups.length > 0);
    const desiredIds = new Set(state.users.map((u) => u.externalId));
    const skippedDns = new Set(state.skipped.map((s) => s.dn));
    for (const s of state.skipped) {
      expect(REASONS).toContain(s.reason);
      expect(s.message.length).toBeGreaterThan(0);
      expect(users.some((u) => u.dn === s.dn)).toBe(true);
    }
    for (const u of inScope) {
      const accepted = u.externalId !== '' && desiredIds.has(u.externalId);
      if (!accepted) expect({ dn: u.dn, reported: skippedDns.has(u.dn) }).toEqual({ dn: u.dn, reported: true });
    }
    const names = new Set<string>();
    const emails = new Set<string>();
    for (const d of state.users) {
      expect(d.userName).toMatch(/^[A-Za-z0-9@.\-_]{6,128}$/);
      expect(d.email.split('@')).toHaveLength(2);
      expect(d.email).not.toMatch(/['\u2019\s]/);
      expect(d.email.length).toBeLessThanOrEqual(254);
      expect(names.has(d.userName.toLowerCase()) || emails.has(d.email.toLowerCase())).toBe(false);
      names.add(d.userName.toLowerCase());
      emails.add(d.email.toLowerCase());
    }
    expect(state.skipped.filter((s) => s.reason === 'EMAIL_DUPLICATE').length).toBeGreaterThanOrEqual(120);
    expect(state.skipped.filter((s) => s.reason === 'USERNAME_DUPLICATE').length).toBeGreaterThanOrEqual(80);

    // Same input, same output (invariant 5).
    expect(buildDesiredState(users, options)).toEqual(state);

    const snapshot = state.users.slice(0, 50).map((d) => {
      const { groups: _groups, ...rest } = d;
      return { ...rest, displayName: `${d.displayName}-old`, targetId: `t-${d.externalId}`, updatedAt: '2026-01-01T00:00:00Z' };
    });
    const plan = buildPlan({ desired: state.users, skipped: state.skipped, held: state.held, snapshot, absenceUntrusted: [] });
    expect(plan.summary.create + plan.summary.update).toBe(state.users.filter((u) => u.active).length);
  });

  it('SCIM resources, the state database and frozen plans carry hostile values unchanged', () => {
    const state = buildDesiredState(users, options);
    const db = openStateDb(':memory:');
    const store = new SnapshotStore(db);
    for (const d of state.users) {
      const resource = toScimUser(d);
      expect(JSON.parse(JSON.stringify(resource))).toEqual(resource);
      const { groups: _groups, ...rest } = d;
      const row = { ...rest, targetId: `t-${d.externalId}`, updatedAt: '2026-01-01T00:00:00Z' };
      store.put(row);
      // Values from LDAP are always well-formed (the client decodes bytes as UTF-8): those come
      // back byte for byte, so a hostile value never causes an endless update.
      if ([d.displayName, d.givenName, d.familyName, d.externalId, d.dn].every(isWellFormed))
        expect(store.get(d.externalId)).toEqual(row);
    }
    const plan = buildPlan({
      desired: state.users.filter((u) => [u.displayName, u.givenName, u.familyName].every(isWellFormed)),
      skipped: [],
      held: new Set(),
      snapshot: [],
      absenceUntrusted: [],
    });
    const frozen = freezePlan({
      operations: plan.operations,
      snapshot: summarizeSnapshot([]),
      target: 'https://t/scim',
      planRunId: 'r',
      createdAt: new Date(0),
      guardExceeded: [],
    });
    const parsed = parseFrozenPlan(JSON.stringify(frozen));
    expect(parsed.ok && parsed.plan.operations).toEqual(plan.operations);
    db.close();
  });

  it('DN canonicalisation and filter escaping never throw and never leave a filter special unescaped', () => {
    for (const u of users) {
      expect(() => normalizeDn(u.dn)).not.toThrow();
      const escaped = escapeFilterValue(u.dn);
      // eslint-disable-next-line no-control-regex -- NUL is one of the filter specials
      expect(escaped.replace(/\\[0-9a-f]{2}/g, '')).not.toMatch(/[*()\\\u0000]/);
    }
  });
});
