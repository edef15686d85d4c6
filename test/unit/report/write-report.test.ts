import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LazyList, readReport, reportCsv, writeReport, writeReportJson, type ReportDocument } from '../../../src/report/files';

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

  it.each([0, 3, 5_000])('writes operations built one at a time exactly as the array they stand for (%i)', (n) => {
    const eager = docWith(n);
    const ops = eager.operations as readonly Record<string, unknown>[];
    let built = 0;
    const lazy: ReportDocument = {
      ...eager,
      operations: new LazyList(ops.length, (i) => {
        built += 1;
        return { ...(ops[i] as Record<string, unknown>) };
      }),
    };
    const paths = writeReport(dir, lazy);
    expect(readFileSync(paths.json, 'utf8')).toBe(`${JSON.stringify(eager, null, 2)}\n`);
    expect(readFileSync(paths.csv, 'utf8')).toBe(reportCsv(eager));
    // Once for the JSON file, once for the CSV file: never held, always rebuilt.
    expect(built).toBe(2 * n);
    expect(JSON.stringify(lazy)).toBe(JSON.stringify(eager));
  });

  it('hands --json its text in chunks of about 64 KB, the same text as JSON.stringify', () => {
    const doc = docWith(20_000);
    const chunks: string[] = [];
    writeReportJson((text) => chunks.push(text), { ...doc, planFile: '/tmp/plan.json' });
    expect(chunks.join('')).toBe(`${JSON.stringify({ ...doc, planFile: '/tmp/plan.json' }, null, 2)}\n`);
    expect(chunks.length).toBeGreaterThan(2);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(80 * 1024);
  });
});
