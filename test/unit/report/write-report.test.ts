import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readReport, reportCsv, writeReport, type ReportDocument } from '../../../src/report/files';

describe('writeReport (written in chunks)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dirsync-report-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const docWith = (operations: number): ReportDocument => ({
    runId: '20261122T100000-abcdef12',
    mode: 'sync',
    counts: { create: operations, failed: 1 },
    directory: { problems: [{ scope: 'group cn=x', reason: 'the group does not exist' }] },
    operations: Array.from({ length: operations }, (_, i) => ({
      kind: 'create',
      userName: `user${i}`,
      dn: `uid=user${i},ou=people,dc=example,dc=org`,
      desired: { displayName: `Zoë "${i}" O'Brien\nline`, licenses: i % 2 ? ['pro'] : [] },
      status: i === 3 ? 'failed' : 'done',
      ...(i === 3 ? { code: 'TARGET_HTTP', error: 'answered 400' } : {}),
    })),
    skipped: [{ dn: 'uid=bo', reason: 'USERNAME_TOO_SHORT', message: 'too short' }],
    held: [],
    empty: {},
    nothing: undefined,
  });

  it.each([0, 1, 5, 20_000])('writes the exact text of JSON.stringify and reportCsv (%i operations)', (n) => {
    const doc = docWith(n);
    const paths = writeReport(dir, doc);
    expect(readFileSync(paths.json, 'utf8')).toBe(`${JSON.stringify(doc, null, 2)}\n`);
    expect(readFileSync(paths.csv, 'utf8')).toBe(reportCsv(doc));
    expect(readReport(dir, doc.runId)).toEqual(JSON.parse(JSON.stringify(doc)));
    expect(statSync(paths.json).mode & 0o777).toBe(0o600);
    expect(statSync(paths.csv).mode & 0o777).toBe(0o600);
  });
});
