import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Attribute, Change, Client } from 'ldapts';
import { SAMBA } from './env';

/** userAccountControl: NORMAL_ACCOUNT | PASSWD_NOTREQD, an enabled account without a password. */
export const UAC_ENABLED = 0x200 | 0x20;
export const UAC_DISABLED = UAC_ENABLED | 0x2;

export async function sambaAdmin(): Promise<Client> {
  const client = new Client({ url: SAMBA.ldapsUrl, tlsOptions: { ca: readFileSync(SAMBA.caFile) }, timeout: 30_000 });
  await client.bind(SAMBA.adminUpn, SAMBA.adminPassword);
  return client;
}

export async function addOu(client: Client, dn: string): Promise<void> {
  await client.add(dn, { objectClass: ['top', 'organizationalUnit'] });
}

export interface AdUser {
  readonly sam: string;
  readonly givenName?: string;
  readonly sn?: string;
  readonly mail?: string;
  readonly disabled?: boolean;
}

export async function addUser(client: Client, ou: string, user: AdUser): Promise<string> {
  const dn = `CN=${user.sam},${ou}`;
  const attrs: Record<string, string | string[]> = {
    objectClass: ['top', 'person', 'organizationalPerson', 'user'],
    sAMAccountName: user.sam,
    userPrincipalName: `${user.sam}@example.test`,
    userAccountControl: String(user.disabled ? UAC_DISABLED : UAC_ENABLED),
  };
  if (user.givenName) attrs.givenName = user.givenName;
  if (user.sn) attrs.sn = user.sn;
  if (user.mail !== undefined) attrs.mail = user.mail;
  await client.add(dn, attrs);
  return dn;
}

export async function addGroup(client: Client, ou: string, cn: string, members: readonly string[] = []): Promise<string> {
  const dn = `CN=${cn},${ou}`;
  await client.add(dn, {
    objectClass: ['top', 'group'],
    sAMAccountName: cn,
    ...(members.length ? { member: [...members] } : {}),
  });
  return dn;
}

export async function modifyAttribute(
  client: Client,
  dn: string,
  type: string,
  values: string[],
  operation: 'replace' | 'add' | 'delete' = 'replace',
): Promise<void> {
  await client.modify(dn, new Change({ operation, modification: new Attribute({ type, values }) }));
}

export async function setDisabled(client: Client, dn: string, disabled: boolean): Promise<void> {
  await modifyAttribute(client, dn, 'userAccountControl', [String(disabled ? UAC_DISABLED : UAC_ENABLED)]);
}

/** Deletes a subtree deepest first; missing is fine. */
export async function deleteTree(client: Client, dn: string): Promise<void> {
  let dns: string[];
  try {
    const res = await client.search(dn, { scope: 'sub', attributes: ['1.1'], paged: { pageSize: 1000 } });
    dns = res.searchEntries.map((e) => e.dn);
  } catch {
    return;
  }
  dns.sort((a, b) => b.split(',').length - a.split(',').length);
  for (const d of dns) await client.del(d);
}

/**
 * objectGUID as Samba's own tools print it, read straight from sam.ldb: an oracle for the
 * connector's decoding that shares no code with it.
 */
export function objectGuidFromSamba(dn: string): string {
  const out = execFileSync('ldbsearch', ['-H', SAMBA.samLdb, '-b', dn, '-s', 'base', 'objectGUID'], { encoding: 'utf8' });
  const m = /^objectGUID: ([0-9a-f-]{36})$/m.exec(out);
  if (!m) throw new Error(`no objectGUID for ${dn} in: ${out}`);
  return m[1] as string;
}

/**
 * Removes what an earlier, interrupted run of a test file left under the tests OU. AD names
 * (sAMAccountName, userPrincipalName) are unique in the whole domain, so leftovers would
 * collide with the users the next run creates.
 */
export async function deleteLeftovers(client: Client, prefix: string): Promise<void> {
  const { searchEntries } = await client.search(SAMBA.testsOu, {
    scope: 'one',
    filter: '(objectClass=organizationalUnit)',
    attributes: ['1.1'],
  });
  for (const e of searchEntries) {
    if (!e.dn.toLowerCase().startsWith(`ou=${prefix.toLowerCase()}`)) continue;
    const groups = await client
      .search(e.dn, { scope: 'sub', filter: '(objectClass=group)', attributes: ['1.1'] })
      .catch(() => undefined);
    // Groups first: deleting a member of a large group rewrites the group's links each time.
    for (const g of groups?.searchEntries ?? []) await client.del(g.dn).catch(() => undefined);
    await deleteTree(client, e.dn);
  }
}
