/**
 * The service's own request limits, as the HTTP layer asks them: count one request of a key
 * against a budget per minute, or look whether a key is over it. Answers are async (a shared store
 * across instances); `null` means the store could not answer, and the request is served (fail
 * open: a limit is a protection, not a reason to refuse work).
 */
export interface LimitVerdict {
  allowed: boolean;
  remaining: number;
  /** Seconds until the key may go on, when not allowed. */
  retryAfterSeconds: number;
}

export interface RateLimits {
  /** Counts one request of `key` in the `name` limit (`perMinute`); null when the store failed. */
  take(name: string, perMinute: number, key: string): Promise<LimitVerdict | null>;
  /** Whether `key` is over the `name` limit, without counting; null when the store failed. */
  peek(name: string, perMinute: number, key: string): Promise<LimitVerdict | null>;
  /** Which store counts, and whether it answered lately (for /health). */
  status(): { store: 'memory' | 'redis'; status: 'ok' | 'degraded'; detail?: string };
  close(): Promise<void>;
}
