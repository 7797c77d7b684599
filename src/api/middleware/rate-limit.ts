/**
 * The service's own limit per key: a token bucket refilled continuously, so a burst up to the
 * per-minute budget passes and a sustained excess gets 429 RATE_LIMITED with Retry-After.
 */
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../../domain/errors';

interface Bucket {
  tokens: number;
  updatedMs: number;
}

const MAX_TRACKED_KEYS = 100_000;

export function rateLimit(perMinute: number, now: () => number = Date.now) {
  const buckets = new Map<string, Bucket>();
  const refillPerMs = perMinute / 60_000;
  return (req: Request, res: Response, next: NextFunction): void => {
    const principal = req.principal;
    if (!principal) return next();
    const id = principal.kind === 'admin' ? 'admin' : principal.keyId;
    const at = now();
    let bucket = buckets.get(id);
    if (!bucket) {
      if (buckets.size >= MAX_TRACKED_KEYS) buckets.clear();
      bucket = { tokens: perMinute, updatedMs: at };
      buckets.set(id, bucket);
    }
    bucket.tokens = Math.min(perMinute, bucket.tokens + (at - bucket.updatedMs) * refillPerMs);
    bucket.updatedMs = at;
    res.setHeader('RateLimit-Limit', String(perMinute));
    if (bucket.tokens < 1) {
      const retryAfterSeconds = Math.ceil((1 - bucket.tokens) / refillPerMs / 1000);
      res.setHeader('RateLimit-Remaining', '0');
      throw new AppError('RATE_LIMITED', {
        detail: `This key may make ${perMinute} requests a minute; wait ${retryAfterSeconds} s.`,
        retryAfterSeconds,
      });
    }
    bucket.tokens -= 1;
    res.setHeader('RateLimit-Remaining', String(Math.floor(bucket.tokens)));
    next();
  };
}
