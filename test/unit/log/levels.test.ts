import { PassThrough } from 'node:stream';
import { createLogger, type LogLevel } from '../../../src/log/logger';

/** A logger writing JSON lines into memory, and what it wrote so far. */
function captured(level: LogLevel): { logger: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[] } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  const logger = createLogger({ level, json: true, stream });
  const lines = (): Record<string, unknown>[] =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines };
}

/** Meta whose one value counts how often something reads into it (a format would). */
function watched(): { meta: Record<string, unknown>; reads: () => number } {
  let reads = 0;
  const detail = {};
  Object.defineProperty(detail, 'dn', {
    enumerable: true,
    get: () => {
      reads += 1;
      return 'uid=a,ou=people,dc=example,dc=org';
    },
  });
  return { meta: { detail }, reads: () => reads };
}

describe('log levels', () => {
  it('at info, a child logger drops debug lines without formatting them, and writes info', async () => {
    const { logger, lines } = captured('info');
    const child = logger.child({ runId: 'r1' });
    const { meta, reads } = watched();
    child.debug('operation done', meta);
    child.info('run finished', { outcome: 'success' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(reads()).toBe(0);
    expect(lines().map((l) => [l['level'], l['message'], l['runId']])).toEqual([['info', 'run finished', 'r1']]);
  });

  it('at debug, debug lines are written with the child meta, their values redacted like any other', async () => {
    const { logger, lines } = captured('debug');
    const child = logger.child({ runId: 'r2' });
    const { meta, reads } = watched();
    child.debug('operation done', { ...meta, token: 'secret-value' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(reads()).toBeGreaterThan(0);
    const [line] = lines();
    expect(line).toMatchObject({ level: 'debug', message: 'operation done', runId: 'r2', token: '[redacted]' });
    expect(JSON.stringify(lines())).not.toContain('secret-value');
  });
});
