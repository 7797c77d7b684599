/** How long to wait before trying Graph or Entra again: their Retry-After, else backoff with jitter. */

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

/** Capped exponential backoff with full jitter ("AWS style"): uniform in [0, min(cap, base·2^n)). */
export function backoffMs(retryNumber: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, retryNumber - 1));
  return Math.floor(random() * ceiling);
}

/** Whole seconds for a `Retry-After` answer header: at least 1. */
export function toRetryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
