/**
 * The service's configuration: one schema that parses the environment (and `.env` when present)
 * into a typed object, every default stated once. Bad or missing values stop the boot with one
 * line for each variable, all of them at once.
 */
import fs from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { GUID_PATTERN } from '../domain/guid';
import type { PlatformApp } from '../domain/credentials/platform-app';
import dotenv from 'dotenv';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function httpsOrigin(name: string) {
  return z
    .string()
    .trim()
    .refine((value) => {
      try {
        return new URL(value).protocol === 'https:';
      } catch {
        return false;
      }
    }, `${name} must be an https:// URL`)
    .transform((value) => value.replace(/\/+$/, ''));
}

/** The service's own address as people reach it: an http(s) origin, perhaps with a path prefix. */
const publicBaseUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return (
        (url.protocol === 'https:' || url.protocol === 'http:') && !url.search && !url.hash && !url.username
      );
    } catch {
      return false;
    }
  }, 'PUBLIC_BASE_URL must be an http(s):// address without query, fragment or credentials (https://meetings.example.com)')
  .transform((value) => value.replace(/\/+$/, ''));

const databaseUrl = z
  .string()
  .trim()
  .refine(
    (value) => /^sqlite:.+/.test(value) || /^postgres(ql)?:\/\/.+/.test(value),
    'DATABASE_URL must be sqlite:<path> or postgres://… / postgresql://…',
  );

const secretsKey = z
  .string()
  .trim()
  .refine((value) => /^[A-Za-z0-9+/]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length === 32, {
    message: 'SECRETS_KEY must be 32 bytes encoded in base64 (e.g. `openssl rand -base64 32`)',
  })
  .transform((value) => Buffer.from(value, 'base64'));

