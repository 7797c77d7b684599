/**
 * The service's own limits, one mechanism: token buckets refilled continuously, so a burst up to
 * the per-minute budget passes and a sustained excess gets 429 RATE_LIMITED with Retry-After.
 * - per key (`rateLimit`): every authenticated request;
 * - per client address (`FailedAuthLimit`): failed authentications only, checked before the key
 *   is looked up, so a flood of wrong keys cannot load the store. The address is `req.ip`, which
 *   honours TRUST_PROXY (README, "Operations").
 */
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../../domain/errors';

interface Bucket {
  tokens: number;
  updatedMs: number;
}

const MAX_TRACKED = 100_000;

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly refillPerMs: number;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.refillPerMs = perMinute / 60_000;
  }

  /** Seconds until `id` has a token again; 0 when it has one now. */
  waitSeconds(id: string): number {
    const bucket = this.refilled(id);
    return bucket.tokens >= 1 ? 0 : Math.ceil((1 - bucket.tokens) / this.refillPerMs / 1000);
  }

  /** Takes a token (the caller checked there is one); the tokens left. */
  take(id: string): number {
    const bucket = this.refilled(id);
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    return Math.floor(bucket.tokens);
  }

  private refilled(id: string): Bucket {
    const at = this.now();
    let bucket = this.buckets.get(id);
    if (!bucket) {
      if (this.buckets.size >= MAX_TRACKED) this.buckets.clear();
      bucket = { tokens: this.perMinute, updatedMs: at };
      this.buckets.set(id, bucket);
    }
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (at - bucket.updatedMs) * this.refillPerMs);
    bucket.updatedMs = at;
    return bucket;
  }
}

export function rateLimit(perMinute: number, now: () => number = Date.now) {
  const buckets = new TokenBuckets(perMinute, now);
  return (req: Request, res: Response, next: NextFunction): void => {
    const principal = req.principal;
    if (!principal) return next();
    const id =
      principal.kind === 'admin'
        ? 'admin'
        : principal.kind === 'setup'
          ? `setup:${principal.linkId}`
          : principal.keyId;
    res.setHeader('RateLimit-Limit', String(perMinute));
    const retryAfterSeconds = buckets.waitSeconds(id);
    if (retryAfterSeconds > 0) {
      res.setHeader('RateLimit-Remaining', '0');
      throw new AppError('RATE_LIMITED', {
        detail: `This key may make ${perMinute} requests a minute; wait ${retryAfterSeconds} s.`,
        retryAfterSeconds,
      });
    }
    res.setHeader('RateLimit-Remaining', String(buckets.take(id)));
    next();
  };
}

/** Failed authentications per client address (UNAUTHENTICATED_LIMIT_PER_MINUTE). */
export class FailedAuthLimit {
  private readonly buckets: TokenBuckets;

  constructor(perMinute: number, now: () => number = Date.now) {
    this.buckets = new TokenBuckets(perMinute, now);
  }

  /** Before authenticating: 429 when this address has used up its failed attempts. */
  check(address: string): void {
    const retryAfterSeconds = this.buckets.waitSeconds(address);
    if (retryAfterSeconds > 0) {
      throw new AppError('RATE_LIMITED', {
        detail: `Too many requests with a missing or unknown key came from this address; wait ${retryAfterSeconds} s.`,
        retryAfterSeconds,
      });
    }
  }

  /** After a failed authentication. */
  failed(address: string): void {
    this.buckets.take(address);
  }
}
