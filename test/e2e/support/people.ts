import { Attribute, Change, type Client } from 'ldapts';
import { OPENLDAP } from './env';
import { deleteTree } from './ldap';

export interface Person {
  readonly uid: string;
  mail: string;
  givenName: string;
  sn: string;
  displayName: string;
}

/** groupOfNames must have a member: this DN is outside the user base, so it is never in scope. */
const PLACEHOLDER = (base: string): string => `cn=placeholder,${base}`;

export function person(uid: string, n = 0): Person {
  return { uid, mail: `${uid}@example.org`, givenName: `Given${n}`, sn: `Family${n}`, displayName: `Given${n} Family${n}` };
}

/**
 * A small directory generated under its own OU (ou=<name>-<pid>,dc=example,dc=org) of the
 * shared slapd, for tests that change it a lot and must know exactly what it holds.
 */
export class GeneratedDirectory {
  /** The OU: the name plus this process's id, so two test runs at once never share data. */
  readonly ou: string;
  readonly base: string;
  readonly people: string;
  readonly groups: string;

  constructor(
    readonly client: Client,
    name: string,
  ) {
    this.ou = `${name}-${process.pid}`;
    this.base = `ou=${this.ou},${OPENLDAP.suffix}`;
    this.people = `ou=people,${this.base}`;
    this.groups = `ou=groups,${this.base}`;
  }

  dn(uid: string): string {
    return `uid=${uid},${this.people}`;
  }

  group(cn: string): string {
    return `cn=${cn},${this.groups}`;
  }

  async create(persons: readonly Person[], groups: Record<string, readonly string[]>): Promise<void> {
    await deleteTree(this.client, this.base);
    await this.client.add(this.base, { objectClass: ['top', 'organizationalUnit'], ou: this.ou });
    await this.client.add(this.people, { objectClass: ['top', 'organizationalUnit'], ou: 'people' });
    await this.client.add(this.groups, { objectClass: ['top', 'organizationalUnit'], ou: 'groups' });
    for (const p of persons) await this.addPerson(p);
    for (const [cn, uids] of Object.entries(groups)) await this.addGroup(cn, uids);
  }

  async addPerson(p: Person, extra: Record<string, string | string[] | Buffer[]> = {}): Promise<void> {
    await this.addEntry(this.dn(p.uid), {
      objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'],
      uid: p.uid,
      cn: p.displayName || p.uid,
      sn: p.sn || 'x',
      givenName: p.givenName,
      displayName: p.displayName,
      mail: p.mail,
      ...extra,
    });
  }

  /** Adds an entry; empty string values are left out (LDAP has no empty values). */
  async addEntry(dn: string, attrs: Record<string, string | string[] | Buffer[]>): Promise<void> {
    const list: Attribute[] = [];
    for (const [type, value] of Object.entries(attrs)) {
      const values = (Array.isArray(value) ? value : [value]).filter((v) => (typeof v === 'string' ? v !== '' : true));
      if (values.length > 0) list.push(new Attribute({ type, values: values as string[] | Buffer[] }));
    }
    await this.client.add(dn, list);
  }

  async addGroup(cn: string, uids: readonly string[]): Promise<void> {
    await this.client.add(this.group(cn), {
      objectClass: ['top', 'groupOfNames'],
      cn,
      member: [PLACEHOLDER(this.base), ...uids.map((u) => this.dn(u))],
    });
  }

  async setMembers(cn: string, uids: readonly string[]): Promise<void> {
    await this.client.modify(
      this.group(cn),
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'member', values: [PLACEHOLDER(this.base), ...uids.map((u) => this.dn(u))] }),
      }),
    );
  }

  async replace(uid: string, type: string, value: string): Promise<void> {
    await this.client.modify(
      this.dn(uid),
      new Change({ operation: 'replace', modification: new Attribute({ type, values: [value] }) }),
    );
  }

  async remove(): Promise<void> {
    await deleteTree(this.client, this.base);
  }
}
