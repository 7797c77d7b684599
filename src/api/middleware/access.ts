/**
 * Who may call a route, declared on the route itself: every route file starts its chains with one
 * of these, so the file shows whether a path is public, admin-only or for partner keys.
 * `tests/api/authorization.test.ts` walks every operation of openapi.yaml against them.
 */
import type { RequestHandler } from 'express';
import { partnerNotFound } from '../../domain/partners/partner.service';
import type { ApiKeyService } from '../../domain/partners/api-key.service';
import { authenticate } from './auth';
import { FailedAuthLimit, rateLimit } from './rate-limit';
import type { RateLimits } from '../../domain/rate-limits.port';

export interface Access {
  /** The admin key only (partners, their keys, diagnostics, metrics); a partner key gets 403. */
  admin: RequestHandler[];
  /**
   * The admin key, or a setup link's token for the partner the path names (another partner's
   * path answers 404, as if it did not exist): the IT team's own part of the setup.
   */
  setup: RequestHandler[];
  /** A setup link's token only (the setup page asking whose setup it opens). */
  setupLink: RequestHandler[];
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
  limits: { perKeyPerMinute: number; failedAuthPerMinute: number; store: RateLimits },
): Access {
  const limiter = rateLimit(limits.store, limits.perKeyPerMinute);
  const failures = new FailedAuthLimit(limits.store, limits.failedAuthPerMinute);
  return {
    admin: [authenticate(keys, ['admin'], failures), limiter],
    setup: [authenticate(keys, ['admin', 'setup'], failures), ownPartnerOnly, limiter],
    setupLink: [authenticate(keys, ['setup'], failures), limiter],
    partner: [authenticate(keys, ['partner'], failures), limiter],
    anyKey: [authenticate(keys, ['admin', 'partner'], failures), limiter],
    none: [(_req, _res, next) => next()],
  };
}

/** A setup token reaches only the partner it was issued for; any other partner "does not exist". */
const ownPartnerOnly: RequestHandler = (req, _res, next) => {
  const principal = req.principal;
  const partnerId = req.params['partnerId'];
  if (principal?.kind === 'setup' && partnerId !== principal.partnerId) {
    throw partnerNotFound(typeof partnerId === 'string' ? partnerId : '');
  }
  next();
};
