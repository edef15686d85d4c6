import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Attribute, Change, Client } from 'ldapts';
import { OPENLDAP, REPO_ROOT } from './env';
import { parseLdif } from './ldif';

export async function openldapAdmin(): Promise<Client> {
  const client = new Client({ url: OPENLDAP.ldapsUrl, tlsOptions: { ca: readFileSync(OPENLDAP.caFile) }, timeout: 10_000 });
  await client.bind(OPENLDAP.adminDn, OPENLDAP.adminPassword);
  return client;
}

export interface Fixture {
  /** ou=<name>,dc=example,dc=org */
  readonly base: string;
  readonly people: string;
  readonly groups: string;
  group(cn: string): string;
  user(uid: string): string;
}

/**
 * Loads test/fixtures/openldap/base.ldif again under its own OU, so each test file owns its
 * data and can change it freely while sharing one slapd. memberOf is left to the overlay.
 */
export async function loadOpenldapFixture(client: Client, name: string): Promise<Fixture> {
  // A fresh OU every time, never one deleted and re-created: slapd's refint overlay removes the
  // member values of deleted users in the background, and would strip them from a new group
  // that reuses the old DNs.
  const base = `ou=${name}-${Date.now().toString(36)}${process.pid},${OPENLDAP.suffix}`;
  const rebase = (dn: string): string => dn.replace(/,dc=example,dc=org$/i, `,${base}`);
  await client.add(base, { objectClass: ['top', 'organizationalUnit'], ou: base.slice(3, base.indexOf(',')) });
  const records = parseLdif(readFileSync(path.join(REPO_ROOT, 'test/fixtures/openldap/base.ldif'), 'utf8'));
  for (const record of records) {
    if (record.dn.toLowerCase() === OPENLDAP.suffix) continue;
    const attrs = new Map<string, string[]>();
    for (const [k, v] of record.attributes) {
      if (k.toLowerCase() === 'memberof') continue;
      const value = k.toLowerCase() === 'member' ? rebase(v) : v;
      attrs.set(k, [...(attrs.get(k) ?? []), value]);
    }
    await client.add(
      rebase(record.dn),
      [...attrs].map(([type, values]) => new Attribute({ type, values })),
    );
  }
  return {
    base,
    people: `ou=people,${base}`,
    groups: `ou=groups,${base}`,
    group: (cn) => `cn=${cn},ou=groups,${base}`,
    user: (uid) => `uid=${uid},ou=people,${base}`,
  };
}

export async function deleteTree(client: Client, dn: string): Promise<void> {
  let entries: string[];
  try {
    const { searchEntries } = await client.search(dn, { scope: 'sub', attributes: ['1.1'] });
    entries = searchEntries.map((e) => e.dn);
  } catch {
    return;
  }
  // Deepest first: a parent cannot be deleted before its children.
  entries.sort((a, b) => b.split(',').length - a.split(',').length);
  for (const e of entries) await client.del(e);
}

export async function removeMember(client: Client, group: string, member: string): Promise<void> {
  await client.modify(
    group,
    new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [member] }) }),
  );
}

export async function addMember(client: Client, group: string, member: string): Promise<void> {
  await client.modify(group, new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [member] }) }));
}

export async function replaceAttribute(client: Client, dn: string, type: string, values: string[]): Promise<void> {
  await client.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type, values }) }));
}
