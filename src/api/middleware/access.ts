/**
 * Who may call a route, declared on the route itself: every route file starts its chains with one
 * of these, so the file shows whether a path is public, admin-only or for partner keys.
 * `tests/api/authorization.test.ts` walks every operation of openapi.yaml against them.
 */
import type { RequestHandler } from 'express';
import type { ApiKeyService } from '../../domain/partners/api-key.service';
import { authenticate } from './auth';
import { FailedAuthLimit, rateLimit } from './rate-limit';

export interface Access {
  /** The admin key only (partners, their keys, diagnostics, metrics); a partner key gets 403. */
  admin: RequestHandler[];
  /** A partner key only (the meeting endpoints); the admin key gets 403. */
  partner: RequestHandler[];
  /** Any valid key (the contract). */
  anyKey: RequestHandler[];
  /** No key (health): a guard that lets everyone through, so that the route still says so. */
  none: RequestHandler[];
}

/**
 * Each guard authenticates (refusing addresses with too many failed attempts first), then counts
 * the request against the key's rate limit.
 */
export function accessGuards(
  keys: ApiKeyService,
  limits: { perKeyPerMinute: number; failedAuthPerMinute: number },
): Access {
  const limiter = rateLimit(limits.perKeyPerMinute);
  const failures = new FailedAuthLimit(limits.failedAuthPerMinute);
  return {
    admin: [authenticate(keys, ['admin'], failures), limiter],
    partner: [authenticate(keys, ['partner'], failures), limiter],
    anyKey: [authenticate(keys, ['admin', 'partner'], failures), limiter],
    none: [(_req, _res, next) => next()],
  };
}
