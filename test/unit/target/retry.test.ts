import { backoffDelay, parseRetryAfter } from '../../../src/target/retry';

describe('retry policy', () => {
  const policy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 10_000 };

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('backs off exponentially with jitter, capped, never below Retry-After', () => {
    expect(backoffDelay(1, policy, undefined, () => 1)).toBe(100);
    expect(backoffDelay(4, policy, undefined, () => 1)).toBe(800);
    expect(backoffDelay(4, policy, undefined, () => 0.5)).toBe(400);
    expect(backoffDelay(20, policy, undefined, () => 1)).toBe(10_000);
    expect(backoffDelay(1, policy, 5000, () => 1)).toBe(5000);
  });
});
