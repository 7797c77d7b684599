/**
 * The one place where a failed token request (MSAL's errors, Entra ID's AADSTS codes) becomes an
 * AppError from the catalogue, with a remediation in the setup guide's terms. Branches on MSAL's
 * `errorCode`, Entra's `error_codes` number (`errorNo`) and the HTTP status, never on message text;
 * no MSAL message goes anywhere, because MSAL messages may quote request details.
 */
import { AppError, type ErrorCode } from '../../domain/errors';
import type { PartnerRecord } from '../../domain/partners/partner.record';
import { isTlsErrorCode } from './http-client';
import type { LastExchange } from './msal-network-client';
import { parseRetryAfterMs } from './retry-policy';
import { objectOr } from './json';

/** Entra asks clients to wait at least this long before the first retry after throttling. */
export const ENTRA_MIN_RETRY_SECONDS = 5;

/** The codes that mean the partner's Step 1/Step 4 configuration is wrong (not Entra being down). */
export const CREDENTIAL_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INVALID_CLIENT_SECRET',
  'CLIENT_SECRET_EXPIRED',
  'APPLICATION_NOT_FOUND',
  'TENANT_NOT_FOUND',
  'CLIENT_SECRET_UNREADABLE',
  'CERTIFICATE_NOT_REGISTERED',
  'CERTIFICATE_EXPIRED',
  'NO_USABLE_CREDENTIAL',
]);

const TRANSIENT_AADSTS = new Set([90055, 90024, 90033, 50196, 50058001]);
const TENANT_AADSTS = new Set([90002, 900023, 90072]);

interface MsalFailure {
  name: string;
  errorCode: string;
  /** Entra's error description as MSAL passes it on. */
  message: string;
  /** Entra's AADSTS numbers (from `errorNo`, or from a throttling entry's errorCode). */
  aadsts: number[];
  status: number | undefined;
}

function readFailure(error: unknown): MsalFailure {
  const e = objectOr(error);
  const errorCode = typeof e['errorCode'] === 'string' ? e['errorCode'] : '';
  const aadsts: number[] = [];
  const errorNo = e['errorNo'];
  if (typeof errorNo === 'number' || (typeof errorNo === 'string' && /^\d+$/.test(errorNo))) {
    aadsts.push(Number(errorNo));
  }
  // MSAL's self-throttling answers with the AADSTS numbers of the answer that throttled it as the errorCode.
  if (/^\d+( \d+)*$/.test(errorCode)) aadsts.push(...errorCode.split(' ').map(Number));
  return {
    name: typeof e['name'] === 'string' ? e['name'] : '',
    errorCode,
    message:
      typeof e['errorMessage'] === 'string'
        ? e['errorMessage']
        : typeof e['message'] === 'string'
          ? e['message']
          : '',
    aadsts,
    status: typeof e['status'] === 'number' ? e['status'] : undefined,
  };
}

function patchHint(partner: PartnerRecord, body: string): string {
  return `PATCH /partners/${partner.id} with ${body}`;
}

function secretRemediation(partner: PartnerRecord, expired: boolean): string {
  return [
    `In the Azure portal, open App registrations > the app with Application (client) ID ${partner.applicationId} > ` +
      'Certificates & secrets (setup guide Step 1, items 5-8) and click "+ New client secret".',
    expired
      ? "Copy the new secret's Value (not its Secret ID) and note its expiry date."
      : 'Copy the secret\'s Value column, not the Secret ID next to it (a common mix-up): the value is shown only once, right after "Add".',
    `Then ${patchHint(
      partner,
      expired
        ? '{ "clientSecret": "<the value>", "clientSecretExpiresAt": "<its expiry date>" }'
        : '{ "clientSecret": "<the value>" } (and "clientSecretExpiresAt" with its expiry date)',
    )}.`,
  ].join(' ');
}

function applicationRemediation(partner: PartnerRecord): string {
  return (
    `Check the partner's applicationId (${partner.applicationId}): it must be the Application (client) ID shown on ` +
    "the app registration's Overview page (setup guide Step 1, item 4), and the app must be registered in the " +
    `tenant ${partner.tenantId} (the Directory (tenant) ID on the same page). Fix it by sending ` +
    `${patchHint(partner, '{ "applicationId": "<Application (client) ID>" }')}. A newly registered app can take a few minutes to be known.`
  );
}

function tenantRemediation(partner: PartnerRecord): string {
  return (
    `Check the partner's tenantId (${partner.tenantId}): it must be the Directory (tenant) ID shown on the app ` +
    "registration's Overview page (setup guide Step 1, item 4), or a verified domain of that tenant. Also check the " +
    `partner's cloud (now '${partner.cloud}'): a US Government tenant needs 'usgov' (GCC High) or 'usgovdod' (DoD). ` +
    `Fix it by sending ${patchHint(partner, '{ "tenantId": "<Directory (tenant) ID>" } or { "cloud": "..." }')}.`
  );
}

