/**
 * Who may call a route, declared on the route itself: every route file starts its chains with one
 * of these, so the file shows whether a path is public, admin-only or for partner keys.
 * `tests/api/authorization.test.ts` walks every operation of openapi.yaml against them.
 */
import type { RequestHandler } from 'express';
import type { ApiKeyService } from '../../domain/partners/api-key.service';
import { authenticate } from './auth';
import { rateLimit } from './rate-limit';

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

/** Each guard authenticates, then counts the request against the key's rate limit. */
export function accessGuards(keys: ApiKeyService, rateLimitPerMinute: number): Access {
  const limiter = rateLimit(rateLimitPerMinute);
  return {
    admin: [authenticate(keys, ['admin']), limiter],
    partner: [authenticate(keys, ['partner']), limiter],
    anyKey: [authenticate(keys, ['admin', 'partner']), limiter],
    none: [(_req, _res, next) => next()],
  };
}
