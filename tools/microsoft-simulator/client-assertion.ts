/**
 * Entra's check of a client assertion (private_key_jwt), as the facts of Entra's certificate
 * credentials describe it: the JWT's header names the certificate by `x5t` (RS256, base64url
 * SHA-1 of the DER) or `x5t#S256` (PS256, base64url SHA-256); the certificate must be uploaded to
 * the app and not expired; the signature must verify with it; `aud` is the token endpoint URL,
 * `iss` and `sub` the client id, and now must lie within `nbf`..`exp` (at most 10 minutes apart).
 */
import { verify, constants, X509Certificate } from 'node:crypto';
import type { AadErrorInput } from './responses';
import type { SimApp } from './types';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const SKEW_SECONDS = 300;

function invalidClient(code: number, description: string): AadErrorInput {
  return { status: 401, error: 'invalid_client', code, description };
}

function part(segment: string | undefined): Record<string, unknown> | undefined {
  if (segment === undefined) return undefined;
  try {
    const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The error Entra answers, or null when the assertion proves the client. */
export function checkClientAssertion(
  app: SimApp,
  assertionType: string | undefined,
  assertion: string,
  tokenEndpoint: string,
  nowMs: number = Date.now(),
): AadErrorInput | null {
  if (assertionType !== JWT_BEARER) {
    return {
      status: 400,
      error: 'invalid_request',
      code: 50027,
      description: `client_assertion_type must be ${JWT_BEARER}.`,
    };
  }
  const [h, p, s] = assertion.split('.');
  const header = part(h);
  const claims = part(p);
  if (!header || !claims || s === undefined) {
    return invalidClient(50027, 'Invalid JWT token. The token is not in a valid format.');
  }
  const alg = header['alg'];
  const x5t =
    typeof header['x5t'] === 'string' ? Buffer.from(header['x5t'], 'base64url').toString('hex') : undefined;
  const x5tS256 =
    typeof header['x5t#S256'] === 'string'
      ? Buffer.from(header['x5t#S256'], 'base64url').toString('hex')
      : undefined;
  // No certificate named: a workload identity's token from another issuer (federated credential).
  if (x5t === undefined && x5tS256 === undefined && app.federatedCredentials.length > 0) {
    return checkFederatedAssertion(app, h!, p!, s, header, claims, nowMs);
  }
  const used = alg === 'PS256' ? x5tS256 : alg === 'RS256' ? x5t : undefined;
  if (used === undefined) {
    return invalidClient(
      5002738,
      'The client assertion must be signed with RS256 (header x5t) or PS256 (header x5t#S256).',
    );
  }
  const certificate = app.certificates.find((c) =>
    alg === 'PS256' ? c.thumbprintSha256 === used.toLowerCase() : c.thumbprint === used.toUpperCase(),
  );
  const shown = (certificate?.thumbprint ?? used).toUpperCase();
  if (!certificate) {
    return invalidClient(
      700027,
      `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${shown}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.appId}'.]`,
    );
  }
  if (certificate.notAfter.getTime() <= nowMs) {
    return invalidClient(
      700027,
      `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key used is expired., Thumbprint of key used by client: '${shown}', Found key 'Start=..., End=${certificate.notAfter.toISOString()}']`,
    );
  }
  const key = new X509Certificate(certificate.pem).publicKey;
  const signed = Buffer.from(`${h}.${p}`, 'utf8');
  const signature = Buffer.from(s, 'base64url');
  const valid =
    alg === 'PS256'
      ? verify('sha256', signed, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature)
      : verify('sha256', signed, key, signature);
  if (!valid) return invalidClient(700027, 'Client assertion failed signature validation.');
  if (claims['iss'] !== app.appId || claims['sub'] !== app.appId) {
    return invalidClient(
      700021,
      'Client assertion application identifier does not match client_id parameter.',
    );
  }
  if (claims['aud'] !== tokenEndpoint) {
    return invalidClient(
      700212,
      `No matching federated identity record found for presented assertion audience '${String(claims['aud'])}'.`,
    );
  }
  const now = nowMs / 1000;
  const nbf = typeof claims['nbf'] === 'number' ? claims['nbf'] : undefined;
  const exp = typeof claims['exp'] === 'number' ? claims['exp'] : undefined;
  if (
    exp === undefined ||
    now > exp + SKEW_SECONDS ||
    (nbf !== undefined && now < nbf - SKEW_SECONDS) ||
    (nbf !== undefined && exp - nbf > 600 + SKEW_SECONDS)
  ) {
    return invalidClient(700024, 'Client assertion is not within its valid time range.');
  }
  return null;
}

/**
 * Workload identity federation: the assertion is the issuer's JWT; Entra looks for a federated
 * identity credential of the app with the token's issuer, subject and audience (AADSTS70021 when
 * none matches), checks the signature with the issuer's key and the token's lifetime (AADSTS700024).
 */
function checkFederatedAssertion(
  app: SimApp,
  h: string,
  p: string,
  s: string,
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  nowMs: number,
): AadErrorInput | null {
  const audiences = Array.isArray(claims['aud']) ? claims['aud'].map(String) : [String(claims['aud'])];
  const credential = app.federatedCredentials.find(
    (c) => c.issuer === claims['iss'] && c.subject === claims['sub'] && audiences.includes(c.audience),
  );
  if (!credential) {
    return {
      status: 400,
      error: 'invalid_client',
      code: 70021,
      description: `No matching federated identity record found for presented assertion. Assertion Issuer: '${String(claims['iss'])}'. Assertion Subject: '${String(claims['sub'])}'. Assertion Audience: '${audiences.join(',')}'. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
    };
  }
  if (
    header['alg'] !== 'RS256' ||
    !verify('sha256', Buffer.from(`${h}.${p}`, 'utf8'), credential.publicKeyPem, Buffer.from(s, 'base64url'))
  ) {
    return invalidClient(700027, 'Client assertion failed signature validation.');
  }
  const exp = typeof claims['exp'] === 'number' ? claims['exp'] : undefined;
  const nbf = typeof claims['nbf'] === 'number' ? claims['nbf'] : undefined;
  const now = nowMs / 1000;
  if (exp === undefined || now > exp + SKEW_SECONDS || (nbf !== undefined && now < nbf - SKEW_SECONDS)) {
    return {
      status: 400,
      error: 'invalid_client',
      code: 700024,
      description: 'Client assertion is not within its valid time range.',
    };
  }
  return null;
}
