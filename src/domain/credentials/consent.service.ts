/**
 * Admin consent to TARGETconnect's platform app (API.md "The platform app"): a consent link for a
 * partner's tenant whose `state` is random, signed, single-use, expiring within the hour and bound
 * to the partner; and the answer Entra sends the admin's browser back with. A forged, expired,
 * used or other-tenant state records nothing.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { isoNow, type Clock } from '../../clock';
import { AppError } from '../errors';
import type { ConsentEndpoints } from '../microsoft.port';
import type { PartnerService } from '../partners/partner.service';
import type { ConsentStateRepository } from './consent.port';
import type { PlatformApp } from './platform-app';

/** How long a consent link works. */
export const CONSENT_LINK_MS = 60 * 60_000;

export interface ConsentLink {
  url: string;
  expiresAt: string;
}

export type ConsentOutcome =
  | { kind: 'granted'; partnerId: string; tenantId: string }
  | { kind: 'denied'; partnerId: string; reason: string }
  | { kind: 'refused'; reason: string };

export class ConsentService {
  private readonly key: Buffer;

  constructor(
    private readonly partners: PartnerService,
    private readonly states: ConsentStateRepository,
    private readonly entra: ConsentEndpoints,
    private readonly platform: PlatformApp | null,
    private readonly publicBaseUrl: string,
    secretsKey: Buffer,
    private readonly clock: Clock,
  ) {
    // A key of its own, derived from SECRETS_KEY: the same on every instance, used for nothing else.
    this.key = Buffer.from(
      hkdfSync('sha256', secretsKey, Buffer.alloc(0), 'teams-meetings consent state', 32),
    );
  }

  /** The platform app's id, when this deployment runs one. */
  platformAppId(): string | null {
    return this.platform?.appId ?? null;
  }

  /** Where the admin's browser comes back (registered on the platform app as its redirect URI). */
  redirectUri(): string {
    return `${this.publicBaseUrl.replace(/\/$/, '')}/setup/consent`;
  }

  async link(partnerId: string): Promise<ConsentLink> {
    const partner = await this.partners.require(partnerId);
    if (this.platform === null || partner.credentialType !== 'platformApp') {
      throw new AppError('VALIDATION_FAILED', {
        detail:
          this.platform === null
            ? 'This deployment runs no platform app (PLATFORM_APP_ID is not set): there is nothing to consent to.'
            : `Partner '${partnerId}' uses its own app registration (credentialType '${partner.credentialType}'): its admin consents in its own registration (Step 1), not here.`,
        errors: [
          { field: 'params.partnerId', message: "must name a partner with credentialType 'platformApp'" },
        ],
      });
    }
    const id = randomBytes(24).toString('base64url');
    const expiresAt = new Date(this.clock.now() + CONSENT_LINK_MS).toISOString();
    await this.states.insert({ id, partnerId, expiresAt, usedAt: null });
    const { authorityHost, graphScope } = this.entra.consentEndpoint(partner);
    const query = new URLSearchParams({
      client_id: this.platform.appId,
      scope: graphScope,
      redirect_uri: this.redirectUri(),
      state: `${id}.${this.mac(id)}`,
    });
    return {
      url: `${authorityHost}/${encodeURIComponent(partner.tenantId)}/v2.0/adminconsent?${query.toString()}`,
      expiresAt,
    };
  }

  /** Entra's answer to the admin's decision (the redirect's query). */
  async complete(query: Record<string, unknown>): Promise<ConsentOutcome> {
    const text = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
    const [id, mac, ...rest] = (text('state') ?? '').split('.');
    if (!id || !mac || rest.length > 0 || !this.signed(id, mac)) {
      return {
        kind: 'refused',
        reason: 'The link is not one this service made (its state does not verify).',
      };
    }
    const used = await this.states.use(id, isoNow(this.clock));
    if (used === null) {
      return {
        kind: 'refused',
        reason: 'The link has been used already, or has expired (a consent link works once, for an hour).',
      };
    }
    const partner = await this.partners.require(used.partnerId).catch(() => null);
    if (partner === null || partner.credentialType !== 'platformApp') {
      return { kind: 'refused', reason: 'The partner of this link no longer uses the platform app.' };
    }
    const error = text('error');
    if (error !== undefined) {
      const reason = (text('error_description') ?? error).slice(0, 500);
      await this.partners.recordConsent(partner.id, { status: 'denied', grantedAt: null, error: reason });
      return { kind: 'denied', partnerId: partner.id, reason };
    }
    if (text('admin_consent')?.toLowerCase() !== 'true') {
      return { kind: 'refused', reason: 'Entra ID sent back neither a consent nor an error.' };
    }
    const expected = await this.entra.tenantIdOf(partner);
    if ((text('tenant') ?? '').toLowerCase() !== expected) {
      return {
        kind: 'refused',
        reason:
          "The consent was given in another tenant than the partner's: sign in as an admin of the university's own tenant and open a new link.",
      };
    }
    await this.partners.recordConsent(partner.id, {
      status: 'granted',
      grantedAt: isoNow(this.clock),
      error: null,
    });
    return { kind: 'granted', partnerId: partner.id, tenantId: expected };
  }

  private mac(id: string): string {
    return createHmac('sha256', this.key).update(id, 'utf8').digest('base64url');
  }

  private signed(id: string, mac: string): boolean {
    const expected = Buffer.from(this.mac(id));
    const given = Buffer.from(mac);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
