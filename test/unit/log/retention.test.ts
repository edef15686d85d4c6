import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger, pruneLogs } from '../../../src/log/logger';

const DAY = 86_400_000;
const NOW = new Date('2026-06-30T12:00:00Z');

/** A file whose modification time is `daysAgo` days before `from`. */
function fileAged(dir: string, name: string, daysAgo: number, from: Date = NOW): string {
  const file = path.join(dir, name);
  writeFileSync(file, '{"message":"x"}\n');
  const t = new Date(from.getTime() - daysAgo * DAY);
  utimesSync(file, t, t);
  return file;
}

describe('log retention (logging.file.keepDays)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dirsync-logs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('deletes daily log files older than keepDays and keeps recent ones', () => {
    fileAged(dir, 'dirsync-2026-05-01.log', 60);
    fileAged(dir, 'dirsync-2026-05-30.log', 31);
    fileAged(dir, 'dirsync-2026-06-01.log', 29);
    fileAged(dir, 'dirsync-2026-06-30.log', 0);
    expect(pruneLogs(dir, 30, NOW)).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(['dirsync-2026-06-01.log', 'dirsync-2026-06-30.log']);
  });

  it('never touches files that are not its daily logs, however old', () => {
    fileAged(dir, 'dirsync-2026-01-01.log', 180);
    fileAged(dir, 'syslog.log', 180);
    fileAged(dir, 'dirsync-2026-01-01.log.bak', 180);
    fileAged(dir, '.dirsync-log-audit.json', 180);
    expect(pruneLogs(dir, 30, NOW)).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['.dirsync-log-audit.json', 'dirsync-2026-01-01.log.bak', 'syslog.log']);
  });

  it('is a no-op on a folder that does not exist yet', () => {
    expect(pruneLogs(path.join(dir, 'missing'), 30, NOW)).toBe(0);
  });

  it('createLogger prunes at start, also files its rotation audit never knew about', async () => {
    // No audit file: winston-daily-rotate-file alone would keep these forever.
    const old = fileAged(dir, 'dirsync-2025-01-01.log', 400, new Date());
    const recent = fileAged(dir, 'dirsync-2025-01-02.log', 2, new Date());
    const logger = createLogger({ level: 'info', silent: true, file: { dir, keepDays: 30 } });
    logger.info('hello');
    const daily = (): string[] => readdirSync(dir).filter((n) => /^dirsync-\d{4}-\d{2}-\d{2}\.log$/.test(n));
    // The rotating file opens asynchronously: wait for it (bounded), so that the folder is not
    // removed under a file still being opened (an unhandled ENOENT that aborted a CI worker).
    for (let i = 0; i < 100 && daily().length < 2; i += 1) await new Promise((r) => setTimeout(r, 20));
    await new Promise<void>((resolve) => {
      logger.on('finish', () => resolve());
      logger.end();
    });
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(daily()).toHaveLength(2);
  });

  it('a log file that cannot be opened is said once on stderr and does not end the process', async () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const logger = createLogger({ level: 'info', silent: true, file: { dir, keepDays: 30 } });
      // The folder goes before the rotating file is opened (asynchronously): the open fails.
      rmSync(dir, { recursive: true, force: true });
      logger.info('hello');
      logger.info('again');
      for (let i = 0; i < 100 && written.length === 0; i += 1) await new Promise((r) => setTimeout(r, 20));
    } finally {
      spy.mockRestore();
    }
    expect(written).toEqual([expect.stringMatching(/^dirsync: cannot write the log file in .*ENOENT/)]);
  });
});
