/**
 * The service's own limits, one mechanism (the RateLimits port: rate-limiter-flexible, in memory
 * or shared through Redis), a budget per minute:
 * - per key (`rateLimit`): every authenticated request;
 * - per client address (`FailedAuthLimit`): failed authentications only, checked before the key
 *   is looked up, so a flood of wrong keys cannot load the store. The address is `req.ip`, which
 *   honours TRUST_PROXY (README, "Operations").
 * When the store cannot answer, the request is served: the limit is not enforced meanwhile.
 */
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../../domain/errors';
import type { RateLimits } from '../../domain/rate-limits.port';

export function rateLimit(limits: RateLimits, perMinute: number) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const principal = req.principal;
    if (!principal) return next();
    const id =
      principal.kind === 'admin'
        ? 'admin'
        : principal.kind === 'setup'
          ? `setup:${principal.linkId}`
          : principal.keyId;
    res.setHeader('RateLimit-Limit', String(perMinute));
    const verdict = await limits.take('key', perMinute, id);
    if (verdict === null) return next();
    res.setHeader('RateLimit-Remaining', String(verdict.remaining));
    if (!verdict.allowed) {
      throw new AppError('RATE_LIMITED', {
        detail: `This key may make ${perMinute} requests a minute; wait ${verdict.retryAfterSeconds} s.`,
        retryAfterSeconds: verdict.retryAfterSeconds,
      });
    }
    next();
  };
}

/** Failed authentications per client address (UNAUTHENTICATED_LIMIT_PER_MINUTE). */
export class FailedAuthLimit {
  constructor(
    private readonly limits: RateLimits,
    private readonly perMinute: number,
  ) {}

  /** Before authenticating: 429 when this address has used up its failed attempts. */
  async check(address: string): Promise<void> {
    const verdict = await this.limits.peek('auth', this.perMinute, address);
    if (verdict !== null && !verdict.allowed) {
      throw new AppError('RATE_LIMITED', {
        detail: `Too many requests with a missing or unknown key came from this address; wait ${verdict.retryAfterSeconds} s.`,
        retryAfterSeconds: verdict.retryAfterSeconds,
      });
    }
  }

  /** After a failed authentication. */
  async failed(address: string): Promise<void> {
    await this.limits.take('auth', this.perMinute, address);
  }
}
