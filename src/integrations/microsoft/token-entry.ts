/**
 * What the token provider (token-provider.ts) keeps per partner: the MSAL clients built from one
 * version of its credentials, the token it holds, the request in flight, and Entra's wait.
 */
import type { TenantConnection } from '../../domain/credentials/tenant-connection';
import type { Msal } from './msal-client';
import type { AccessToken } from './token-provider';

export interface HeldToken extends AccessToken {
  renewAt: number;
}

/** One way to ask for a token: the secret, one certificate, or the federated token. */
export interface Credential {
  /** Which MSAL client serves it: 'secret', 'federated', or the certificate's SHA-256 thumbprint. */
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

  constructor(private readonly version: string) {}

  static of(connection: TenantConnection): PartnerEntry {
    return new PartnerEntry(connection.version);
  }

  /** Built from the connection as it is now (one string compare on the hot path). */
  matches(connection: TenantConnection): boolean {
    return this.version === connection.version;
  }
}
