import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pruneReports, writeReport } from '../../../src/report/files';

const DAY = 86_400_000;
const NOW = new Date('2026-06-30T12:00:00Z');

function age(file: string, daysAgo: number): void {
  const t = new Date(NOW.getTime() - daysAgo * DAY);
  utimesSync(file, t, t);
}

describe('report retention (reports.keepDays)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dirsync-reports-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('deletes both files of reports older than keepDays and keeps recent ones', () => {
    const old = writeReport(dir, { runId: '20260301T020000-0a1b2c3d', operations: [] });
    const edge = writeReport(dir, { runId: '20260401T020000-1a1b2c3d', operations: [] });
    const recent = writeReport(dir, { runId: '20260625T020000-2a1b2c3d', operations: [] });
    age(old.json, 121);
    age(old.csv, 121);
    age(edge.json, 90.5);
    age(edge.csv, 89.5); // its CSV was rewritten later: it stays a day longer
    age(recent.json, 5);
    age(recent.csv, 5);
    expect(pruneReports(dir, 90, NOW)).toBe(3);
    expect(existsSync(old.json)).toBe(false);
    expect(existsSync(old.csv)).toBe(false);
    expect(existsSync(edge.json)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual([
      '20260401T020000-1a1b2c3d.csv',
      '20260625T020000-2a1b2c3d.csv',
      '20260625T020000-2a1b2c3d.json',
    ]);
  });

  it('never deletes other JSON or CSV files an admin keeps in the folder, nor folders', () => {
    for (const name of ['users-export.csv', 'notes.json', 'connector.json']) {
      writeFileSync(path.join(dir, name), '{}');
      age(path.join(dir, name), 400);
    }
    mkdirSync(path.join(dir, '20250101T000000-deadbeef.json'));
    age(path.join(dir, '20250101T000000-deadbeef.json'), 400);
    const report = writeReport(dir, { runId: '20250101T000000-0badf00d' });
    age(report.json, 400);
    age(report.csv, 400);
    expect(pruneReports(dir, 90, NOW)).toBe(2);
    expect(readdirSync(dir).sort()).toEqual([
      '20250101T000000-deadbeef.json',
      'connector.json',
      'notes.json',
      'users-export.csv',
    ]);
  });

  it('is a no-op on a folder that does not exist yet', () => {
    expect(pruneReports(path.join(dir, 'missing'), 90, NOW)).toBe(0);
  });
});
