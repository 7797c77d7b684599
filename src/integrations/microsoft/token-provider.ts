/**
 * App-only access tokens for Graph, one partner (one tenant, one app registration) at a time.
 *
 * - One MSAL ConfidentialClientApplication per partner, built on first use and replaced when the
 *   partner's credentials change (application, tenant, cloud, secret ciphertext or record update).
 *   A new instance per request would throw MSAL's cache away; one for all partners would make its
 *   linear cache scan slow.
 * - In front of MSAL, a holder of the current token per partner: calling MSAL on every request
 *   costs ~0.13 ms even from its cache (docs/decisions/004), and MSAL does not merge concurrent cold
 *   calls. The holder renews ahead of expiry and lets concurrent callers share one request. MSAL is
 *   asked with `skipCache`, because the holder is the cache (and after a 401 a cached token is the
 *   wrong answer).
 * - Failures become AppErrors (entra-errors.ts). After a throttling or unavailable answer the MSAL
 *   instance is dropped (MSAL would keep refusing for up to a minute on its own) and no request
 *   goes to Entra before its Retry-After (at least 5 s) has passed.
 */
import type { AxiosInstance } from 'axios';
import { AppError, type ErrorCode } from '../../domain/errors';
import type { PartnerRecord } from '../../domain/partners/partner.record';
import { CONSENT_PROPAGATION_MS, type TenantConnection } from '../../domain/credentials/tenant-connection';
import { remainingBudgetMs } from '../../request-scope';
import type { Logger } from '../../logging/logger';
import type { CloudEndpoints } from './clouds';
import { rememberSecret } from '../../logging/redact';
import {
  certificateNotRegisteredError,
  CREDENTIAL_ERROR_CODES,
  malformedTenantError,
  missingSecretError,
  noUsableCertificateError,
  translateTokenError,
} from './entra-errors';
import type { GraphMetrics } from './graph-metrics';
import { buildMsalClient, type Msal, type MsalCredential } from './msal-client';
import { PartnerEntry, type Credential, type HeldToken } from './token-entry';
export { decodeClaim, decodeRoles } from './jwt-claims';
import { decodeRoles } from './jwt-claims';

/** Renew when less than this is left (or half the lifetime, for short-lived tokens). */
export const RENEW_BEFORE_EXPIRY_MS = 5 * 60_000;
/** A held token this far from expiry still serves while Entra is unavailable. */
const STILL_USABLE_MS = 60_000;

/** A GUID or a DNS name: what may stand between the authority host and `/oauth2`. */
const TENANT_SEGMENT = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

export interface AccessToken {
  value: string;
  /** Epoch ms on the provider's clock. */
  expiresAt: number;
  /** The token's `roles` claim (application permissions), decoded for diagnostics only. */
  roles: string[];
}

export interface CredentialFailure {
  partnerId: string;
  code: ErrorCode;
  /** ISO 8601. */
  at: string;
}

export interface TokenProviderOptions {
  http: AxiosInstance;
  /**
   * The partner's tenant connection (the domain's credentials capability): which application
   * asks, where, and its credential in clear, read at each token request.
   */
  connectionOf: (partner: PartnerRecord) => TenantConnection;
  endpointsOf: (partner: PartnerRecord) => CloudEndpoints;
  logger: Logger;
  metrics: GraphMetrics;
  /** Per request to Entra. */
  timeoutMs: number;
  now?: () => number;
  /** Waits between token requests while a new consent reaches Entra's token service. */
  sleep?: (ms: number) => Promise<void>;
}

/** The first wait before asking again for a token with the consented roles; doubled each time. */
const CONSENT_RETRY_FIRST_MS = 1000;

export class TokenProvider {
  private readonly entries = new Map<string, PartnerEntry>();
  private readonly failures = new Map<string, CredentialFailure>();
  private readonly now: () => number;

