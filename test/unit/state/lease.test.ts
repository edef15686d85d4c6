import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStateDb } from '../../../src/state/db';
import { Lease } from '../../../src/state/lease';

function twoConnections(): [ReturnType<typeof openStateDb>, ReturnType<typeof openStateDb>] {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'dirsync-lease-')), 'state.db');
  return [openStateDb(file), openStateDb(file)];
}

describe('the apply lease', () => {
  it('is held by one run at a time, across connections (processes)', () => {
    const [a, b] = twoConnections();
    new Lease(a, 'apply', { pid: process.pid }).acquire('run-a');
    expect(() => new Lease(b, 'apply', { pid: process.pid + 1 }).acquire('run-b')).toThrow(
      expect.objectContaining({
        code: 'RUN_IN_PROGRESS',
        message: expect.stringMatching(/another run \(run-a, pid \d+ on .+\) is applying/),
      }),
    );
  });

  it('is free again once released', () => {
    const [a, b] = twoConnections();
    const first = new Lease(a, 'apply');
    first.acquire('run-a');
    first.release();
    const second = new Lease(b, 'apply');
    second.acquire('run-b');
    expect(second.holder()).toMatchObject({ owner: 'run-b' });
  });

  it('is taken over at once from a holder on this host whose process died (kill -9)', () => {
    const [a, b] = twoConnections();
    new Lease(a, 'apply', { pid: 424242, isAlive: () => false }).acquire('run-dead');
    const next = new Lease(b, 'apply', { isAlive: (pid) => pid !== 424242 });
    next.acquire('run-next');
    expect(next.holder()).toMatchObject({ owner: 'run-next', pid: process.pid });
  });

  it('is taken over from a holder on another host only after it expired', () => {
    const [a, b] = twoConnections();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const clock = (): Date => new Date(now);
    const remote = new Lease(a, 'apply', { host: 'other-host', now: clock, ttlMs: 60_000 });
    remote.acquire('run-remote');
    const local = new Lease(b, 'apply', { host: 'this-host', now: clock, isAlive: () => false });
    expect(() => local.acquire('run-local')).toThrow(expect.objectContaining({ code: 'RUN_IN_PROGRESS' }));
    now += 61_000;
    local.acquire('run-local');
    // The old holder learns it lost the lease when it next renews, and stops sending.
    expect(remote.renew()).toBe(false);
    expect(remote.lost()).toContain('taken over by another run');
  });
});
