/**
 * Builds the real app on a fresh SQLite file with a log capture, for component tests through HTTP.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { LogCapture } from './log-capture';
import supertest from 'supertest';
import { buildApp, type BuiltApp } from '../../src/api/app';
import { composeServices, type MicrosoftOptions, type Services } from '../../src/composition-root';
import { loadConfig } from '../../src/config/config';
import type { Clock } from '../../src/clock';
import { SqliteStore } from '../../src/data-access/sqlite/sqlite-store';
import { createLogger } from '../../src/logging/logger';
import type { Store } from '../../src/domain/store.port';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdefghijklmnop';

export { LogCapture };

export interface Harness {
  built: BuiltApp;
  services: Services;
  store: Store;
  dbPath: string;
  logs: LogCapture;
  request: ReturnType<typeof supertest>;
  admin: string;
  secretsKey: Buffer;
  close(): Promise<void>;
}

export function tempDbPath(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'teams-meetings-test-'));
  return path.join(dir, 'test.db');
}

export interface HarnessOptions {
  rateLimitPerMinute?: number;
  unauthenticatedLimitPerMinute?: number;
  trustProxy?: boolean | number | string;
  /** The request budget (REQUEST_TIMEOUT_MS); default 30 s as in production. */
  requestTimeoutMs?: number;
  logLevel?: string;
  /** The service's time (records, leases, tokens, retries, budgets): a TestClock moves and waits at once. */
  clock?: Clock;
  microsoft?: MicrosoftOptions & { azureAuthorityHost?: string; graphBaseUrl?: string };
  /** Another store than a fresh SQLite file (PostgreSQL); the harness does not close it. */
  store?: Store;
  /** Instances of one deployment share SECRETS_KEY. */
  secretsKey?: Buffer;
  /** PUBLIC_BASE_URL (its host names calendar UIDs); default http://localhost. */
  publicBaseUrl?: string;
  /** More configuration, as environment variables (WEBHOOK_RETRY_DELAYS…). */
  env?: Record<string, string>;
}

export function makeHarness(options: HarnessOptions = {}): Harness {
  const dbPath = tempDbPath();
  const store = options.store ?? SqliteStore.open(dbPath);
  const logs = new LogCapture();
  const logger = createLogger(options.logLevel ?? 'debug', logs);
  const secretsKey = options.secretsKey ?? randomBytes(32);
  const config = loadConfig({
    ADMIN_API_KEY: ADMIN_KEY,
    SECRETS_KEY: secretsKey.toString('base64'),
    AZURE_AUTHORITY_HOST: options.microsoft?.azureAuthorityHost,
    GRAPH_BASE_URL: options.microsoft?.graphBaseUrl,
    REQUEST_TIMEOUT_MS: String(options.requestTimeoutMs ?? 30_000),
    PUBLIC_BASE_URL: options.publicBaseUrl ?? 'http://localhost',
    // The tests' webhook receivers listen on loopback over http.
    WEBHOOK_ALLOW_INSECURE: 'true',
    ...options.env,
  });
  const services = composeServices(config, store, {
    microsoft: options.microsoft ?? {},
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const built = buildApp({
    services,
    logger,
    rateLimitPerMinute: options.rateLimitPerMinute ?? 10_000,
    unauthenticatedLimitPerMinute: options.unauthenticatedLimitPerMinute ?? 10_000,
    trustProxy: options.trustProxy ?? false,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
  });
  return {
    built,
    services,
    store,
    dbPath,
    logs,
    request: supertest(built.app),
    admin: `Bearer ${ADMIN_KEY}`,
    secretsKey,
    close: async () => {
      services.close();
      if (!options.store) await store.close();
      fs.rmSync(path.dirname(dbPath), { recursive: true, force: true });
    },
  };
}

export const SECRET_VALUE = 'Qx8Q~AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';

export function validPartner(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    applicationId: '11111111-2222-3333-4444-555555555555',
    tenantId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    clientSecret: SECRET_VALUE,
    clientSecretExpiresAt: '2027-06-30',
    operatorLocalMatchField: 'email',
    operatorRemoteMatchField: 'mail',
    userLocalMatchField: 'email',
    userRemoteMatchField: 'userPrincipalName',
    ...overrides,
  };
}
