import type { Operation } from '../../../src/model/plan';
import { resumeInterrupted, type ResumeStart } from '../../../src/sync/resume';
import type { ApplyContext } from '../../../src/sync/apply';
import { createOf as create, updateOf as update } from '../builders';
import { serverError } from './fake-target';
import { testContext, type TestContext } from './context';

/** A run that journalled its plan and died (kill -9) before settling it. */
function deadRun(t: TestContext, ops: readonly Operation[]): string {
  const id = t.runs.start('sync', new Date('2026-01-01T00:00:00Z'));
  t.ctx(id).journal.recordInSteps(id, ops).rest();
  return id;
}

/** A resume whose apply context is already built. */
function started(ctx: ApplyContext): ResumeStart {
  return { ...ctx, context: () => Promise.resolve(ctx) };
}

function journal(t: TestContext): unknown[] {
  return t.db.prepare('SELECT run_id, seq, status, resumed_by FROM journal ORDER BY run_id, seq').all();
}

describe('resuming the journal of a dead run', () => {
  it('adopts a create that landed before the run died, without creating it again', async () => {
    const t = testContext();
    const dead = deadRun(t, [create('alice.smith')]);
    const landed = t.target.seed({ userName: 'alice.smith', externalId: 'id-alice.smith' });
    const now = t.runs.start('sync');
    const summary = await resumeInterrupted(started(t.ctx(now)), t.runs);
    expect(summary).toEqual({ runs: [dead], operations: 1, done: 1, failed: 0, consolidation: 0 });
    expect(t.target.count('create')).toBe(0);
    expect(t.snapshot.get('id-alice.smith')).toMatchObject({ targetId: landed.id });
    expect(journal(t)).toEqual([{ run_id: dead, seq: 0, status: 'done', resumed_by: now }]);
    expect(t.runs.recent(5).find((r) => r.id === dead)).toMatchObject({
      outcome: 'interrupted',
      message: `interrupted; 1 unfinished operation(s) resumed by run ${now}`,
    });
  });

  it('creates what never landed, and re-sends a PATCH (idempotent)', async () => {
    const t = testContext();
    const bob = t.target.seed({ userName: 'bob.jones', externalId: 'id-bob.jones' });
    deadRun(t, [create('alice.smith'), update('bob.jones', bob.id)]);
    const summary = await resumeInterrupted(started(t.ctx(t.runs.start('sync'))), t.runs);
    expect(summary).toMatchObject({ operations: 2, done: 2 });
    expect(t.target.count('create')).toBe(1);
    expect(t.target.count('patch')).toBe(1);
    expect(t.snapshot.count()).toBe(2);
  });

  it('never takes over an account that holds the userName for someone else', async () => {
    const t = testContext();
    t.target.seed({ userName: 'alice.smith', externalId: 'other-directory' });
    deadRun(t, [create('alice.smith')]);
    const summary = await resumeInterrupted(started(t.ctx(t.runs.start('sync'))), t.runs);
    expect(summary).toMatchObject({ consolidation: 1, done: 0 });
    expect(t.target.count('create') + t.target.count('patch')).toBe(0);
  });

  it('an unreadable entry is marked failed, not re-sent; the next plan recomputes it', async () => {
    const t = testContext();
    const dead = deadRun(t, [create('alice.smith')]);
    t.db.prepare('UPDATE journal SET operation = ? WHERE run_id = ?').run('{"kind":"create"', dead);
    const summary = await resumeInterrupted(started(t.ctx(t.runs.start('sync'))), t.runs);
    expect(summary).toMatchObject({ failed: 1 });
    expect(t.target.calls).toEqual([]);
  });

  it('an entry whose answer is still unknown stays pending and stops the run before it plans', async () => {
    const t = testContext();
    deadRun(t, [create('alice.smith')]);
    t.target.fail('find', serverError('GET /Users'));
    await expect(resumeInterrupted(started(t.ctx(t.runs.start('sync'))), t.runs)).rejects.toMatchObject({
      code: 'TARGET_HTTP',
      message: expect.stringContaining('they stay in the journal and nothing new was planned'),
    });
    expect(t.db.prepare(`SELECT status FROM journal`).all()).toEqual([{ status: 'pending' }]);
    // Next time it goes through.
    const again = await resumeInterrupted(started(t.ctx(t.runs.start('sync'))), t.runs);
    expect(again).toMatchObject({ operations: 1, done: 1 });
  });

  it('marks dead runs with nothing pending as interrupted too, and leaves plan runs alone', async () => {
    const t = testContext();
    const deadSync = t.runs.start('sync');
    const plan = t.runs.start('plan');
    const now = t.runs.start('sync');
    expect(await resumeInterrupted(started(t.ctx(now)), t.runs)).toMatchObject({ runs: [deadSync], operations: 0 });
    const outcomes = Object.fromEntries(t.runs.recent(5).map((r) => [r.id, r.outcome]));
    expect(outcomes).toEqual({ [deadSync]: 'interrupted', [plan]: 'running', [now]: 'running' });
  });

  it('asks for the apply context (a read of the target) only when an operation is to be re-sent', async () => {
    const t = testContext();
    t.runs.start('sync');
    const now = t.runs.start('sync');
    const ctx = t.ctx(now);
    const context = jest.fn(() => Promise.resolve(ctx));
    await resumeInterrupted({ ...ctx, context }, t.runs);
    expect(context).not.toHaveBeenCalled();
    const dead = deadRun(t, [create('alice.smith')]);
    const summary = await resumeInterrupted({ ...ctx, context }, t.runs);
    expect(summary).toMatchObject({ runs: [dead], operations: 1, done: 1 });
    expect(context).toHaveBeenCalledTimes(1);
  });

  it('does nothing at all when nothing died', async () => {
    const t = testContext();
    expect(await resumeInterrupted(started(t.ctx(t.runs.start('sync'))), t.runs)).toEqual({
      runs: [],
      operations: 0,
      done: 0,
      failed: 0,
      consolidation: 0,
    });
    expect(t.target.calls).toEqual([]);
  });
});
