/**
 * What the token provider (token-provider.ts) keeps per partner: the MSAL clients built from one
 * version of its credentials, the token it holds, the request in flight, and Entra's wait.
 */
import type { PartnerRecord } from '../../domain/partners/partner.record';
import type { Msal } from './msal-client';
import type { AccessToken } from './token-provider';

export interface HeldToken extends AccessToken {
  renewAt: number;
}

/** One way to ask for a token: the secret, or one certificate. */
export interface Credential {
  /** Which MSAL client serves it: 'secret', or the certificate's SHA-256 thumbprint. */
  key: string;
  certificate?: { thumbprint: string };
  build: () => Msal;
}

/** What was built from one version of a partner's credentials. */
export class PartnerEntry {
  /** One MSAL client per credential (the secret, or each certificate), built on first use. */
  msal = new Map<string, Msal>();
  token: HeldToken | undefined;
  inflight: Promise<AccessToken> | undefined;
  /** No token request to Entra before this (epoch ms), after throttling. */
  blockedUntil = 0;
  /** The client secret read for this entry, redacted from every request that uses the partner. */
  secret: string | undefined;

  constructor(
    private readonly applicationId: string,
    private readonly tenantId: string,
    private readonly cloud: string,
    private readonly secretCiphertext: string | null,
    private readonly updatedAt: string,
    private readonly credentialType: string,
  ) {}

  static of(partner: PartnerRecord): PartnerEntry {
    return new PartnerEntry(
      partner.applicationId,
      partner.tenantId,
      partner.cloud,
      partner.clientSecretCiphertext,
      partner.updatedAt,
      partner.credentialType,
    );
  }

  /** The fingerprint check, field by field: no hashing on the hot path. */
  matches(partner: PartnerRecord): boolean {
    return (
      this.applicationId === partner.applicationId &&
      this.tenantId === partner.tenantId &&
      this.cloud === partner.cloud &&
      this.secretCiphertext === partner.clientSecretCiphertext &&
      this.updatedAt === partner.updatedAt &&
      this.credentialType === partner.credentialType
    );
  }
}
