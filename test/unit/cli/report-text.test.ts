import { LISTED_ATTENTION, LISTED_OPERATIONS, listedOperations } from '../../../src/cli/report-view';

describe('how many operations a text report lists', () => {
  const ops = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

  it('lists every operation of a plan that fits', () => {
    const plan = ops(LISTED_OPERATIONS);
    expect(listedOperations(plan, () => false)).toEqual(plan);
  });

  it('lists every operation needing attention, in plan order, and the first of the rest', () => {
    const plan = ops(100_000);
    const failed = (i: number): boolean => i % 1000 === 999;
    const listed = listedOperations(plan, failed);
    expect(listed.filter(failed)).toHaveLength(100);
    expect(listed.filter((i) => !failed(i))).toEqual(
      ops(LISTED_OPERATIONS + 1)
        .filter((i) => !failed(i))
        .slice(0, LISTED_OPERATIONS),
    );
    expect([...listed].sort((a, b) => a - b)).toEqual(listed);
  });

  it('caps the operations needing attention too', () => {
    const listed = listedOperations(ops(50_000), () => true);
    expect(listed).toHaveLength(LISTED_ATTENTION);
  });
});
