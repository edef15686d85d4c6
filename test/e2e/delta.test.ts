/**
 * Delta syncs on both directories: after a complete sync, a delta reads only the entries that
 * changed (the count is asserted), pushes them, follows membership changes of mapped groups,
 * falls back to a full read when the change mark belongs to another server, and builds on the
 * scope table that an identical full sync left unwritten.
 */
import path from 'node:path';
import { openSqlite } from '../../src/state/sqlite';
import type { Client } from 'ldapts';
import { SAMBA } from './support/env';
import { openldapConfig, runCli, SAMBA_ENV, sambaConfig, SECRETS_ENV, tempDir, writeConfig } from './support/cli';
import { addMember, loadOpenldapFixture, openldapAdmin, removeMember, replaceAttribute, type Fixture } from './support/ldap';
import { addGroup, addOu, addUser, deleteLeftovers, deleteTree, modifyAttribute, sambaAdmin } from './support/samba';
import { ScimProcess } from './support/scim';

jest.setTimeout(120_000);

interface Report {
  outcome: string;
  directory: { kind: string; entriesRead: number; problems: unknown[] };
  operations: { kind: string; userName: string; status?: string; changes?: { field: string }[] }[];
}

async function sync(file: string, env: Record<string, string>, delta: boolean): Promise<Report> {
  const res = await runCli(['sync', '--json', '--config', file, ...(delta ? ['--delta'] : [])], env);
  if (res.code !== 0) throw new Error(`sync exited ${res.code}: ${res.stderr}`);
  return JSON.parse(res.stdout) as Report;
}

describe('delta sync on OpenLDAP (entryCSN)', () => {
  let ldap: Client;
  let fx: Fixture;
  let scim: ScimProcess;
  let file: string;
  let dir: string;

  beforeAll(async () => {
    ldap = await openldapAdmin();
    fx = await loadOpenldapFixture(ldap, 'delta');
    dir = tempDir('delta-ldap');
    scim = new ScimProcess(path.join(dir, 'scim.json'));
    await scim.start();
    file = writeConfig(
      dir,
      openldapConfig({
        base: fx.base,
        scimUrl: scim.url,
        statePath: path.join(dir, 'state.db'),
        groups: [
          { dn: fx.group('engineering'), role: 'Publisher', userType: 'Creator' },
          { dn: fx.group('sales'), role: 'User', userType: 'Viewer' },
        ],
      }),
    );
  });

  afterAll(async () => {
    await scim?.stop();
    await ldap?.unbind();
  });

  it('starts with a full read when there is nothing to start a delta from', async () => {
    const first = await sync(file, SECRETS_ENV, true);
    expect(first.directory.kind).toBe('full');
    expect(first.operations.length).toBe(14);
  });

  it('reads only the changed entry and pushes it', async () => {
    await replaceAttribute(ldap, fx.user('carol.white'), 'displayName', ['Carol W.']);
    const report = await sync(file, SECRETS_ENV, true);
    expect(report.directory.kind).toBe('delta');
    expect(report.directory.entriesRead).toBe(1);
    expect(report.operations).toEqual([expect.objectContaining({ kind: 'update', userName: 'carol.white', status: 'done' })]);
    const nothing = await sync(file, SECRETS_ENV, true);
    expect(nothing.directory.entriesRead).toBe(0);
    expect(nothing.operations).toEqual([]);
  });

  it('follows membership: a user removed from their only group is deactivated, added back is reactivated', async () => {
    await removeMember(ldap, fx.group('sales'), fx.user('grace.hall'));
    const off = await sync(file, SECRETS_ENV, true);
    expect(off.directory.kind).toBe('delta');
    expect(off.operations).toEqual([expect.objectContaining({ kind: 'deactivate', userName: 'grace.hall', status: 'done' })]);

    await addMember(ldap, fx.group('sales'), fx.user('grace.hall'));
    const on = await sync(file, SECRETS_ENV, true);
    expect(on.operations).toEqual([expect.objectContaining({ kind: 'reactivate', userName: 'grace.hall', status: 'done' })]);
    // Only the member who came back was read: the other members are known from the last read.
    expect(on.directory.entriesRead).toBe(1);
  });

  it('a full sync after deltas finds nothing left to do', async () => {
    const full = await sync(file, SECRETS_ENV, false);
    expect(full.directory.kind).toBe('full');
    expect(full.operations).toEqual([]);
  });

  it('an identical full sync leaves the scope table untouched, and a delta on top of it still follows membership', async () => {
    // Counts every write to the scope table and to its digest from here on (the CLI runs in its
    // own process). A full sync that took the digest path writes neither; one that compared the
    // rows would write the digest again, even unchanged.
    const db = openSqlite(path.join(dir, 'state.db'));
    const triggers = ['directory_scope', 'directory_scope_digest'].flatMap((table) =>
      ['INSERT', 'UPDATE', 'DELETE'].map((event) => ({ name: `test_${table}_${event}`, table, event })),
    );
    db.exec(
      `CREATE TABLE test_writes (tbl TEXT NOT NULL);` +
        triggers
          .map(
            (t) =>
              `CREATE TRIGGER ${t.name} AFTER ${t.event} ON ${t.table} BEGIN INSERT INTO test_writes VALUES ('${t.table}'); END;`,
          )
          .join('\n'),
    );
    const writes = (table: string): number =>
      (db.prepare('SELECT count(*) AS n FROM test_writes WHERE tbl = ?').get(table) as { n: number }).n;
    const digest = (): unknown => db.prepare('SELECT digest FROM directory_scope_digest WHERE id = 1').get();
    try {
      const kept = digest();
      expect(kept).toEqual({ digest: expect.any(String) });
      const again = await sync(file, SECRETS_ENV, false);
      expect(again.directory.kind).toBe('full');
      expect(again.operations).toEqual([]);
      // The same scope hashed to the stored digest: the table was neither read back nor written.
      expect(writes('directory_scope')).toBe(0);
      expect(writes('directory_scope_digest')).toBe(0);
      expect(digest()).toEqual(kept);

      // A delta starts from the rows the skipped full sync kept.
      await removeMember(ldap, fx.group('sales'), fx.user('grace.hall'));
      const off = await sync(file, SECRETS_ENV, true);
      expect(off.directory.kind).toBe('delta');
      expect(off.operations).toEqual([expect.objectContaining({ kind: 'deactivate', userName: 'grace.hall', status: 'done' })]);
      expect(writes('directory_scope')).toBeGreaterThan(0);
      // The delta wrote rows: the digest no longer vouches for the table.
      expect(digest()).toBeUndefined();
      await addMember(ldap, fx.group('sales'), fx.user('grace.hall'));
      const on = await sync(file, SECRETS_ENV, true);
      expect(on.operations).toEqual([expect.objectContaining({ kind: 'reactivate', userName: 'grace.hall', status: 'done' })]);
      expect(on.directory.entriesRead).toBe(1);
      // And the full sync after those deltas agrees with them.
      const full = await sync(file, SECRETS_ENV, false);
      expect(full.operations).toEqual([]);
      expect(digest()).toEqual({ digest: expect.any(String) });
    } finally {
      db.exec(triggers.map((t) => `DROP TRIGGER ${t.name};`).join('\n') + 'DROP TABLE test_writes;');
    }
  });

  it('falls back to a full read when the mark belongs to another server', async () => {
    const db = openSqlite(path.join(dir, 'state.db'));
    db.prepare("UPDATE directory_mark SET server_id = 'ldap:ldaps://other-replica:636'").run();
    const res = await runCli(['sync', '--config', file, '--delta'], SECRETS_ENV);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/full read instead of a delta.*change marks are per server/);
    expect(res.stderr).toMatch(/directory read .*kind=full/);
    // The full read set a mark of this server again: the next one is a delta.
    const next = await sync(file, SECRETS_ENV, true);
    expect(next.directory.kind).toBe('delta');
  });
});

