/**
 * What no log line and no answer may carry, wherever it sits:
 *  - the value of any field whose name says secret (`authorization`, `clientSecret`,
 *    `client_secret`, `accessToken`, `password`, `key`, `privateKeyPem`, … at any depth, any case);
 *  - the secrets this process and this request know, whatever their shape: the admin key and
 *    SECRETS_KEY, the key a request came with, a secret it sent, the client secret it signed a
 *    token request with (`rememberSecret`);
 *  - secrets inside text by their shape: credentials after `Bearer `/`Basic `, `client_secret=…`
 *    and the other OAuth form fields, JWTs, PEM private-key blocks (also cut short), partner keys
 *    (`tmk_…`), setup-link tokens (`tms_…`), webhook secrets (`whsec_…`) and Entra client secret
 *    values (`xxx8Q~…`). Text that only names a header (`Bearer <key>`) is left as written.
 * Errors, at any key, are flattened by pino's own error serializer first, so that an axios error
 * that escapes (its `config.headers.Authorization`, its form body with `client_secret=`) is cleaned
 * like the rest. Objects that are not plain data (sockets, requests, class instances) are logged
 * as `[ClassName]`. One pass over the line's own object, copying only what changes: about a
 * microsecond for a request line, where pino's path-based redact took about 15 µs with its
 * wildcards and still missed secrets deeper than its paths or inside text.
 */
import pino from 'pino';

export const CENSOR = '[redacted]';

import { requestScope } from '../request-scope';

const SECRET_NAMES = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'key',
  'secret',
  'password',
  'passphrase',
  'token',
  'assertion',
  'client_assertion',
  'ciphertext',
]);
/** Names ending so are secret too: clientSecret, client_secret, accessToken, id_token, apiKey, secretsKey… */
const SECRET_SUFFIX =
  /(secret|token|password|passphrase|apikey|api_key|secretskey|secrets_key|ciphertext|privatekey|privatekeypem)$/;

const SECRET_IN_TEXT = new RegExp(
  [
    // An Authorization header's credentials (token characters only: `Bearer <key>` names none).
    String.raw`\b(?:Bearer|Basic)\s+[\w.~+/=-]{8,}`,
    // PEM private-key blocks, whole or cut short (a bounded upstream message).
    String.raw`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)`,
    // OAuth and form fields (Entra token requests, query strings).
    String.raw`\b(?:client_secret|client_assertion|access_token|refresh_token|id_token|password)=[^\s&"',;]*`,
    // JWTs (access tokens, assertions).
    String.raw`\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*`,
    // Partner keys, setup-link tokens and webhook secrets issued by this service.
    String.raw`\b(?:tmk|tms|whsec)_[\w+/=-]{8,}`,
    // Entra client secret values: up to three characters, a digit, "Q~", then at least 30 more.
    String.raw`[\w.~-]{0,3}\dQ~[\w.~-]{30,}`,
  ].join('|'),
  'gi',
);

const MAX_DEPTH = 8;

function isSecretName(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_NAMES.has(lower) || SECRET_SUFFIX.test(lower);
}

/** Shorter values are not secrets worth the name (and would censor ordinary words). */
const MIN_KNOWN_SECRET_LENGTH = 8;

/** Secrets of the whole process (the admin key, SECRETS_KEY), redacted from every line and answer. */
const processSecrets = new Set<string>();

/** Makes `value` a secret of the whole process. */
export function rememberProcessSecret(value: string): void {
  if (value.length >= MIN_KNOWN_SECRET_LENGTH) processSecrets.add(value);
}

/**
 * Makes `value` a secret of the current request (its key, a secret it sent or used): redacted
 * from its log lines and its answer, whatever its shape. Outside a request, nothing happens.
 */
export function rememberSecret(value: string): void {
  const scope = requestScope.getStore();
  if (scope === undefined || value.length < MIN_KNOWN_SECRET_LENGTH) return;
  (scope.secrets ??= new Set()).add(value);
}

/** Remembers, as the request's secrets, the text values of every secret-named field of `value`. */
export function rememberSecretsIn(value: unknown, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return;
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'string' && isSecretName(key)) rememberSecret(item.trim());
    else rememberSecretsIn(item, depth + 1);
  }
}

function withoutKnownSecrets(text: string): string {
  let out = text;
  for (const secret of processSecrets) if (out.includes(secret)) out = out.split(secret).join(CENSOR);
  const secrets = requestScope.getStore()?.secrets;
  if (secrets) for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(CENSOR);
  return out;
}

/** `text` with every secret it holds replaced by the censor. */
export function scrubText(text: string): string {
  const known = withoutKnownSecrets(text);
  SECRET_IN_TEXT.lastIndex = 0;
  if (!SECRET_IN_TEXT.test(known)) return known;
  return known.replace(SECRET_IN_TEXT, (match) => {
    const cut = match.search(/[\s=]/);
    // Keep the scheme or field name ("Bearer ", "client_secret="), so the line still says what was there.
    return cut > 0 && cut < 20 && !match.startsWith('-----') ? `${match.slice(0, cut + 1)}${CENSOR}` : CENSOR;
  });
}

/** A copy of a log line's object that is safe to write; `value` itself is never changed. */
export function redactValue(value: unknown, depth = 0, seen: Set<object> = new Set()): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (seen.has(value)) return '[circular]';
  if (value instanceof Error) {
    seen.add(value);
    const plain = pino.stdSerializers.err(value) as unknown as Record<string, unknown>;
    const cleaned = redactEntries(plain, depth, seen, true);
    seen.delete(value);
    return cleaned;
  }
  if (Array.isArray(value)) {
    seen.add(value);
    let copy: unknown[] | undefined;
    value.forEach((item: unknown, i) => {
      const cleaned = redactValue(item, depth + 1, seen);
      if (cleaned !== item) (copy ??= [...value])[i] = cleaned;
    });
    seen.delete(value);
    return copy ?? value;
  }
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto !== Object.prototype && proto !== null) {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return redactValue(toJSON.call(value), depth, seen);
    return `[${(value.constructor as { name?: string } | undefined)?.name || 'object'}]`;
  }
  seen.add(value);
  const cleaned = redactEntries(value as Record<string, unknown>, depth, seen, false);
  seen.delete(value);
  return cleaned;
}

function redactEntries(
  object: Record<string, unknown>,
  depth: number,
  seen: Set<object>,
  alwaysCopy: boolean,
): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined = alwaysCopy ? {} : undefined;
  const keys = Object.keys(object);
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i]!;
    const item = object[key];
    const cleaned =
      item !== undefined && item !== null && item !== '' && isSecretName(key)
        ? CENSOR
        : redactValue(item, depth + 1, seen);
    if (copy) copy[key] = cleaned;
    else if (cleaned !== item) {
      copy = {};
      for (let j = 0; j < i; j += 1) copy[keys[j]!] = object[keys[j]!];
      copy[key] = cleaned;
    }
  }
  return copy ?? object;
}
