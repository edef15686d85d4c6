import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export const SUFFIX = 'dc=example,dc=org';
export const PEOPLE = `ou=people,${SUFFIX}`;
export const GROUPS = `ou=groups,${SUFFIX}`;

/** Mapped departments: at 100k users each holds 5,000 members. */
export const DEPARTMENTS = 20;
export const TOTAL_GROUPS = 2_000;
/** Members of each unmapped group: they make the group search and memberOf realistic. */
const MISC_MEMBERS = 40;
const CONTRACTOR_TEAM = 50;

export interface BenchDirectory {
  readonly users: number;
  readonly groups: number;
  readonly memberValues: number;
  /** Mapped groups, as the connector config lists them. */
  readonly mapped: readonly { dn: string; nested: boolean }[];
}

export function uidOf(i: number): string {
  return `user${String(i).padStart(7, '0')}`;
}

export function userDn(i: number): string {
  return `uid=${uidOf(i)},${PEOPLE}`;
}

function groupDn(cn: string): string {
  return `cn=${cn},${GROUPS}`;
}

interface GroupSpec {
  readonly cn: string;
  readonly members: string[];
}

/**
 * Every group and its member DNs. Deterministic, so two runs load the same directory. The
 * nested chain (contractors -> team-a, team-b -> team-c) exercises client-side expansion.
 */
function groupSpecs(users: number): GroupSpec[] {
  const specs: GroupSpec[] = [];
  for (let d = 0; d < DEPARTMENTS; d += 1) {
    const members: string[] = [];
    for (let i = d; i < users; i += DEPARTMENTS) members.push(userDn(i));
    specs.push({ cn: `dept-${String(d).padStart(2, '0')}`, members });
  }
  const team = (offset: number): string[] =>
    Array.from({ length: Math.min(CONTRACTOR_TEAM, users) }, (_, k) => userDn((offset + k * 7) % users));
  specs.push({ cn: 'team-c', members: team(3) });
  specs.push({ cn: 'team-b', members: [...team(2), groupDn('team-c')] });
  specs.push({ cn: 'team-a', members: team(1) });
  specs.push({ cn: 'contractors', members: [groupDn('team-a'), groupDn('team-b')] });
  for (let g = specs.length; g < TOTAL_GROUPS; g += 1) {
    const members = new Set<string>();
    for (let k = 0; k < MISC_MEMBERS; k += 1) members.add(userDn((g * 7919 + k * 104_729) % users));
    specs.push({ cn: `misc-${String(g).padStart(4, '0')}`, members: [...members] });
  }
  return specs;
}

/**
 * Writes the directory as LDIF for slapadd. slapadd does not run the memberof overlay, so every
 * member carries its memberOf values (scripts/openldap.sh checks that they agree).
 */
export async function writeBenchLdif(file: string, users: number): Promise<BenchDirectory> {
  const specs = groupSpecs(users);
  const memberOf = new Map<string, string[]>();
  let memberValues = 0;
  for (const g of specs) {
    for (const m of g.members) {
      memberValues += 1;
      const list = memberOf.get(m);
      if (list) list.push(groupDn(g.cn));
      else memberOf.set(m, [groupDn(g.cn)]);
    }
  }
  const out = createWriteStream(file);
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(
    `dn: ${SUFFIX}\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Bench\n\n` +
      `dn: ${PEOPLE}\nobjectClass: top\nobjectClass: organizationalUnit\nou: people\n\n` +
      `dn: ${GROUPS}\nobjectClass: top\nobjectClass: organizationalUnit\nou: groups\n\n`,
  );
  for (let i = 0; i < users; i += 1) {
    const uid = uidOf(i);
    const dn = userDn(i);
    const lines = [
      `dn: ${dn}`,
      'objectClass: top',
      'objectClass: person',
      'objectClass: organizationalPerson',
      'objectClass: inetOrgPerson',
      `uid: ${uid}`,
      `cn: Given${i} Family${i}`,
      `sn: Family${i}`,
      `givenName: Given${i}`,
      `displayName: Given${i} Family${i}`,
      `mail: ${uid}@example.org`,
      ...(memberOf.get(dn) ?? []).map((g) => `memberOf: ${g}`),
    ];
    await write(`${lines.join('\n')}\n\n`);
  }
  // Child groups first is not needed by slapadd (-q), but it keeps the file readable.
  for (const g of specs) {
    const dn = groupDn(g.cn);
    const lines = [
      `dn: ${dn}`,
      'objectClass: top',
      'objectClass: groupOfNames',
      `cn: ${g.cn}`,
      ...g.members.map((m) => `member: ${m}`),
      ...(memberOf.get(dn) ?? []).map((p) => `memberOf: ${p}`),
    ];
    await write(`${lines.join('\n')}\n\n`);
  }
  out.end();
  await once(out, 'finish');
  const mapped = [
    ...specs.slice(0, DEPARTMENTS).map((g) => ({ dn: groupDn(g.cn), nested: false })),
    { dn: groupDn('contractors'), nested: true },
  ];
  return { users, groups: specs.length, memberValues, mapped };
}
