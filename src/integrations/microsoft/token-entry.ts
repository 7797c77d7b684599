/**
 * What the token provider (token-provider.ts) keeps per partner, for one version of its
 * credentials: the token it holds, the request in flight, and Entra's wait. No MSAL client: one is
 * built for each token request (an hourly event per partner) and dropped after it.
 */
import type { TenantConnection } from '../../domain/credentials/tenant-connection';
import type { Msal } from './msal-client';
import type { AccessToken } from './token-provider';

export interface HeldToken extends AccessToken {
  renewAt: number;
}

/** One way to ask for a token: the secret, one certificate, or the federated token. */
export interface Credential {
  /** Which credential: 'secret', 'federated', or the certificate's SHA-256 thumbprint. */
  key: string;
  certificate?: { thumbprint: string };
  build: () => Msal;
}

/** What was built from one version of a partner's credentials. */
export class PartnerEntry {
  token: HeldToken | undefined;
  inflight: Promise<AccessToken> | undefined;
  /** No token request to Entra before this (epoch ms), after throttling. */
  blockedUntil = 0;
  /** The client secret read for this entry, redacted from every request that uses the partner. */
  secret: string | undefined;

  constructor(private readonly version: string) {}

  static of(connection: TenantConnection): PartnerEntry {
    return new PartnerEntry(connection.version);
  }

  /** Built from the connection as it is now (one string compare on the hot path). */
  matches(connection: TenantConnection): boolean {
    return this.version === connection.version;
  }
}