  constructor(private readonly options: TokenProviderOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A token for the partner's Graph: the held one, a shared in-flight one, or a new one. */
  getToken(partner: PartnerRecord): Promise<AccessToken> {
    const connection = this.options.connectionOf(partner);
    let entry = this.entries.get(partner.id);
    if (entry === undefined || !entry.matches(connection)) {
      entry = PartnerEntry.of(connection);
      this.entries.set(partner.id, entry);
    }
    // Whatever Microsoft echoes of it, no line or answer of a request using the partner shows it.
    if (entry.secret !== undefined) rememberSecret(entry.secret);
    const now = this.now();
    const held = entry.token;
    if (held !== undefined && now < held.renewAt) return Promise.resolve(held);
    if (entry.inflight !== undefined) return entry.inflight;
    if (now < entry.blockedUntil) {
      if (held !== undefined && now < held.expiresAt - STILL_USABLE_MS) return Promise.resolve(held);
      const retryAfterSeconds = Math.max(1, Math.ceil((entry.blockedUntil - now) / 1000));
      return Promise.reject(
        new AppError('ENTRA_UNAVAILABLE', {
          detail: `Entra ID asked to wait before the next token request; retry after ${retryAfterSeconds} seconds.`,
          retryAfterSeconds,
        }),
      );
    }
    const current = entry;
    const request = this.acquire(current, partner, connection).finally(() => {
      if (current.inflight === request) current.inflight = undefined;
    });
    current.inflight = request;
    return request;
  }

  /**
   * Drops the held token so that the next call gets a new one: after Graph refused it (401; only
   * when `tokenValue` is still the held one, so concurrent refusals renew once), or after a
   * permission refusal (a new token carries newly consented roles).
   */
  invalidate(partnerId: string, tokenValue?: string): void {
    const entry = this.entries.get(partnerId);
    if (entry?.token !== undefined && (tokenValue === undefined || entry.token.value === tokenValue)) {
      entry.token = undefined;
    }
  }

  /** Forget the partner's MSAL instance, token and credential status. */
  forget(partnerId: string): void {
    this.entries.delete(partnerId);
    this.failures.delete(partnerId);
  }

  /**
   * A token request with this one certificate, held nowhere and counted nowhere: whether Entra
   * accepts it (the setup checks). Resolves with the token's roles; throws the token AppErrors.
   */
  async probeCertificate(
    partner: PartnerRecord,
    certificate: { thumbprint: string; thumbprintSha256: string; privateKeyPem: string },
  ): Promise<string[]> {
    const endpoints = this.options.endpointsOf(partner);
    const { app, network } = this.buildMsal(
      this.options.connectionOf(partner),
      {
        clientCertificate: {
          thumbprintSha256: certificate.thumbprintSha256,
          privateKey: certificate.privateKeyPem,
        },
      },
      endpoints,
    );
    try {
      const result = await app.acquireTokenByClientCredential({
        scopes: [endpoints.graphScope],
        skipCache: true,
      });
      return result?.accessToken ? decodeRoles(result.accessToken) : [];
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw translateTokenError(error, partner, network.last, this.now(), certificate).error;
    }
  }

  /** Partners whose last token request failed because of their configuration (for /health). */
  credentialFailures(): CredentialFailure[] {
    return [...this.failures.values()].map((f) => ({ ...f }));
  }

  private async acquire(
    entry: PartnerEntry,
    partner: PartnerRecord,
    connection: TenantConnection,
  ): Promise<AccessToken> {
    const endpoints = this.options.endpointsOf(partner);
    if (!TENANT_SEGMENT.test(partner.tenantId)) {
      throw this.credentialFailed(partner, malformedTenantError(partner));
    }
    const credentials = await this.credentials(entry, partner, connection, endpoints);
    const refused: string[] = [];
    for (const [index, credential] of credentials.entries()) {
      try {
        const token = await this.request(entry, partner, credential);
        return connection.platform ? await this.withConsentedRoles(entry, partner, credential, token) : token;
      } catch (error) {
        // A certificate Entra does not know (made, not yet uploaded): the next newest is tried, so
        // that a rotation never stops creates.
        const more = index < credentials.length - 1;
        if (!(
          error instanceof AppError &&
          error.code === 'CERTIFICATE_NOT_REGISTERED' &&
          credential.certificate
        )) {
          throw error;
        }
        refused.push(credential.certificate.thumbprint);
        if (!more) {
          throw refused.length > 1
            ? this.credentialFailed(partner, certificateNotRegisteredError(partner, refused))
            : error;
        }
      }
    }
    throw this.credentialFailed(partner, missingSecretError(partner));
  }

  /** The ways to ask for this partner's token, in the order to try them. */
  private async credentials(
    entry: PartnerEntry,
    partner: PartnerRecord,
    connection: TenantConnection,
    endpoints: CloudEndpoints,
  ): Promise<Credential[]> {
    const read = await connection.credential().catch((error: unknown) => {
      // A secret or key that cannot be read is the partner's configuration failing, like a wrong one.
      if (error instanceof AppError && CREDENTIAL_ERROR_CODES.has(error.code)) {
        throw this.credentialFailed(partner, error);
      }
      throw error;
    });
    if (read.type === 'clientSecret') {
      const secret = read.secret;
      if (secret === null || secret === '') throw this.credentialFailed(partner, missingSecretError(partner));
      entry.secret = secret;
      rememberSecret(secret);
      return [
        { key: 'secret', build: () => this.buildMsal(connection, { clientSecret: secret }, endpoints) },
      ];
    }
    if (read.type === 'federated') {
      // One client; MSAL calls the assertion for each token request, which reads the file again.
      return [
        {
          key: 'federated',
          build: () => this.buildMsal(connection, { clientAssertion: () => read.assertion() }, endpoints),
        },
      ];
    }
    if (read.certificates.length === 0) {
      throw this.credentialFailed(partner, noUsableCertificateError(partner, read.expired));
    }
    return read.certificates.map((certificate) => ({
      key: certificate.thumbprintSha256,
      certificate: { thumbprint: certificate.thumbprint },
      build: () =>
        this.buildMsal(
          connection,
          {
            clientCertificate: {
              thumbprintSha256: certificate.thumbprintSha256,
              privateKey: certificate.privateKeyPem,
            },
          },
          endpoints,
        ),
    }));
  }

  private async request(
    entry: PartnerEntry,
    partner: PartnerRecord,
    credential: Credential,
  ): Promise<AccessToken> {
    const { logger, metrics } = this.options;
    // A client for this request only: MSAL's own cache is not used (the entry holds the token),
    // and a client kept per partner cost 11.5 KB of heap each between its hourly requests
    // (docs/BENCHMARKS.md, memory). Building one takes well under a millisecond.
    const { app, network } = credential.build();
    const started = this.now();
    try {
      const result = await app.acquireTokenByClientCredential({
        scopes: [this.options.endpointsOf(partner).graphScope],
        skipCache: true,
      });
      if (!result?.accessToken) {
        throw new AppError('ENTRA_ERROR', { detail: 'Entra ID answered the token request without a token.' });
      }
      const now = this.now();
      // MSAL's expiresOn is on the wall clock; keep the lifetime, on the provider's clock.
      const lifetimeMs = Math.max(0, (result.expiresOn?.getTime() ?? Date.now() + 3_599_000) - Date.now());
      const token: HeldToken = {
        value: result.accessToken,
        expiresAt: now + lifetimeMs,
        renewAt: now + lifetimeMs - Math.min(RENEW_BEFORE_EXPIRY_MS, lifetimeMs / 2),
        roles: decodeRoles(result.accessToken),
      };
      entry.token = token;
      entry.blockedUntil = 0;
      this.failures.delete(partner.id);
      metrics.tokenRequests.inc({ outcome: 'success' });
      logger.debug(
        { partnerId: partner.id, durationMs: now - started, expiresInSeconds: Math.round(lifetimeMs / 1000) },
        'Entra ID issued an access token',
      );
      return token;
    } catch (error) {
      if (error instanceof AppError) {
        metrics.tokenRequests.inc({ outcome: error.code.toLowerCase() });
        throw error;
      }
      const now = this.now();
      const translated = translateTokenError(error, partner, network.last, now, credential.certificate);
      const appError = translated.error;
      metrics.tokenRequests.inc({ outcome: appError.code.toLowerCase() });
      const msal = error as { name?: unknown; errorCode?: unknown; errorNo?: unknown; status?: unknown };
      logger.warn(
        {
          partnerId: partner.id,
          code: appError.code,
          // Only MSAL's codes: its messages may quote request details.
          msal: { name: msal.name, errorCode: msal.errorCode, errorNo: msal.errorNo, status: msal.status },
          network: network.last,
          durationMs: now - started,
        },
        'Token request to Entra ID failed',
      );
      if (CREDENTIAL_ERROR_CODES.has(appError.code)) {
        this.failures.set(partner.id, {
          partnerId: partner.id,
          code: appError.code,
          at: new Date().toISOString(),
        });
      }
      if (translated.transient) {
        entry.blockedUntil = now + (appError.retryAfterSeconds ?? 5) * 1000;
      }
      const held = entry.token;
      if (
        (translated.transient || appError.code === 'ENTRA_TIMEOUT') &&
        held !== undefined &&
        now < held.expiresAt - STILL_USABLE_MS
      ) {
        return held;
      }
      throw appError;
    }
  }

  /**
   * Just after a university's admin consented to the platform app, Entra's token service can
   * issue tokens without the consented roles for some minutes. Such a token is not kept: the
   * token is asked for again, waiting 1 s, 2 s, 4 s… while the request's budget lasts, then the
   * request answers CONSENT_REQUIRED saying the consent is not in effect yet.
   */
  private async withConsentedRoles(
    entry: PartnerEntry,
    partner: PartnerRecord,
    credential: Credential,
    token: AccessToken,
  ): Promise<AccessToken> {
    const grantedAt = partner.consent.grantedAt === null ? NaN : Date.parse(partner.consent.grantedAt);
    const recent = this.now() - grantedAt < CONSENT_PROPAGATION_MS;
    let current = token;
    for (let wait = CONSENT_RETRY_FIRST_MS; current.roles.length === 0 && recent; wait *= 2) {
      entry.token = undefined;
      // Room for the wait and one more token request, with the rest of the request after it (and
      // outside a request, at most five waits: about 30 s).
      if (remainingBudgetMs() < wait + 2 * this.options.timeoutMs || wait > 16 * CONSENT_RETRY_FIRST_MS) {
        throw new AppError('CONSENT_REQUIRED', {
          detail: `The consent of tenant ${partner.tenantId} (given ${partner.consent.grantedAt}) has not reached Entra ID's token service yet: its tokens carry no permission so far.`,
          remediation:
            'Microsoft usually makes a new consent effective within minutes: send the request again shortly. If it lasts beyond an hour, open a new consent link and accept again.',
          retryAfterSeconds: 30,
        });
      }
      await (this.options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms))))(wait);
      current = await this.request(entry, partner, credential);
    }
    return current;
  }

  private credentialFailed(partner: PartnerRecord, error: AppError): AppError {
    this.options.metrics.tokenRequests.inc({ outcome: error.code.toLowerCase() });
    this.failures.set(partner.id, { partnerId: partner.id, code: error.code, at: new Date().toISOString() });
    this.options.logger.warn(
      { partnerId: partner.id, code: error.code },
      'Partner credentials are incomplete',
    );
    return error;
  }

  private buildMsal(
    connection: TenantConnection,
    credential: MsalCredential,
    endpoints: CloudEndpoints,
  ): Msal {
    return buildMsalClient(
      { clientId: connection.clientId, tenantId: connection.tenantId },
      credential,
      endpoints,
      this.options.http,
      this.options.timeoutMs,
    );
  }
}
