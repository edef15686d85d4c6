/**
 * Accounts that already exist on the target when dirsync first creates users, against the real
 * SCIM target: the adoption rule end to end. Adopted only when provably the same person;
 * otherwise reported as needing consolidation, with the DN, and nothing written.
 */
import path from 'node:path';
import type { Client } from 'ldapts';
import { openldapConfig, runCli, tempDir, writeConfig } from '../support/cli';
import { openldapAdmin } from '../support/ldap';
import { GeneratedDirectory, person } from '../support/people';
import { ScimProcess, type ScimUserView } from '../support/scim';

jest.setTimeout(60_000);

let ldap: Client;
let dir: GeneratedDirectory;
let scim: ScimProcess;
let configFile: string;
const uids = ['same.person', 'other.email', 'other.source', 'split.holders', 'fresh.user'];
const existing = new Map<string, ScimUserView>();

async function seedAccount(body: Record<string, unknown>): Promise<ScimUserView> {
  const res = await scim.post('/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], active: true, ...body });
  expect(res.status).toBe(201);
  return res.body as ScimUserView;
}

beforeAll(async () => {
  ldap = await openldapAdmin();
  dir = new GeneratedDirectory(ldap, 'consolidation');
  await dir.create(
    uids.map((u, i) => person(u, i)),
    { staff: uids },
  );
  const work = tempDir('consolidation');
  scim = new ScimProcess(path.join(work, 'scim.json'));
  await scim.start();
  // Created by hand in the product before dirsync ran.
  existing.set(
    'same.person',
    await seedAccount({ userName: 'same.person', emails: [{ value: 'Same.Person@example.org', primary: true }], active: false }),
  );
  existing.set(
    'other.email',
    await seedAccount({ userName: 'other.email', emails: [{ value: 'someone@elsewhere.example', primary: true }] }),
  );
  existing.set(
    'other.source',
    await seedAccount({ userName: 'other.source', externalId: 'hr-system-42', emails: [{ value: 'other.source@example.org' }] }),
  );
  existing.set(
    'split.holders',
    await seedAccount({ userName: 'split.holders', emails: [{ value: 'split.holders@example.org' }] }),
  );
  existing.set('split.other', await seedAccount({ userName: 'split.other', emails: [{ value: 'split.holders@example.org' }] }));
  configFile = writeConfig(
    work,
    openldapConfig({
      base: dir.base,
      scimUrl: scim.url,
      groups: [{ dn: dir.group('staff'), role: 'User', userType: 'Viewer' }],
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
  operations: { kind: string; userName: string; status?: string; error?: string }[];
  skipped: { dn: string; reason: string; message: string }[];
}

describe('existing accounts on the target', () => {
  it('adopts only the provably same person; reports the others for consolidation and overwrites nothing', async () => {
    const res = await runCli(['sync', '--json', '--config', configFile]);
    expect(res.code).toBe(5);
    const report = JSON.parse(res.stdout) as Report;
    const status = Object.fromEntries(report.operations.map((o) => [o.userName, o.status]));
    expect(status).toEqual({
      'same.person': 'done',
      'other.email': 'consolidation',
      'other.source': 'consolidation',
      'split.holders': 'consolidation',
      'fresh.user': 'done',
    });
    const consolidation = Object.fromEntries(
      report.skipped.filter((s) => s.reason === 'NEEDS_CONSOLIDATION').map((s) => [s.dn, s.message]),
    );
    expect(consolidation).toEqual({
      [dir.dn('other.email')]: expect.stringContaining('has email someone@elsewhere.example, not other.email@example.org'),
      [dir.dn('other.source')]: expect.stringContaining('managed by another source (externalId "hr-system-42")'),
      [dir.dn('split.holders')]: expect.stringContaining('belong to different target accounts'),
    });

    const after = new Map((await scim.users()).map((u) => [u.id, u]));
    // The same person: linked (externalId written) and reactivated, on the same account.
    const adopted = after.get(existing.get('same.person')?.id ?? '');
    expect(adopted).toMatchObject({
      userName: 'same.person',
      active: true,
      externalId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    // The others are exactly as they were.
    for (const name of ['other.email', 'other.source', 'split.holders', 'split.other']) {
      const before = existing.get(name) as ScimUserView;
      const now = after.get(before.id);
      expect({ externalId: now?.externalId, emails: now?.emails, active: now?.active }).toEqual({
        externalId: before.externalId,
        emails: before.emails,
        active: before.active,
      });
    }
    expect([...after.values()].filter((u) => u.userName === 'fresh.user')).toHaveLength(1);
    expect(after.size).toBe(existing.size + 1);
  });

  it('a second run adopts nothing new, creates nothing, and reports the same users again', async () => {
    const before = await scim.stats();
    const res = await runCli(['sync', '--json', '--config', configFile]);
    expect(res.code).toBe(5);
    const report = JSON.parse(res.stdout) as Report;
    expect(report.operations.map((o) => `${o.userName} ${o.status}`).sort()).toEqual([
      'other.email consolidation',
      'other.source consolidation',
      'split.holders consolidation',
    ]);
    // Three POSTs refused with 409, nothing else written.
    expect((await scim.stats()).mutating - before.mutating).toBe(3);
    expect((await scim.users()).length).toBe(existing.size + 1);
  });
});
