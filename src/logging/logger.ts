/**
 * pino, JSON to stdout, with every place a secret could hide removed by `redact`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Paths that never reach a log line, wherever a careless `log.info({ x })` puts them. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'authorization',
  '*.authorization',
  'clientSecret',
  '*.clientSecret',
  '*.*.clientSecret',
  'client_secret',
  '*.client_secret',
  'clientSecretCiphertext',
  '*.clientSecretCiphertext',
  'secret',
  '*.secret',
  'key',
  '*.key',
  'apiKey',
  '*.apiKey',
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'token',
  '*.token',
  'password',
  '*.password',
  'secretsKey',
  '*.secretsKey',
  'adminApiKey',
  '*.adminApiKey',
];

/**
 * The request a piece of work belongs to. Every log line written while serving it carries its
 * `requestId`, also from code that never sees the request (the Graph client, MSAL's network
 * client), because the id travels with the async context rather than with a logger object.
 */
export const requestScope = new AsyncLocalStorage<{ requestId: string }>();

function requestIdMixin(): { requestId?: string } {
  const scope = requestScope.getStore();
  return scope ? { requestId: scope.requestId } : {};
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'teams-meetings' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      mixin: requestIdMixin,
    },
    destination ?? pino.destination({ sync: false }),
  );
}
