/**
 * Prints the users a SCIM target holds, as a table: used by the demo to show what landed.
 * Usage: node dist/scripts/show-target.js <scim base url>   (token from DIRSYNC_SCIM_TOKEN)
 */
import { request } from 'undici';
import { table } from '../src/cli/format';

interface UserView {
  id: string;
  userName: string;
  active?: boolean;
  userType?: string;
  roles?: { value: string }[];
  emails?: { value: string }[];
  entitlements?: { value: string }[];
}

async function main(): Promise<void> {
  const base = process.argv[2];
  const token = process.env.DIRSYNC_SCIM_TOKEN;
  if (!base || !token) throw new Error('usage: show-target.js <scim base url>, with DIRSYNC_SCIM_TOKEN set');
  const users: UserView[] = [];
  for (let start = 1; ; start += 100) {
    const res = await request(`${base}/Users?startIndex=${start}&count=100`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.body.json()) as { totalResults: number; Resources?: UserView[] };
    users.push(...(body.Resources ?? []));
    if (users.length >= body.totalResults || !body.Resources?.length) break;
  }
  users.sort((a, b) => a.userName.localeCompare(b.userName));
  const rows = users.map((u) => [
    u.userName,
    u.active === false ? 'INACTIVE' : 'active',
    u.roles?.[0]?.value ?? '',
    u.userType ?? '',
    (u.entitlements ?? []).map((e) => e.value).join(' '),
    u.emails?.[0]?.value ?? '',
  ]);
  process.stdout.write(`${table(['USERNAME', 'STATUS', 'ROLE', 'USER TYPE', 'LICENSES', 'EMAIL'], rows, 120)}\n`);
  process.stdout.write(`${users.length} users on the target\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`show-target: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
