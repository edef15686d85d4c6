/**
 * Hostile directory values loaded into the real slapd over LDAP, then synced through the built
 * CLI: control characters, very long values, invalid UTF-8 (in an octet-string attribute,
 * the only place slapd accepts it), DNs with escaped commas and other specials, emails with an
 * apostrophe or two @, duplicate emails differing in case. Zero crashes; every user either gets
 * an account or is reported with a reason and the DN; a second run changes nothing.
 */
import path from 'node:path';
import type { Client } from 'ldapts';
import { openldapConfig, runCli, tempDir, writeConfig } from '../support/cli';
import { openldapAdmin } from '../support/ldap';
import { GeneratedDirectory } from '../support/people';
import { ScimProcess } from '../support/scim';

jest.setTimeout(120_000);

interface Hostile {
  /** The uid (RDN value, escaped in the DN as needed). */
  readonly uid: string;
  readonly attrs: Record<string, string | Buffer[]>;
  /** What must become of it: an account, or a skip with this reason. */
  readonly expect: 'account' | `skip:${string}`;
}

const long = (n: number): string => 'L'.repeat(n);

const HOSTILE: readonly Hostile[] = [
  {
    uid: 'ctrl.chars',
    attrs: { displayName: 'Tab\there\nnew line\rreturn\u0007bell\u001bescape', mail: 'ctrl.chars@example.org' },
    expect: 'account',
  },
  { uid: 'o,brien.k', attrs: { displayName: 'Kate O, Brien', mail: 'kate.obrien@example.org' }, expect: 'account' },
  { uid: 'plus+quote"lt<gt>;semi', attrs: { mail: 'specials@example.org' }, expect: 'account' },
  { uid: '#leading.hash ', attrs: { mail: 'hash@example.org' }, expect: 'account' },
  {
    uid: 'emoji😀user',
    attrs: { displayName: '😀 \u202eRTL override\u200b zero width', mail: 'emoji@example.org' },
    expect: 'account',
  },
  {
    uid: 'long.display',
    attrs: { displayName: long(20_000), givenName: long(5_000), mail: 'long.display@example.org' },
    expect: 'account',
  },
  { uid: 'huge.display', attrs: { displayName: long(300_000), mail: 'huge.display@example.org' }, expect: 'account' },
  {
    uid: 'bad.utf8.user',
    attrs: { audio: [Buffer.from([0x46, 0x61, 0xff, 0xfe, 0xc3, 0x28, 0x6d])], mail: 'bad.utf8@example.org' },
    expect: 'account',
  },
  { uid: 'apostrophe.user', attrs: { mail: "o'brien@example.org" }, expect: 'skip:EMAIL_APOSTROPHE' },
  { uid: 'two.at.user', attrs: { mail: 'two@at@example.org' }, expect: 'skip:EMAIL_INVALID' },
  { uid: 'spaces in.mail', attrs: { mail: 'has space@example.org' }, expect: 'skip:EMAIL_INVALID' },
  { uid: 'dup.case.one', attrs: { mail: 'Dup.Case@example.org' }, expect: 'skip:EMAIL_DUPLICATE' },
  { uid: 'dup.case.two', attrs: { mail: 'dup.case@EXAMPLE.ORG' }, expect: 'skip:EMAIL_DUPLICATE' },
  { uid: `very.long.uid.${long(200)}`, attrs: { mail: 'long.uid@example.org' }, expect: 'skip:USERNAME_TOO_LONG' },
  { uid: 'no.mail.user', attrs: {}, expect: 'skip:EMAIL_MISSING' },
  { uid: 'a\\b', attrs: { mail: 'backslash@example.org' }, expect: 'skip:USERNAME_TOO_SHORT' },
];

