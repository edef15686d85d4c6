/**
 * A small seeded PRNG (mulberry32) so that a failing fault test can be replayed exactly:
 * every suite prints its seed, and DIRSYNC_FAULT_SEED=<seed> runs it again with the same draws.
 */
export interface Prng {
  readonly seed: number;
  /** [0, 1) */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

export function prng(seed: number): Prng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    seed,
    next,
    int,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(0, items.length - 1)] as T;
    },
    chance: (p) => next() < p,
  };
}

/** The seed from DIRSYNC_FAULT_SEED, else a fresh one; printed so that a failure can be replayed. */
export function suiteSeed(suite: string): number {
  const fromEnv = process.env.DIRSYNC_FAULT_SEED;
  const seed = fromEnv && /^\d+$/.test(fromEnv) ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
  process.stdout.write(`[${suite}] seed ${seed} (replay with DIRSYNC_FAULT_SEED=${seed})\n`);
  return seed;
}
