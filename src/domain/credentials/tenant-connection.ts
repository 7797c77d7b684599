/**
 * What the Microsoft side needs to get a partner's token, and nothing more: which application
 * asks (the university's own registration, or TARGETconnect's platform app), in which tenant and
 * cloud, and how it proves itself, read afresh at every token request. One application serving
 * many tenants is then a matter of many connections with one client id.
 */
import type { Cloud, PartnerRecord } from '../partners/partner.record';

export type ConnectionCredential =
  | { type: 'clientSecret'; secret: string | null }
  | {
      type: 'certificate';
      /** Valid now, newest first: the first is used, the next when Entra does not know it. */
      certificates: Array<{ thumbprint: string; thumbprintSha256: string; privateKeyPem: string }>;
      /** How many have expired (for the error when none is valid). */
      expired: number;
    }
  | {
      /** Workload identity federation: another issuer's JWT, read again for each token request. */
      type: 'federated';
      assertion: () => Promise<string>;
    };

export interface TenantConnection {
  /** Whose tokens these are (one held token per partner). */
  partnerId: string;
  tenantId: string;
  /** The application that asks: the partner's registration, or the platform app. */
  clientId: string;
  cloud: Cloud;
  /** The platform app's (consent-based) connection rather than the university's own registration. */
  platform: boolean;
  /**
   * Changes whenever anything a token depends on changes (application, tenant, cloud, the
   * credential's kind or stored value, the partner's record): clients built for an older one are
   * dropped.
   */
  version: string;
  /** How it proves itself now (decrypted, read from disk), at each token request. */
  credential(): Promise<ConnectionCredential>;
}

/**
 * The partner's connection through `clientId` (its own registration unless told otherwise), its
 * credential read by `credential` at each token request.
 */
export function connectionOf(
  partner: PartnerRecord,
  credential: () => Promise<ConnectionCredential>,
  clientId: string = partner.applicationId,
): TenantConnection {
  return {
    partnerId: partner.id,
    tenantId: partner.tenantId,
    clientId,
    cloud: partner.cloud,
    platform: partner.credentialType === 'platformApp',
    version: `${partner.credentialType}|${clientId}|${partner.tenantId}|${partner.cloud}|${partner.updatedAt}|${partner.clientSecretCiphertext ?? ''}`,
    credential,
  };
}

/** A consent this recent may not have reached Entra's token service yet: a token without roles is retried. */
export const CONSENT_PROPAGATION_MS = 60 * 60_000;