/** RFC 4514 escaping of an RDN value (the test's own, independent of dirsync's dn.ts). */
function escapeRdn(value: string): string {
  return value
    .replace(/([,+"\\<>;=])/g, '\\$1')
    .replace(/^([# ])/, '\\$1')
    .replace(/ $/, '\\ ');
}

/** The server hands DNs back hex-escaped (uid=o\2Cbrien): compare decoded and lower-cased. */
function canonicalDn(dn: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < dn.length; i += 1) {
    const hex = dn[i] === '\\' ? /^[0-9a-fA-F]{2}/.exec(dn.slice(i + 1)) : null;
    if (hex) {
      bytes.push(parseInt(hex[0], 16));
      i += 2;
    } else if (dn[i] === '\\') {
      bytes.push(...Buffer.from(dn[i + 1] ?? '', 'utf8'));
      i += 1;
    } else {
      bytes.push(...Buffer.from(dn[i] as string, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8').toLowerCase();
}

let ldap: Client;
let dir: GeneratedDirectory;
let scim: ScimProcess;
let configFile: string;
const dns = new Map<string, string>();

beforeAll(async () => {
  ldap = await openldapAdmin();
  dir = new GeneratedDirectory(ldap, 'hostile');
  await dir.create([], {});
  for (const h of HOSTILE) {
    const dn = `uid=${escapeRdn(h.uid)},${dir.people}`;
    dns.set(h.uid, dn);
    await dir.addEntry(dn, {
      objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'],
      uid: h.uid,
      cn: h.uid,
      sn: 'Hostile',
      ...h.attrs,
    });
  }
  // Members written in another spelling than the entries' DNs (case, spaces, hex escapes).
  const members = HOSTILE.map((h) =>
    h.uid === 'o,brien.k' ? `UID=o\\2Cbrien.k, OU=people,${dir.base}` : (dns.get(h.uid) as string),
  );
  await dir.addEntry(dir.group('staff'), { objectClass: ['top', 'groupOfNames'], cn: 'staff', member: members });

  const work = tempDir('hostile');
  scim = new ScimProcess(path.join(work, 'scim.json'));
  await scim.start();
  configFile = writeConfig(
    work,
    openldapConfig({
      base: dir.base,
      scimUrl: scim.url,
      groups: [{ dn: dir.group('staff'), role: 'User', userType: 'Viewer' }],
      // audio is an octet string: slapd stores any bytes there, so invalid UTF-8 reaches dirsync.
      extraDirectory: { attributes: { familyName: 'audio' } },
      statePath: path.join(work, 'state.db'),
    }),
  );
});

afterAll(async () => {
  await scim?.stop();
  await dir?.remove().catch(() => undefined);
  await ldap?.unbind();
});

interface Report {
  operations: { kind: string; userName: string; dn: string; status?: string; error?: string }[];
  skipped: { dn: string; reason: string; message: string }[];
}

describe('hostile directory values through slapd, the rules, the planner and the target', () => {
  it('never crash: each user gets an account, or a reason with the DN, or a per-user error', async () => {
    const res = await runCli(['sync', '--json', '--config', configFile]);
    expect(res.stderr).not.toMatch(/internal|TypeError|RangeError|at .*\.js:\d+/);
    expect([0, 5]).toContain(res.code);
    const report = JSON.parse(res.stdout) as Report;
    const opByDn = new Map(report.operations.map((o) => [canonicalDn(o.dn), o]));
    const skipByDn = new Map(report.skipped.map((s) => [canonicalDn(s.dn), s]));
    const outcome: Record<string, string> = {};
    for (const h of HOSTILE) {
      const dn = canonicalDn(dns.get(h.uid) as string);
      const op = opByDn.get(dn);
      const skip = skipByDn.get(dn);
      outcome[h.uid] = skip
        ? `skip:${skip.reason}`
        : op?.status === 'done'
          ? 'account'
          : op?.status === 'failed'
            ? 'failed'
            : `?${JSON.stringify(op)}`;
      if (skip) expect(skip.message.length).toBeGreaterThan(0);
      if (op?.status === 'failed')
        expect(op.error).toMatch(new RegExp(`^create of ${op.userName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    }
    expect(outcome).toEqual(Object.fromEntries(HOSTILE.map((h) => [h.uid, h.expect])));

    const users = new Map((await scim.users()).map((u) => [u.userName, u]));
    expect(users.get('o_brien.k')?.displayName).toBe('Kate O, Brien');
    expect(users.get('plus_quote_lt_gt__semi')).toBeDefined();
    expect(users.get('ctrl.chars')?.displayName).toBe('Tab\there\nnew line\rreturn\u0007bell\u001bescape');
    expect(users.get('long.display')?.displayName).toHaveLength(20_000);
    // Invalid UTF-8 arrives as U+FFFD replacement characters, never as a crash.
    expect(users.get('bad.utf8.user')?.name?.familyName).toBe('Fa\ufffd\ufffd\ufffd(m');
  });

  it('a second run sends nothing new: hostile values do not cause endless updates', async () => {
    const before = await scim.stats();
    const res = await runCli(['sync', '--json', '--config', configFile]);
    const report = JSON.parse(res.stdout) as Report;
    expect(res.code).toBe(0);
    expect(report.operations).toEqual([]);
    const after = await scim.stats();
    expect(after.mutating - before.mutating).toBe(0);
  });
});
