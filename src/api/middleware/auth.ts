/**
 * Bearer-key authentication. The admin key manages partners; a partner key only reaches the
 * meeting endpoints, for its own partner.
 */
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../../domain/errors';
import type { ApiKeyService, Principal } from '../../domain/partners/api-key.service';
import type { PartnerRecord } from '../../domain/partners/partner.record';
import type { FailedAuthLimit } from './rate-limit';
import { rememberSecret } from '../../logging/redact';

const FORBIDDEN_DETAIL: Record<Principal['kind'], string> = {
  partner: 'A partner key cannot use this endpoint; it needs the admin key.',
  admin:
    'The admin key cannot act as a partner or a setup link; use a key issued by POST /partners/{partnerId}/api-keys.',
  setup:
    "A setup link reaches only its partner's setup: GET and PATCH of the partner (not meetingDefaults), making and reading its certificates, verify and access-policy-script.",
};

function bearerOf(req: Request): string | undefined {
  const header = req.get('authorization');
  if (!header) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  // Whatever was sent as a key is redacted from this request's lines and answer.
  if (match?.[1]) rememberSecret(match[1]);
  return match?.[1];
}

/**
 * Authenticates any key; `allow` decides which kinds may pass. An address that keeps sending
 * missing or unknown keys is refused before its next key is looked up (`failures`).
 */
export function authenticate(
  keys: ApiKeyService,
  allow: ReadonlyArray<Principal['kind']>,
  failures: FailedAuthLimit,
) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    const address = req.ip ?? 'unknown';
    await failures.check(address);
    let principal: Principal;
    try {
      principal = await keys.authenticate(bearerOf(req));
    } catch (error) {
      if (error instanceof AppError && error.code === 'UNAUTHENTICATED') await failures.failed(address);
      throw error;
    }
    req.principal = principal;
    if (!allow.includes(principal.kind)) {
      throw new AppError('FORBIDDEN', { detail: FORBIDDEN_DETAIL[principal.kind] });
    }
    next();
  };
}

/** The partner a partner key acts for, as read with the key on this request. */
export function partnerOf(req: Request): PartnerRecord {
  if (req.principal?.kind !== 'partner') throw new AppError('FORBIDDEN');
  return req.principal.partner;
}
