import type { Operation } from '../../../src/model/plan';
import { applyGuard, guardLimit } from '../../../src/plan/guard';
import { deactivateOf, desiredUser, snapshotOf } from '../builders';

const DEFAULTS = { deactivations: { maxCount: 10, maxPercent: 5 } };

function deactivations(n: number): Operation[] {
  return Array.from({ length: n }, (_, i) => deactivateOf(snapshotOf(desiredUser(`gone.${i}`))));
}

const create: Operation = (() => {
  const d = desiredUser('new.user');
  return { kind: 'create', externalId: d.externalId, userName: d.userName, dn: d.dn, desired: d };
})();

describe('guardLimit: the smaller of maxCount and maxPercent of active managed users', () => {
  it.each([
    [3, 1], // 5 % of 3 rounds down to 0, but one deactivation is never a mass change
    [40, 2],
    [100, 5],
    [199, 9],
    [200, 10],
    [10_000, 10],
  ])('%i active managed users -> at most %i deactivations per run', (managed, limit) => {
    expect(guardLimit(DEFAULTS.deactivations, managed)).toBe(limit);
  });

  it('maxCount 0 makes every deactivation wait for approval', () => {
    expect(guardLimit({ maxCount: 0, maxPercent: 100 }, 1000)).toBe(0);
  });
});

describe('applyGuard', () => {
  it('lets everything through under the limit', () => {
    const ops = [create, ...deactivations(5)];
    const g = applyGuard(ops, 100, DEFAULTS, { kind: 'none' });
    expect(g.allowed).toEqual(ops);
    expect(g.stopped).toEqual([]);
    expect(g.checks[0]).toMatchObject({ count: 5, limit: 5, exceeded: false, message: '' });
  });

  it('over the limit: holds every deactivation, lets creates and updates go, says what to do', () => {
    const ops = [create, ...deactivations(6)];
    const g = applyGuard(ops, 100, DEFAULTS, { kind: 'none' });
    expect(g.allowed).toEqual([create]);
    expect(g.stopped).toHaveLength(6);
    expect(g.checks[0]?.message).toBe(
      '6 deactivations exceed the guard (at most 5: guard.deactivations.maxCount 10, maxPercent 5% of 100 active managed users): ' +
        'none of them were sent. Check the directory; if they are intended, run "dirsync sync --approve" or apply a reviewed plan ' +
        '("dirsync plan --out FILE", then "dirsync apply FILE")',
    );
  });

  it('--approve releases; --approve N only up to N', () => {
    const ops = deactivations(6);
    expect(applyGuard(ops, 100, DEFAULTS, { kind: 'flag' }).stopped).toEqual([]);
    expect(applyGuard(ops, 100, DEFAULTS, { kind: 'flag', max: 6 }).checks[0]).toMatchObject({ exceeded: true, released: true });
    const short = applyGuard(ops, 100, DEFAULTS, { kind: 'flag', max: 5 });
    expect(short.stopped).toHaveLength(6);
    expect(short.checks[0]?.message).toContain('--approve 5 does not cover 6');
  });

  it('a frozen plan is its own approval', () => {
    const g = applyGuard(deactivations(50), 100, DEFAULTS, { kind: 'frozen-plan' });
    expect(g.stopped).toEqual([]);
    expect(g.checks[0]?.message).toContain('released: the frozen plan being applied approves them');
  });
});
