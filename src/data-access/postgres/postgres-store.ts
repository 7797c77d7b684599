/**
 * The PostgreSQL store: a pg.Pool, migrated at open. Several instances share one database; the
 * primary keys (not the process) make a claim happen once, and an advisory lock makes instances
 * booting together migrate once.
 */
import { Pool, type PoolClient } from 'pg';
import { StoreUnavailableError, type Store, type StoreStats } from '../../domain/store.port';
import {
  type ApiKeyRepository,
  type CertificateRepository,
  type SetupLinkRepository,
  type PartnerRepository,
} from '../../domain/partners/partners.port';
import { type AttendanceRepository, type MeetingRepository } from '../../domain/meetings/meetings.port';
import { MeasuredPool } from './measured-pool';
import { POSTGRES_MIGRATIONS, type Migration } from './migrations';
import { PostgresPartnerRepository } from './partner.repository';
import { PostgresApiKeyRepository } from './api-key.repository';
import { PostgresMeetingRepository } from './meeting.repository';
import { PostgresCertificateRepository } from './certificate.repository';
import { PostgresSetupLinkRepository } from './setup-link.repository';
import { PostgresAttendanceRepository } from './attendance.repository';
import { PostgresOutboxRepository, PostgresWebhookRepository } from './webhook.repository';
import type { OutboxRepository, WebhookRepository } from '../../domain/events/events.port';
import type { ConsentStateRepository } from '../../domain/credentials/consent.port';
import type { SetupCheckRepository } from '../../domain/setup/setup-check.port';
import { PostgresSetupCheckRepository } from './setup-check.repository';
import { PostgresSetupWatchRepository } from './setup-watch.repository';
import type { SetupWatchRepository } from '../../domain/setup/setup-watch.port';
import { PostgresConsentStateRepository } from './consent-state.repository';

export interface PostgresStoreOptions {
  /** Connections at most in the pool (DATABASE_POOL_SIZE). */
  poolSize: number;
  /** Server-side limit on every statement (DATABASE_STATEMENT_TIMEOUT_MS). */
  statementTimeoutMs: number;
  /**
   * Prepare each statement once per connection (default true). false sends every statement
   * unnamed, for a pooler between the service and PostgreSQL that cannot keep prepared
   * statements (PgBouncer before 1.21 in transaction mode).
   */
  preparedStatements?: boolean;
  /** How long to wait for a connection (new or from the pool) before giving up; default 5000 ms. */
  connectionTimeoutMs?: number;
  /** Idle connections are closed after this; default 30 000 ms. */
  idleTimeoutMs?: number;
  /** Tables live in this schema (created if missing) instead of the role's search_path. */
  schema?: string;
  /** Shown in pg_stat_activity; default "teams-meetings". */
  applicationName?: string;
  /** false: trust the schema as it is and do not touch it at open. Default true. */
  migrate?: boolean;
  migrations?: readonly Migration[];
  /** An idle connection failed (server restarted, network cut); the pool replaces it by itself. */
  onIdleError?: (error: Error) => void;
}

/** Key of the advisory lock held while migrating: any constant that no other tool of the database uses. */
const MIGRATION_LOCK_KEY = 7_244_018_311;