const integer = (name: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be between ${min} and ${max}`);

/** The extra CA file's certificates, read now: Node reads NODE_EXTRA_CA_CERTS only at its start. */
const extraCaFile = z
  .string()
  .trim()
  .transform((file, ctx) => {
    let pem: string;
    try {
      pem = fs.readFileSync(file, 'utf8');
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `NODE_EXTRA_CA_CERTS names a file that cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): ${file}`,
      });
      return z.NEVER;
    }
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    const readable = blocks.filter((block) => {
      try {
        new X509Certificate(block);
        return true;
      } catch {
        return false;
      }
    });
    if (readable.length === 0 || readable.length !== blocks.length) {
      ctx.addIssue({
        code: 'custom',
        message: `NODE_EXTRA_CA_CERTS holds no readable PEM certificate: ${file}`,
      });
      return z.NEVER;
    }
    return readable.join('\n');
  });

const DURATION_UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `5s,5m,30m,2h`: waits in milliseconds, each between 1 s and 7 days, at most 20 of them. */
const durations = (name: string) =>
  z
    .string()
    .trim()
    .regex(
      /^\d+(ms|s|m|h|d)(\s*,\s*\d+(ms|s|m|h|d))*$/,
      `${name} must be a comma-separated list of durations such as 5s,5m,30m,2h (units ms, s, m, h, d)`,
    )
    .transform((value) =>
      value.split(',').map((part) => {
        const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(part.trim())!;
        return Number(amount) * DURATION_UNITS_MS[unit as keyof typeof DURATION_UNITS_MS];
      }),
    )
    .refine((waits) => waits.length <= 20 && waits.every((ms) => ms >= 1000 && ms <= 7 * 86_400_000), {
      message: `${name} must hold at most 20 durations, each from 1s to 7d`,
    });

const trueOrFalse = (name: string) =>
  z.enum(['true', 'false'], { error: `${name} must be true or false` }).transform((v) => v === 'true');

/**
 * Every variable the service reads, each default stated here once, and the typed configuration
 * made from them: `Config` is what this schema gives.
 */
const configSchema = z
  .object({
    PORT: integer('PORT', 0, 65535).default(3000),
    HOST: z.string().trim().min(1).default('0.0.0.0'),
    PUBLIC_BASE_URL: publicBaseUrl.optional(),
    DATABASE_URL: databaseUrl.default('sqlite:./data/teams-meetings.db'),
    ADMIN_API_KEY: z.string().min(32, 'ADMIN_API_KEY must be at least 32 characters'),
    SECRETS_KEY: secretsKey,
    AZURE_AUTHORITY_HOST: httpsOrigin('AZURE_AUTHORITY_HOST').optional(),
    GRAPH_BASE_URL: httpsOrigin('GRAPH_BASE_URL').optional(),
    NODE_EXTRA_CA_CERTS: extraCaFile.optional(),
    DATABASE_POOL_SIZE: integer('DATABASE_POOL_SIZE', 1, 200).default(10),
    DATABASE_STATEMENT_TIMEOUT_MS: integer('DATABASE_STATEMENT_TIMEOUT_MS', 100, 600_000).default(5000),
    DATABASE_PREPARED_STATEMENTS: trueOrFalse('DATABASE_PREPARED_STATEMENTS').default(true),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    RATE_LIMIT_PER_MINUTE: integer('RATE_LIMIT_PER_MINUTE', 1, 1_000_000).default(600),
    UNAUTHENTICATED_LIMIT_PER_MINUTE: integer('UNAUTHENTICATED_LIMIT_PER_MINUTE', 1, 1_000_000).default(60),
    TRUST_PROXY: z
      .string()
      .trim()
      .regex(
        /^(true|false|\d{1,2}|(loopback|linklocal|uniquelocal|[0-9a-fA-F.:/]+)(\s*,\s*(loopback|linklocal|uniquelocal|[0-9a-fA-F.:/]+))*)$/,
        'TRUST_PROXY must be false, true, a number of proxy hops, or a comma-separated list of addresses/subnets (loopback, linklocal, uniquelocal)',
      )
      .default('false'),
    SHUTDOWN_TIMEOUT_MS: integer('SHUTDOWN_TIMEOUT_MS', 100, 60_000).default(8000),
    REQUEST_TIMEOUT_MS: integer('REQUEST_TIMEOUT_MS', 1000, 120_000).default(30_000),
    // No default here: the HTTP client's (DEFAULT_MAX_SOCKETS) applies.
    OUTBOUND_MAX_SOCKETS: integer('OUTBOUND_MAX_SOCKETS', 1, 10_000).optional(),
    SHUTDOWN_GRACE_MS: integer('SHUTDOWN_GRACE_MS', 0, 120_000).default(5000),
    CALENDAR_CONCURRENCY_PER_MAILBOX: integer('CALENDAR_CONCURRENCY_PER_MAILBOX', 1, 4).default(4),
    WEBHOOK_ALLOW_INSECURE: trueOrFalse('WEBHOOK_ALLOW_INSECURE').default(false),
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: trueOrFalse('WEBHOOK_ALLOW_PRIVATE_NETWORKS').default(false),
    WEBHOOK_RETRY_DELAYS: durations('WEBHOOK_RETRY_DELAYS').default([
      5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 86_400_000, 86_400_000,
    ]),
    ATTENDANCE_CHECK_DELAYS: durations('ATTENDANCE_CHECK_DELAYS').default([
      600_000, 3_600_000, 21_600_000, 86_400_000,
    ]),
    PLATFORM_APP_ID: z
      .string()
      .trim()
      .regex(GUID_PATTERN, 'PLATFORM_APP_ID must be the application (client) ID of the platform app, a GUID')
      .optional(),
    AZURE_FEDERATED_TOKEN_FILE: z.string().trim().optional(),
    PLATFORM_APP_CERTIFICATE_PATH: z.string().trim().optional(),
    PLATFORM_APP_CLIENT_SECRET: z.string().optional(),
    REDIS_URL: z
      .string()
      .trim()
      .regex(/^rediss?:\/\/\S+$/, 'REDIS_URL must be a redis:// or rediss:// URL')
      .optional(),
    REDIS_KEY_PREFIX: z
      .string()
      .trim()
      .regex(
        /^[A-Za-z0-9:_.-]{1,64}$/,
        'REDIS_KEY_PREFIX must be 1-64 of letters, digits, ":", "_", ".", "-"',
      )
      .default('teams-meetings'),
    WORKER: z.enum(['on', 'off'], { error: 'WORKER must be on or off' }).default('on'),
    // Set by `npm run sandbox` only: marks every log line so that nobody mistakes it for production.
    TEAMS_MEETINGS_SANDBOX: z
      .enum(['0', '1'], { error: 'TEAMS_MEETINGS_SANDBOX must be 0 or 1' })
      .default('0'),
  })
  .transform((e, ctx) => ({
    /** TARGETconnect's own multi-tenant application and its one credential, when it runs one. */
    platformApp: platformAppOf(e, ctx),
    port: e.PORT,
    host: e.HOST,
    /**
     * The service's address as people reach it (PUBLIC_BASE_URL; default http://localhost:<PORT>).
     * Its host names the calendar invites' UIDs: keep it stable.
     */
    publicBaseUrl: e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`,
    database: e.DATABASE_URL.startsWith('sqlite:')
      ? { kind: 'sqlite' as const, path: e.DATABASE_URL.slice('sqlite:'.length) }
      : {
          kind: 'postgres' as const,
          url: e.DATABASE_URL,
          poolSize: e.DATABASE_POOL_SIZE,
          statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
          /** false behind a pooler that cannot keep them (PgBouncer before 1.21 in transaction mode). */
          preparedStatements: e.DATABASE_PREPARED_STATEMENTS,
        },
    adminApiKey: e.ADMIN_API_KEY,
    /** 32-byte key for AES-256-GCM encryption of secrets at rest. */
    secretsKey: e.SECRETS_KEY,
    azureAuthorityHost: e.AZURE_AUTHORITY_HOST,
    graphBaseUrl: e.GRAPH_BASE_URL,
    /** NODE_EXTRA_CA_CERTS's certificates, trusted by the service's own HTTPS agents (Entra, Graph). */
    extraCaPem: e.NODE_EXTRA_CA_CERTS,
    logLevel: e.LOG_LEVEL,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    /** Failed authentications per client address and minute. */
    unauthenticatedLimitPerMinute: e.UNAUTHENTICATED_LIMIT_PER_MINUTE,
    /** Express `trust proxy`: false, true, a hop count, or addresses/subnets. */
    trustProxy:
      e.TRUST_PROXY === 'true'
        ? true
        : e.TRUST_PROXY === 'false'
          ? false
          : /^\d+$/.test(e.TRUST_PROXY)
            ? Number(e.TRUST_PROXY)
            : e.TRUST_PROXY,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    /** After SIGTERM, how long /health answers 503 (and requests are still served) before the listener closes. */
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    /** One request's whole time budget: every step (store, tokens, Graph, waits) draws from it. */
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    /** Sockets per Microsoft origin (Entra, Graph) at most; more requests wait for one. */
    outboundMaxSockets: e.OUTBOUND_MAX_SOCKETS,
    /** This instance's calls at once to one adviser's calendar (Outlook allows 4 per application and mailbox). */
    calendarConcurrencyPerMailbox: e.CALENDAR_CONCURRENCY_PER_MAILBOX,
    sandbox: e.TEAMS_MEETINGS_SANDBOX === '1',
    webhooks: {
      /** http:// and loopback targets (the sandbox and tests). */
      allowInsecure: e.WEBHOOK_ALLOW_INSECURE,
      allowPrivateNetworks: e.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
      /** Waits between delivery attempts: attempt n+1 comes retryDelaysMs[n-1] after attempt n. */
      retryDelaysMs: e.WEBHOOK_RETRY_DELAYS,
    },
    /** When, after a meeting's end, its attendance report is looked for. */
    attendanceCheckDelaysMs: e.ATTENDANCE_CHECK_DELAYS,
    /** Shared rate limits across instances; absent: each instance counts its own. */
    redisUrl: e.REDIS_URL,
    /** Keeps this deployment's counters apart from another's in a shared Redis. */
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    /** Whether `npm start` runs the worker (deliveries, attendance looks) beside the HTTP server. */
    worker: e.WORKER === 'on',
  }));

