/**
 * The limits over rate-limiter-flexible (replacing the hand-written token buckets): one fixed
 * window of 60 s per limit and key, in this process's memory, or in Redis (REDIS_URL) so that all
 * instances count together. Redis unreachable: requests are served (fail open), each failure is
 * counted and logged (at most once a minute), and /health says degraded until Redis is connected.
 */
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { LimitVerdict, RateLimits } from '../../domain/rate-limits.port';

export interface RateLimitsOptions {
  /** redis://… ; absent: per instance, in memory. */
  redisUrl?: string | undefined;
  /** Told each time the shared store could not answer (metrics, logs). */
  onStoreError?: (error: Error) => void;
  /** Prefix of the Redis keys (tests keep theirs apart). */
  keyPrefix?: string;
}

const WINDOW_SECONDS = 60;

export function createRateLimits(options: RateLimitsOptions = {}): RateLimits {
  const redis =
    options.redisUrl === undefined
      ? undefined
      : // Loaded only with REDIS_URL: ioredis took 80 ms of every start-up.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        new (require('ioredis') as typeof import('ioredis')).Redis(options.redisUrl, {
          // A command while Redis is away fails at once instead of queueing: the request goes on.
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          connectTimeout: 2000,
          commandTimeout: 500,
          lazyConnect: false,
        });
  const failed = (error: unknown) => {
    options.onStoreError?.(error as Error);
    return null;
  };
  // ioredis reports a lost connection as an event; without a listener it would be thrown. The
  // client reconnects by itself; meanwhile `status()` says degraded.
  redis?.on('error', () => undefined);
  const limiters = new Map<string, RateLimiterAbstract>();
  const limiterOf = (name: string, perMinute: number): RateLimiterAbstract => {
    const id = `${name}:${perMinute}`;
    let limiter = limiters.get(id);
    if (!limiter) {
      const common = {
        points: perMinute,
        duration: WINDOW_SECONDS,
        keyPrefix: `${options.keyPrefix ?? 'tm'}:${name}`,
      };
      limiter = redis
        ? new RateLimiterRedis({ ...common, storeClient: redis })
        : new RateLimiterMemory(common);
      limiters.set(id, limiter);
    }
    return limiter;
  };
  const verdict = (res: RateLimiterRes, perMinute: number, allowed: boolean): LimitVerdict => ({
    allowed,
    remaining: Math.max(0, Math.min(perMinute, res.remainingPoints)),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
  });
  return {
    async take(name, perMinute, key) {
      try {
        return verdict(await limiterOf(name, perMinute).consume(key), perMinute, true);
      } catch (error) {
        if (error instanceof RateLimiterRes) return verdict(error, perMinute, false);
        return failed(error);
      }
    },
    async peek(name, perMinute, key) {
      try {
        const res = await limiterOf(name, perMinute).get(key);
        if (res === null) return { allowed: true, remaining: perMinute, retryAfterSeconds: 0 };
        return verdict(res, perMinute, res.consumedPoints < perMinute);
      } catch (error) {
        return failed(error);
      }
    },
    status() {
      if (!redis) return { store: 'memory', status: 'ok' };
      // Not connected (starting, reconnecting, refused): requests go on without their limit.
      if (redis.status !== 'ready') {
        return {
          store: 'redis',
          status: 'degraded',
          // General words only: no host, port or URL of the store.
          detail: 'Redis does not answer; the rate limits are not enforced meanwhile.',
        };
      }
      return { store: 'redis', status: 'ok' };
    },
    async close() {
      if (!redis) return;
      // Connected: quit (the server closes). Not connected (Redis stopped, reconnecting): no
      // command can be sent; disconnect drops the reconnection and its timers at once.
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect(false));
      else redis.disconnect(false);
    },
  };
}
