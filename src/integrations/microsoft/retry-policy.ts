import { systemClock, type Clock } from '../../clock';
/**
 * The one retry mechanism for calls to Microsoft (single Graph calls and the throttled items of a
 * `$batch`): how many tries, how long to wait (the answer's Retry-After, else capped exponential
 * backoff with full jitter), and whether a wait still fits before the call's deadline. Its clock
 * is injected, so tests of waiting advance time instead of sleeping.
 */

/** Milliseconds from a Retry-After value: delta-seconds (fractional too, e.g. '1.5') or an HTTP date. */
export function parseRetryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 8000;
/** A try needs at least this much of the deadline left to be worth starting. */
export const MIN_ATTEMPT_MS = 50;

/** Capped exponential backoff with full jitter ("AWS style"): uniform in [0, min(cap, base·2^n)). */
export function backoffMs(retryNumber: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, retryNumber - 1));
  return Math.floor(random() * ceiling);
}

/** Whole seconds for a `Retry-After` answer header: at least 1. */
export function toRetryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** Time as the retries see it (tests pass a clock that only pretends to wait), and their jitter. */
export interface RetryClock extends Clock {
  random: () => number;
}

export const realClock: RetryClock = { ...systemClock, random: Math.random };

export class RetryPolicy {
  constructor(
    /** Tries of one call (or rounds of a $batch), the first included. */
    readonly maxAttempts: number,
    readonly clock: RetryClock,
  ) {}

  /** A Retry-After header in ms, against this policy's clock. */
  retryAfterMs(header: string | undefined): number | undefined {
    return parseRetryAfterMs(header, this.clock.now());
  }

  /**
   * The wait before the next try, after `attempt` tries (from 1), or undefined to give up: the
   * tries are used up, or the wait (`retryAfterMs` when the answer named one, else backoff)
   * would leave too little before `deadlineAt`.
   */
  nextWait(attempt: number, deadlineAt: number, retryAfterMs?: number): number | undefined {
    if (attempt >= this.maxAttempts) return undefined;
    const wait = retryAfterMs ?? backoffMs(attempt, this.clock.random);
    return this.clock.now() + wait + MIN_ATTEMPT_MS > deadlineAt ? undefined : wait;
  }

  /** The Retry-After (seconds) to give the caller when giving up after `attempts` tries. */
  giveUpRetryAfterSeconds(attempts: number, retryAfterMs?: number): number {
    return toRetryAfterSeconds(retryAfterMs ?? backoffMs(attempts + 1, this.clock.random));
  }

  sleep(ms: number): Promise<void> {
    return this.clock.sleep(ms);
  }
}