describe('delta sync on Samba AD (uSNChanged)', () => {
  let ad: Client;
  let scim: ScimProcess;
  let root: string;
  let file: string;
  const dns: Record<string, string> = {};

  beforeAll(async () => {
    ad = await sambaAdmin();
    await deleteLeftovers(ad, 'delta-');
    root = `OU=delta-${Date.now().toString(36)},${SAMBA.testsOu}`;
    await addOu(ad, root);
    for (const sam of ['dl.anna', 'dl.ben', 'dl.cleo', 'dl.dan'])
      dns[sam] = await addUser(ad, root, { sam, mail: `${sam}@example.test` });
    dns.group = await addGroup(ad, root, 'DeltaStaff', [
      dns['dl.anna'] as string,
      dns['dl.ben'] as string,
      dns['dl.cleo'] as string,
    ]);
    const dir = tempDir('delta-ad');
    scim = new ScimProcess(path.join(dir, 'scim.json'));
    await scim.start();
    file = writeConfig(
      dir,
      sambaConfig({
        baseDns: [root],
        scimUrl: scim.url,
        statePath: path.join(dir, 'state.db'),
        groups: [{ dn: dns.group, role: 'User', userType: 'Viewer', nested: false }],
      }),
    );
  });

  afterAll(async () => {
    await scim?.stop();
    if (ad) {
      await deleteTree(ad, root).catch(() => undefined);
      await ad.unbind();
    }
  });

  it('reads only the changed entry, then follows a new member', async () => {
    const first = await sync(file, SAMBA_ENV, true);
    expect(first.directory.kind).toBe('full');
    expect(first.operations).toHaveLength(3);

    await modifyAttribute(ad, dns['dl.ben'] as string, 'displayName', ['Ben Changed']);
    const one = await sync(file, SAMBA_ENV, true);
    expect(one.directory.kind).toBe('delta');
    expect(one.directory.entriesRead).toBe(1);
    expect(one.operations).toEqual([expect.objectContaining({ kind: 'update', userName: 'dl.ben', status: 'done' })]);

    await modifyAttribute(ad, dns.group as string, 'member', [dns['dl.dan'] as string], 'add');
    const joined = await sync(file, SAMBA_ENV, true);
    expect(joined.directory.kind).toBe('delta');
    expect(joined.directory.entriesRead).toBe(1);
    expect(joined.operations).toEqual([expect.objectContaining({ kind: 'create', userName: 'dl.dan', status: 'done' })]);
  });
});