/** Unquoted PostgreSQL identifier: safe in a startup option and in DDL without quoting rules. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export class PostgresStore implements Store {
  readonly engine = 'postgres' as const;
  readonly partners: PartnerRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly meetings: MeetingRepository;
  readonly certificates: CertificateRepository;
  readonly setupLinks: SetupLinkRepository;
  readonly attendance: AttendanceRepository;
  readonly webhooks: WebhookRepository;
  readonly outbox: OutboxRepository;
  readonly consentStates: ConsentStateRepository;
  readonly setupChecks: SetupCheckRepository;
  readonly setupWatch: SetupWatchRepository;
  private readonly pool: Pool;
  private readonly measured: MeasuredPool;
  private closed = false;

  private constructor(pool: Pool, poolSize: number, preparedStatements: boolean) {
    this.pool = pool;
    const measured = new MeasuredPool(pool, poolSize, preparedStatements);
    this.measured = measured;
    this.partners = guarded(new PostgresPartnerRepository(measured));
    this.apiKeys = guarded(new PostgresApiKeyRepository(measured));
    this.meetings = guarded(new PostgresMeetingRepository(measured));
    this.certificates = guarded(new PostgresCertificateRepository(measured));
    this.setupLinks = guarded(new PostgresSetupLinkRepository(measured));
    this.attendance = guarded(new PostgresAttendanceRepository(measured));
    this.webhooks = guarded(new PostgresWebhookRepository(measured));
    this.outbox = guarded(new PostgresOutboxRepository(measured));
    this.consentStates = guarded(new PostgresConsentStateRepository(measured));
    this.setupChecks = guarded(new PostgresSetupCheckRepository(measured));
    this.setupWatch = guarded(new PostgresSetupWatchRepository(measured));
  }

  /** Connects and migrates; rejects with StoreUnavailableError when the server cannot be reached. */
  static async open(url: string, options: PostgresStoreOptions): Promise<PostgresStore> {
    if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
      throw new Error(`PostgreSQL schema name must match ${SCHEMA_NAME}: ${JSON.stringify(options.schema)}`);
    }
    const { poolSize } = options;
    const pool = new Pool({
      connectionString: url,
      max: poolSize,
      statement_timeout: options.statementTimeoutMs,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
      idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
      application_name: options.applicationName ?? 'teams-meetings',
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    // Without a listener, an idle client's error (PostgreSQL restarted) would crash the process.
    // The pool has already discarded that client; the next query opens a new connection.
    const onIdleError = options.onIdleError ?? (() => undefined);
    pool.on('error', (error) => onIdleError(error));
    try {
      if (options.migrate !== false) {
        await migrate(pool, options.migrations ?? POSTGRES_MIGRATIONS, options.schema);
      }
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw unavailableOrAsIs(error);
    }
    return new PostgresStore(pool, poolSize, options.preparedStatements ?? true);
  }

  async ping(): Promise<void> {
    try {
      await this.measured.query('SELECT 1');
    } catch (error) {
      throw unavailableOrAsIs(error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  stats(): StoreStats {
    return this.measured.stats();
  }
}

/**
 * SQLSTATE classes that mean "the store cannot serve now", not "this request is wrong":
 * 08 connection exception, 53 insufficient resources (too many connections, disk full),
 * 57P01-57P03 shutdown / cannot connect now, 57014 statement timeout (query_canceled).
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0[1-3]$|57014$)/;
const UNAVAILABLE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
// pg raises these as plain Errors without a code.
const UNAVAILABLE_MESSAGES =
  /connection terminated|timeout exceeded when trying to connect|cannot use a pool after calling end|not queryable|client was closed/i;

/** Exported for tests: whether an error from pg means the store is unavailable. */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  if (error instanceof AggregateError || Array.isArray((error as { errors?: unknown } | null)?.errors)) {
    const inner = (error as { errors: unknown[] }).errors;
    if (inner.some(isUnavailable)) return true;
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_NETWORK_CODES.has(code))) {
    return true;
  }
  return UNAVAILABLE_MESSAGES.test(String((error as Error | null)?.message));
}

function unavailableOrAsIs(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || !isUnavailable(error)) return error;
  return new StoreUnavailableError(error);
}

/** Every repository call in one place: engine failures become StoreUnavailableError. */
function guarded<T extends object>(repository: T): T {
  return new Proxy(repository, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (error) {
          throw unavailableOrAsIs(error);
        }
      };
    },
  });
}

async function migrate(
  pool: Pool,
  migrations: readonly Migration[],
  schema: string | undefined,
): Promise<void> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw new StoreUnavailableError(error);
  }
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    // Instances booting together queue here; the transaction's end releases the lock.
    // A long migration must not trip the per-statement timeout meant for requests.
    await client.query("SET LOCAL statement_timeout = '5min'");
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((row) => row.version));
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        new Date().toISOString(),
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    broken = error as Error;
    await rollback(client);
    throw error;
  } finally {
    // A client whose transaction failed is discarded rather than returned to the pool.
    client.release(broken);
  }
}

async function rollback(client: PoolClient): Promise<void> {
  try {
    await client.query('ROLLBACK');
  } catch {
    // The connection is gone; the server has rolled back already.
  }
}