/**
 * PLATFORM_APP_ID with exactly one credential: a federated token file (read now, and again at
 * every token request), a PEM holding the certificate and its key, or a secret. Anything less or
 * more is a line naming the variable.
 */
function platformAppOf(
  e: {
    PLATFORM_APP_ID?: string | undefined;
    AZURE_FEDERATED_TOKEN_FILE?: string | undefined;
    PLATFORM_APP_CERTIFICATE_PATH?: string | undefined;
    PLATFORM_APP_CLIENT_SECRET?: string | undefined;
  },
  ctx: z.RefinementCtx,
): PlatformApp | null {
  const fail = (name: string, message: string) => {
    ctx.addIssue({ code: 'custom', path: [name], message });
    return null;
  };
  const given = (
    [
      ['AZURE_FEDERATED_TOKEN_FILE', e.AZURE_FEDERATED_TOKEN_FILE],
      ['PLATFORM_APP_CERTIFICATE_PATH', e.PLATFORM_APP_CERTIFICATE_PATH],
      ['PLATFORM_APP_CLIENT_SECRET', e.PLATFORM_APP_CLIENT_SECRET],
    ] as const
  ).filter(([, value]) => value !== undefined);
  if (e.PLATFORM_APP_ID === undefined) {
    // A credential alone is a platform app half-configured (AZURE_FEDERATED_TOKEN_FILE is also set
    // by Azure Workload Identity for other uses: it alone does not count).
    const own = given.filter(([name]) => name !== 'AZURE_FEDERATED_TOKEN_FILE');
    return own.length > 0 ? fail('PLATFORM_APP_ID', `PLATFORM_APP_ID is required with ${own[0]![0]}`) : null;
  }
  if (given.length !== 1) {
    return fail(
      'PLATFORM_APP_ID',
      given.length === 0
        ? 'PLATFORM_APP_ID needs one credential: AZURE_FEDERATED_TOKEN_FILE, PLATFORM_APP_CERTIFICATE_PATH or PLATFORM_APP_CLIENT_SECRET'
        : `PLATFORM_APP_ID takes one credential, not ${given.map(([name]) => name).join(' and ')}`,
    );
  }
  const [name, value] = given[0]!;
  if (name === 'PLATFORM_APP_CLIENT_SECRET') {
    return { appId: e.PLATFORM_APP_ID, credential: { type: 'clientSecret', secret: value! } };
  }
  let text: string;
  try {
    text = fs.readFileSync(value!, 'utf8');
  } catch (error) {
    return fail(
      name,
      `${name} names a file that cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): ${value}`,
    );
  }
  if (name === 'AZURE_FEDERATED_TOKEN_FILE') {
    if (text.trim().split('.').length !== 3) return fail(name, `${name} does not hold a JWT: ${value}`);
    return { appId: e.PLATFORM_APP_ID, credential: { type: 'federated', tokenFile: value! } };
  }
  try {
    const certificate = new X509Certificate(text);
    const key = createPrivateKey(text);
    if (!certificate.checkPrivateKey(key)) return fail(name, `${name}: the key is not the certificate's`);
    return {
      appId: e.PLATFORM_APP_ID,
      credential: {
        type: 'certificate',
        thumbprint: certificate.fingerprint.replaceAll(':', ''),
        thumbprintSha256: certificate.fingerprint256.replaceAll(':', '').toLowerCase(),
        privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
        notAfter: new Date(certificate.validTo).toISOString(),
      },
    };
  } catch {
    return fail(name, `${name} must hold the certificate and its private key (PEM, unencrypted): ${value}`);
  }
}

export type LogLevel = (typeof LOG_LEVELS)[number];

/** The service's configuration, as the schema above makes it. */
export type Config = z.output<typeof configSchema>;

/** Every bad variable, one line each (`Configuration error: NAME: what is wrong`). */
export class ConfigError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment. Throws a ConfigError with one line for every bad variable; never
 * returns a half-valid configuration.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, as in most .env files.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = configSchema.safeParse(present);
  if (parsed.success) return parsed.data;
  const lines = new Map<string, string>();
  for (const issue of parsed.error.issues) {
    const name = String(issue.path[0] ?? 'environment');
    if (lines.has(name)) continue;
    const message = issue.code === 'invalid_type' ? `${name} is required` : issue.message;
    lines.set(name, `Configuration error: ${name}: ${message}`);
  }
  throw new ConfigError([...lines.values()]);
}

/**
 * The environment with `.env` (in the working directory, when present) read into it, once, for
 * the processes that run from a configuration (the service and the doctor). Variables already
 * set win over the file's.
 */
export function environment(): NodeJS.ProcessEnv {
  if (fs.existsSync('.env')) dotenv.config({ path: '.env', quiet: true });
  return process.env;
}
