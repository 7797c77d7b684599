/**
 * Issues and checks the simulator's access tokens: RS256 JWTs shaped like Entra's app-only Graph
 * tokens (v1.0 claims: aud, iss, tid, appid, roles...), signed by a key each simulator makes at
 * start, so a token from another simulator (or a forged one) is refused.
 */
import { createHash, generateKeyPair, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { AccessTokenClaims } from './types';

const generateRsaKeyPair = promisify(generateKeyPair);

export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
/** Microsoft Graph's application ID; `{it}/.default` is the other accepted scope form. */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

export type TokenCheck = { ok: true; claims: AccessTokenClaims } | { ok: false; message: string };

function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

export class TokenSigner {
  private constructor(
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
    readonly keyId: string,
  ) {}

  static async create(): Promise<TokenSigner> {
    const { privateKey, publicKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048 });
    const der = publicKey.export({ type: 'spki', format: 'der' });
    const keyId = createHash('sha1').update(der).digest('base64url');
    return new TokenSigner(privateKey, publicKey, keyId);
  }

  /** An app-only token for Graph; `roles` is left out when the app has no consented permission. */
  issue(input: {
    tenantId: string;
    appId: string;
    servicePrincipalId: string;
    roles: string[];
    lifetimeSeconds: number;
  }): { token: string; claims: AccessTokenClaims } {
    const now = Math.floor(Date.now() / 1000);
    const claims: AccessTokenClaims = {
      aud: GRAPH_RESOURCE,
      iss: `https://sts.windows.net/${input.tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + input.lifetimeSeconds,
      tid: input.tenantId,
      appid: input.appId,
      oid: input.servicePrincipalId,
      sub: input.servicePrincipalId,
      idtyp: 'app',
      ver: '1.0',
      uti: randomUUID().replace(/-/g, '').slice(0, 22),
      ...(input.roles.length > 0 ? { roles: [...input.roles] } : {}),
    };
    const header = { typ: 'JWT', alg: 'RS256', x5t: this.keyId, kid: this.keyId };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(signingInput), this.privateKey);
    return { token: `${signingInput}.${base64url(signature)}`, claims };
  }

  /** Checks form, signature, audience and lifetime, with Graph's words for each failure. */
  check(token: string): TokenCheck {
    const parts = token.split('.');
    if (parts.length !== 3) {
      return {
        ok: false,
        message:
          "IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format. (JWS): 'EncodedHeader.EndcodedPayload.EncodedSignature'. (JWE): 'EncodedProtectedHeader.EncodedEncryptedKey.EncodedInitializationVector.EncodedCiphertext.EncodedAuthenticationTag'.",
      };
    }
    const [header, payload, signature] = parts as [string, string, string];
    const signatureOk = verify(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      this.publicKey,
      Buffer.from(signature, 'base64url'),
    );
    if (!signatureOk) {
      return { ok: false, message: 'Access token validation failure. Invalid signature.' };
    }
    let claims: AccessTokenClaims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as AccessTokenClaims;
    } catch {
      return { ok: false, message: 'Access token validation failure.' };
    }
    if (claims.aud !== GRAPH_RESOURCE && claims.aud !== GRAPH_APP_ID) {
      return { ok: false, message: 'Access token validation failure. Invalid audience.' };
    }
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp !== 'number' || claims.exp <= now) {
      return { ok: false, message: 'Lifetime validation failed, the token is expired.' };
    }
    if (typeof claims.nbf === 'number' && claims.nbf > now + 300) {
      return { ok: false, message: 'Lifetime validation failed, the token is not yet valid.' };
    }
    return { ok: true, claims };
  }

  /** The public key as a JWKS document, as `/{tenant}/discovery/v2.0/keys` serves it. */
  jwks(issuerBase: string): { keys: Array<Record<string, unknown>> } {
    const jwk = this.publicKey.export({ format: 'jwk' });
    return {
      keys: [
        { kty: 'RSA', use: 'sig', kid: this.keyId, x5t: this.keyId, n: jwk.n, e: jwk.e, issuer: issuerBase },
      ],
    };
  }
}

/** Reads a JWT's claims without checking it: for tests and diagnostics only. */
export function decodeClaims(token: string): AccessTokenClaims | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as AccessTokenClaims;
  } catch {
    return undefined;
  }
}