function credentialError(code: ErrorCode, detail: string, remediation: string): AppError {
  return new AppError(code, { detail, remediation });
}

/** A stored partner without any client secret: nothing to ask Entra with. */
export function missingSecretError(partner: PartnerRecord): AppError {
  return credentialError(
    'INVALID_CLIENT_SECRET',
    `Partner '${partner.id}' has no client secret stored.`,
    secretRemediation(partner, false),
  );
}

/** Where the IT admin uploads a certificate, in the portal's terms. */
function certificateRemediation(partner: PartnerRecord, thumbprints: string[]): string {
  return (
    `In the Azure portal, open App registrations > the app with Application (client) ID ${partner.applicationId} > ` +
    'Certificates & secrets > Certificates (setup guide Step 1) and upload the certificate with thumbprint ' +
    `${thumbprints.join(' or ')} (GET /partners/${partner.id}/certificates/{certificateId}/file gives the .cer). ` +
    'Entra takes a few minutes to accept a new certificate.'
  );
}

/** The partner uses certificates but none is valid now. */
export function noUsableCertificateError(partner: PartnerRecord, expired: number): AppError {
  return credentialError(
    'NO_USABLE_CREDENTIAL',
    expired > 0
      ? `Partner '${partner.id}' signs with certificates, and all ${expired} of them have expired.`
      : `Partner '${partner.id}' signs with certificates, and has none.`,
    `Make one with POST /partners/${partner.id}/certificates, upload it under Certificates & secrets > Certificates ` +
      '(setup guide Step 1), then run verify; or switch back to the client secret with PATCH ' +
      `/partners/${partner.id} { "credentialType": "clientSecret" }.`,
  );
}

/** Entra refused the certificates tried (newest first), none of them registered on the app. */
export function certificateNotRegisteredError(partner: PartnerRecord, thumbprints: string[]): AppError {
  return credentialError(
    'CERTIFICATE_NOT_REGISTERED',
    `Entra ID does not know the certificate${thumbprints.length > 1 ? 's' : ''} ${thumbprints.join(', ')} on application ${partner.applicationId} (AADSTS700027).`,
    certificateRemediation(partner, thumbprints.slice(0, 1)),
  );
}

/** A tenant value that cannot be part of an authority URL is refused before asking Entra. */
export function malformedTenantError(partner: PartnerRecord): AppError {
  return credentialError(
    'TENANT_NOT_FOUND',
    `The tenantId of partner '${partner.id}' is neither a GUID nor a domain name.`,
    tenantRemediation(partner),
  );
}

export interface TranslatedTokenError {
  error: AppError;
  /** A failure of Entra (or the way to it) that should drop the MSAL instance and wait. */
  transient: boolean;
}

