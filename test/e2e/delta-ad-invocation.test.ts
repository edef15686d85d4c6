/**
 * The AD delta mark is kept per DC *and* per database: with the DC's invocationId (read from
 * its NTDS Settings object). Against the real Samba DC: the stored mark carries the DC's
 * invocationId; a mark whose invocationId differs (the DC was restored from a backup: same
 * dsServiceName, new invocationId, uSNs that may have gone back) makes the next delta a full read
 * that says why; so does a uSN below the mark.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from 'ldapts';
import { formatGuid } from '../../src/directory/vendor';
import { openSqlite } from '../../src/state/sqlite';
import { SAMBA } from './support/env';
import { runCli, SAMBA_ENV, sambaConfig, tempDir, writeConfig } from './support/cli';
import { addGroup, addOu, addUser, deleteLeftovers, deleteTree, modifyAttribute, sambaAdmin } from './support/samba';
import { ScimProcess } from './support/scim';

jest.setTimeout(60_000);

interface Report {
  directory: { kind: string; entriesRead: number };
  operations: { kind: string; userName: string; status?: string }[];
}

let ad: Client;
let scim: ScimProcess;
let root: string;
let file: string;
let statePath: string;
let logDir: string;
let dsServiceName: string;
let invocationId: string;
const dns: Record<string, string> = {};

/** One sync --delta; `fallback` is why the log says it read in full instead (--json keeps stderr quiet). */
async function sync(): Promise<{ report: Report; fallback: string | undefined }> {
  const res = await runCli(['sync', '--json', '--delta', '--config', file], SAMBA_ENV);
  if (res.code !== 0) throw new Error(`sync exited ${res.code}: ${res.stderr}`);
  const report = JSON.parse(res.stdout) as Report & { runId: string };
  const lines = readdirSync(logDir)
    .filter((n) => n.endsWith('.log'))
    .flatMap((n) => readFileSync(path.join(logDir, n), 'utf8').trim().split('\n'))
    .map((l) => JSON.parse(l) as { message: string; runId?: string; reason?: string });
  const line = lines.find((l) => l.runId === report.runId && l.message === 'full read instead of a delta');
  return { report, fallback: line?.reason };
}

function mark(): { server_id: string; mark: string } {
  const db = openSqlite(statePath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT server_id, mark FROM directory_mark WHERE id = 1').get() as { server_id: string; mark: string };
  } finally {
    db.close();
  }
}

function setMark(serverId: string, value: string): void {
  const db = openSqlite(statePath);
  try {
    db.prepare('UPDATE directory_mark SET server_id = ?, mark = ? WHERE id = 1').run(serverId, value);
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  ad = await sambaAdmin();
  await deleteLeftovers(ad, 'dinv-');
  root = `OU=dinv-${Date.now().toString(36)},${SAMBA.testsOu}`;
  await addOu(ad, root);
  for (const sam of ['dinv.ann', 'dinv.bo2', 'dinv.cy']) dns[sam] = await addUser(ad, root, { sam, mail: `${sam}@example.test` });
  dns.group = await addGroup(ad, root, 'DinvStaff', [
    dns['dinv.ann'] as string,
    dns['dinv.bo2'] as string,
    dns['dinv.cy'] as string,
  ]);

  const rootDse = await ad.search('', { scope: 'base', attributes: ['dsServiceName'] });
  dsServiceName = String(rootDse.searchEntries[0]?.dsServiceName);
  const ntds = await ad.search(dsServiceName, {
    scope: 'base',
    attributes: ['invocationId'],
    explicitBufferAttributes: ['invocationId'],
  });
  invocationId = formatGuid(ntds.searchEntries[0]?.invocationId as Buffer);
  expect(invocationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

  const dir = tempDir('delta-ad-invocation');
  statePath = path.join(dir, 'state.db');
  logDir = path.join(dir, 'logs');
  scim = new ScimProcess(path.join(dir, 'scim.json'));
  await scim.start();
  file = writeConfig(dir, {
    ...sambaConfig({
      baseDns: [root],
      scimUrl: scim.url,
      statePath,
      groups: [{ dn: dns.group, role: 'User', userType: 'Viewer', nested: false }],
    }),
    logging: { level: 'info', file: { dir: logDir } },
  });
});

afterAll(async () => {
  await scim?.stop();
  if (ad) {
    await deleteTree(ad, root).catch(() => undefined);
    await ad.unbind();
  }
});

it('keeps the mark with the DC and its invocationId, and deltas from it', async () => {
  const first = await sync();
  expect(first.report.directory.kind).toBe('full');
  expect(first.report.operations).toHaveLength(3);
  expect(mark().server_id).toBe(`ad:${dsServiceName}|invocationId=${invocationId}`);

  await modifyAttribute(ad, dns['dinv.bo2'] as string, 'displayName', ['Bo Changed']);
  const delta = await sync();
  expect(delta.report.directory.kind).toBe('delta');
  expect(delta.fallback).toBeUndefined();
  expect(delta.report.directory.entriesRead).toBe(1);
  expect(delta.report.operations).toEqual([expect.objectContaining({ kind: 'update', userName: 'dinv.bo2', status: 'done' })]);
});

it('a DC restored from a backup (same dsServiceName, new invocationId) is read in full, and why is logged', async () => {
  const before = mark();
  // What the mark looked like before the restore: another invocationId, and a uSN the restored
  // database may not have reached yet.
  setMark(`ad:${dsServiceName}|invocationId=00000000-1111-2222-3333-444444444444`, String(BigInt(before.mark) + 1_000_000n));
  await modifyAttribute(ad, dns['dinv.cy'] as string, 'displayName', ['Cy Changed']);
  const restored = await sync();
  expect(restored.fallback).toMatch(/new invocationId \(00000000-1111-2222-3333-444444444444 -> [0-9a-f-]{36}\)/);
  expect(restored.report.directory.kind).toBe('full');
  // A delta from the stale mark would have found nothing; the full read finds the change.
  expect(restored.report.operations).toEqual([expect.objectContaining({ kind: 'update', userName: 'dinv.cy', status: 'done' })]);
  // The new mark belongs to the DC as it is now: the next run is a delta again.
  expect(mark().server_id).toBe(`ad:${dsServiceName}|invocationId=${invocationId}`);
  const next = await sync();
  expect(next.report.directory.kind).toBe('delta');
});

it('a uSN below the mark on the same DC and invocationId is read in full too', async () => {
  const current = mark();
  setMark(current.server_id, String(BigInt(current.mark) + 1_000_000n));
  const res = await sync();
  expect(res.fallback).toMatch(/highestCommittedUSN \(\d+\) is below the last mark/);
  expect(res.report.directory.kind).toBe('full');
});
