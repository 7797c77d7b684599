/**
 * The one shape of time in the service: what time it is (epoch ms) and a wait. Every part that
 * reads the time or waits takes a Clock (leases, tokens, retries, request budgets, records'
 * timestamps); tests pass one whose waits return at once and whose time they move.
 */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** The clock's time as ISO 8601 in UTC, as records store it. */
export function isoNow(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}