/** Translates whatever `acquireTokenByClientCredential` threw. */
export function translateTokenError(
  error: unknown,
  partner: PartnerRecord,
  last: LastExchange,
  now: number,
  /** The certificate the request signed with, if it used one. */
  certificate?: { thumbprint: string },
): TranslatedTokenError {
  const failure = readFailure(error);
  const codes = failure.aadsts;
  const has = (n: number) => codes.includes(n);
  const status = failure.status ?? last.status;
  const aadsts = codes.length > 0 ? ` (AADSTS${codes[0]})` : '';

  if (partner.credentialType === 'platformApp' && (has(7000229) || has(700016))) {
    // The platform app has no service principal in the tenant: consent never given, or removed.
    return {
      transient: false,
      error: new AppError('CONSENT_REQUIRED', {
        detail: `Tenant ${partner.tenantId} holds no service principal of TARGETconnect's platform app${aadsts}: its admin has not consented, or removed the app since.`,
        remediation: `Step 1 (the platform app): an admin of the tenant opens the consent link again (POST /partners/${partner.id}/consent-link, or the setup page) and accepts.`,
      }),
    };
  }
  if (partner.credentialType === 'platformApp' && (has(70021) || has(700024))) {
    // The platform's own credential (its federated token) is at fault, not the university's setup.
    return {
      transient: false,
      error: new AppError('NO_USABLE_CREDENTIAL', {
        detail: has(70021)
          ? `Entra ID found no federated identity credential of the platform app matching its token's issuer, subject and audience${aadsts}.`
          : `Entra ID found the platform app's federated token expired${aadsts}: the token file was not renewed.`,
        remediation:
          "TARGETconnect's operators: check the platform app's federated identity credential (issuer, subject, audience api://AzureADTokenExchange) and that AZURE_FEDERATED_TOKEN_FILE is rewritten before its token expires.",
      }),
    };
  }

  if (has(700027) && certificate !== undefined) {
    return {
      transient: false,
      error: /expired/i.test(failure.message)
        ? credentialError(
            'CERTIFICATE_EXPIRED',
            `Entra ID says the certificate ${certificate.thumbprint} of application ${partner.applicationId} has expired (AADSTS700027).`,
            `Make a new certificate with POST /partners/${partner.id}/certificates and upload it: ${certificateRemediation(partner, ['<the new thumbprint>'])}`,
          )
        : certificateNotRegisteredError(partner, [certificate.thumbprint]),
    };
  }
  if (has(700024)) {
    return {
      transient: false,
      error: new AppError('ENTRA_ERROR', {
        detail: `Entra ID found the client assertion outside its valid time range (AADSTS700024).`,
        remediation:
          "Check this server's clock (NTP): Entra compares the assertion's nbf and exp with its own.",
      }),
    };
  }
  if (has(7000222)) {
    return {
      transient: false,
      error: credentialError(
        'CLIENT_SECRET_EXPIRED',
        `The client secret of application ${partner.applicationId} has expired${aadsts}.`,
        secretRemediation(partner, true),
      ),
    };
  }
  if (has(7000215) || has(7000218) || (failure.errorCode === 'invalid_client' && !has(700016))) {
    return {
      transient: false,
      error: credentialError(
        'INVALID_CLIENT_SECRET',
        `Entra ID refused the client secret of application ${partner.applicationId}${aadsts}.`,
        secretRemediation(partner, false),
      ),
    };
  }
  if (has(700016) || failure.errorCode === 'unauthorized_client') {
    return {
      transient: false,
      error: credentialError(
        'APPLICATION_NOT_FOUND',
        `Entra ID has no application ${partner.applicationId} in tenant ${partner.tenantId}${aadsts}.`,
        applicationRemediation(partner),
      ),
    };
  }
  if (
    codes.some((n) => TENANT_AADSTS.has(n)) ||
    failure.errorCode === 'invalid_tenant' ||
    failure.errorCode === 'endpoints_resolution_error' ||
    failure.errorCode === 'missing_tenant_id_error'
  ) {
    return {
      transient: false,
      error: credentialError(
        'TENANT_NOT_FOUND',
        `Entra ID does not know the tenant '${partner.tenantId}' in the ${partner.cloud} cloud${aadsts}.`,
        tenantRemediation(partner),
      ),
    };
  }

  if (
    failure.errorCode === 'network_error' &&
    last.failure?.kind === 'network' &&
    isTlsErrorCode(last.failure.code)
  ) {
    return {
      transient: false,
      error: new AppError('ENTRA_ERROR', {
        detail: `The TLS certificate of the Entra ID sign-in host was not trusted (${last.failure.code}).`,
        remediation:
          'If outbound HTTPS goes through an inspecting proxy, give its CA to the service with NODE_EXTRA_CA_CERTS.',
      }),
    };
  }
  if (failure.errorCode === 'network_error' && last.failure?.kind === 'timeout') {
    return {
      transient: false,
      error: new AppError('ENTRA_TIMEOUT', { detail: 'Entra ID did not answer the token request in time.' }),
    };
  }
  const throttledByMsal = /^\d+( \d+)*$/.test(failure.errorCode);
  if (
    failure.errorCode === 'network_error' ||
    failure.errorCode === 'temporarily_unavailable' ||
    throttledByMsal ||
    codes.some((n) => TRANSIENT_AADSTS.has(n)) ||
    (status !== undefined && (status === 429 || status >= 500))
  ) {
    const waitMs = parseRetryAfterMs(last.retryAfter, now) ?? 0;
    const retryAfterSeconds = Math.max(ENTRA_MIN_RETRY_SECONDS, Math.ceil(waitMs / 1000));
    const what =
      failure.errorCode === 'network_error'
        ? `could not be reached${last.failure?.kind === 'network' ? ` (${last.failure.code})` : ''}`
        : `is throttling or unavailable${status !== undefined ? ` (HTTP ${status}${codes.length > 0 ? `, AADSTS${codes[0]}` : ''})` : aadsts}`;
    return {
      transient: true,
      error: new AppError('ENTRA_UNAVAILABLE', {
        detail: `Entra ID ${what}; retry after ${retryAfterSeconds} seconds.`,
        retryAfterSeconds,
      }),
    };
  }

  // invalid_scope, invalid_resource (AADSTS500011) and anything MSAL itself refused.
  const named = failure.errorCode !== '' ? ` (${failure.errorCode}${aadsts})` : aadsts;
  return {
    transient: false,
    error: new AppError('ENTRA_ERROR', {
      detail: `Entra ID refused the token request for application ${partner.applicationId}${named}.`,
      remediation:
        `Check that the partner's cloud ('${partner.cloud}') is the Microsoft cloud of tenant ${partner.tenantId}, ` +
        'and that the tenant has Microsoft Graph available (setup guide Step 1).',
    }),
  };
}
