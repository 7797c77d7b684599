/**
 * The one retry policy of calls to Microsoft, on an injected clock: no test here waits.
 */
import { RetryPolicy, type RetryClock } from '../../src/integrations/microsoft/retry-policy';

function clockAt(ms: number, random = 0.5): RetryClock & { slept: number[] } {
  const slept: number[] = [];
  return {
    slept,
    now: () => ms,
    random: () => random,
    sleep: async (wait) => {
      slept.push(wait);
    },
  };
}

describe('RetryPolicy', () => {
  it("waits the answer's Retry-After, else full-jitter backoff doubling from 500 ms up to 8 s", () => {
    const policy = new RetryPolicy(10, clockAt(0, 0.5));
    const far = 1e9;
    expect(policy.nextWait(1, far, 1500)).toBe(1500);
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => policy.nextWait(n, far))).toEqual([
      250, 500, 1000, 2000, 4000, 4000, 4000,
    ]);
  });

  it('gives up when the tries are used up or the wait would pass the deadline', () => {
    const policy = new RetryPolicy(3, clockAt(10_000));
    expect(policy.nextWait(2, 20_000, 100)).toBe(100);
    expect(policy.nextWait(3, 20_000, 100)).toBeUndefined();
    // 10 000 + 9 960 + the 50 ms an attempt needs > 20 000.
    expect(policy.nextWait(1, 20_000, 9_960)).toBeUndefined();
    expect(policy.nextWait(1, 20_000, 9_940)).toBe(9_940);
  });

  it('reads Retry-After as seconds (fractional too) or an HTTP date on its own clock', () => {
    const policy = new RetryPolicy(4, clockAt(Date.parse('2026-12-01T10:00:00Z')));
    expect(policy.retryAfterMs('1.5')).toBe(1500);
    expect(policy.retryAfterMs('Tue, 01 Dec 2026 10:00:07 GMT')).toBe(7000);
    expect(policy.retryAfterMs('soon')).toBeUndefined();
    expect(policy.retryAfterMs(undefined)).toBeUndefined();
  });

  it("tells the caller a whole-second Retry-After when giving up: Microsoft's wait, else the next backoff", () => {
    const policy = new RetryPolicy(4, clockAt(0, 0.5));
    expect(policy.giveUpRetryAfterSeconds(4, 1200)).toBe(2);
    expect(policy.giveUpRetryAfterSeconds(4)).toBe(4); // 0.5 × 8 s
    expect(policy.giveUpRetryAfterSeconds(1, 10)).toBe(1);
  });

  it('sleeps on its clock', async () => {
    const clock = clockAt(0);
    await new RetryPolicy(4, clock).sleep(321);
    expect(clock.slept).toEqual([321]);
  });
});
