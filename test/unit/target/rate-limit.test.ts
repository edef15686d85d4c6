import { RateLimiter, type Clock } from '../../../src/target/rate-limit';

/** A fake clock whose sleeps advance time, optionally late (an event loop that was busy). */
function fakeClock(lateBy: (call: number) => number = () => 0): Clock & { starts: number[] } {
  let now = 1000;
  let calls = 0;
  const pending: { at: number; resolve: () => void }[] = [];
  const clock = {
    starts: [] as number[],
    now: () => now,
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        pending.push({ at: now + ms + lateBy(calls++), resolve });
        pending.sort((a, b) => a.at - b.at);
        // Fire the earliest sleeper on the next tick, advancing the clock to it.
        setImmediate(() => {
          const next = pending.shift();
          if (!next) return;
          now = Math.max(now, next.at);
          next.resolve();
        });
      }),
  };
  return clock;
}

describe('RateLimiter (fixed interval)', () => {
  it('spaces request starts exactly 1/rps apart, whatever the concurrency', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(5, clock);
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        await limiter.acquire();
        clock.starts.push(clock.now());
      }),
    );
    const gaps = clock.starts.slice(1).map((t, i) => t - (clock.starts[i] as number));
    expect(gaps.every((g) => g >= 200)).toBe(true);
    expect(clock.starts.at(-1)).toBe((clock.starts[0] as number) + 11 * 200);
  });

  it('never starts closer than one interval to the previous real start, even after a late timer', async () => {
    const clock = fakeClock((call) => (call === 0 ? 150 : 0));
    const limiter = new RateLimiter(10, clock);
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        await limiter.acquire();
        clock.starts.push(clock.now());
      }),
    );
    const gaps = clock.starts.slice(1).map((t, i) => t - (clock.starts[i] as number));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(100);
  });

  it('does not wait when requests are already slower than the limit', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(1, clock);
    await limiter.acquire();
    await clock.sleep(5000);
    const before = clock.now();
    await limiter.acquire();
    expect(clock.now()).toBe(before);
  });
});
