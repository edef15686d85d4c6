/**
 * Baseline B: the SCIM target's raw ingest rate. POSTs N users shaped exactly as dirsync sends
 * them (toScimUser), `concurrency` at a time, with undici and nothing else: no journal, no
 * snapshot, no plan.
 *
 *   node dist/scripts/bench/baseline-scim.js URL USERS CONCURRENCY
 */
import { Agent, request } from 'undici';
import { toScimUser } from '../../src/target/user-resource';
import { uidOf, userDn } from './ldif';

async function main(): Promise<void> {
  const [url, usersArg, concurrencyArg] = process.argv.slice(2);
  if (!url || !usersArg || !concurrencyArg) throw new Error('usage: baseline-scim.js URL USERS CONCURRENCY');
  const users = Number(usersArg);
  const token = process.env['DIRSYNC_SCIM_TOKEN'] ?? '';
  const dispatcher = new Agent({ connections: 16 });
  let next = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (next < users) {
      const i = next;
      next += 1;
      const uid = uidOf(i);
      const body = toScimUser({
        externalId: `bench-${i}`,
        dn: userDn(i),
        groups: [],
        licenses: [],
        targetGroups: [],
        userName: uid,
        email: `${uid}@example.org`,
        givenName: `Given${i}`,
        familyName: `Family${i}`,
        displayName: `Given${i} Family${i}`,
        role: 'User',
        userType: 'Viewer',
        active: true,
      });
      const res = await request(`${url}/Users`, {
        method: 'POST',
        dispatcher,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
        body: JSON.stringify(body),
      });
      await res.body.text();
      if (res.statusCode !== 201) failed += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Number(concurrencyArg) }, worker));
  const seconds = (performance.now() - started) / 1000;
  await dispatcher.close();
  process.stdout.write(`${JSON.stringify({ users, failed, seconds })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
