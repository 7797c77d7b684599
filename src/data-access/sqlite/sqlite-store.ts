/**
 * The embedded store: one SQLite file (WAL), migrated at open. better-sqlite3 is synchronous; the
 * repositories still return promises so that they fill the same ports as PostgreSQL.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StoreUnavailableError, type Store, type StoreStats } from '../../domain/store.port';
import { inSpan, spansEnabled } from '../../telemetry/spans';
import {
  type ApiKeyRepository,
  type CertificateRepository,
  type SetupLinkRepository,
  type PartnerRepository,
} from '../../domain/partners/partners.port';
import { type AttendanceRepository, type MeetingRepository } from '../../domain/meetings/meetings.port';
import { SQLITE_MIGRATIONS, type Migration } from './migrations';
import { SqlitePartnerRepository } from './partner.repository';
import { SqliteApiKeyRepository } from './api-key.repository';
import { SqliteMeetingRepository } from './meeting.repository';
import { SqliteCertificateRepository } from './certificate.repository';
import { SqliteSetupLinkRepository } from './setup-link.repository';
import { SqliteAttendanceRepository } from './attendance.repository';
import { WriteBatcher } from './write-batcher';
import { SqliteOutboxRepository, SqliteWebhookRepository } from './webhook.repository';
import type { OutboxRepository, WebhookRepository } from '../../domain/events/events.port';
import type { ConsentStateRepository } from '../../domain/credentials/consent.port';
import type { SetupCheckRepository } from '../../domain/setup/setup-check.port';
import { SqliteSetupCheckRepository } from './setup-check.repository';
import { SqliteSetupWatchRepository } from './setup-watch.repository';
import type { SetupWatchRepository } from '../../domain/setup/setup-watch.port';
import { SqliteConsentStateRepository } from './consent-state.repository';

export class SqliteStore implements Store {
  readonly engine = 'sqlite' as const;
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
  /** Group commit of the meeting writes, the hot path's; admin writes commit on their own. */
  readonly writes: WriteBatcher;
  private readonly db: Database.Database;
  private closed = false;

  private constructor(db: Database.Database) {
    this.db = db;
    this.partners = guarded(new SqlitePartnerRepository(db));
    this.apiKeys = guarded(new SqliteApiKeyRepository(db));
    this.writes = new WriteBatcher(db);
    const outbox = new SqliteOutboxRepository(db, this.writes);
    this.outbox = guarded(outbox);
    this.webhooks = guarded(new SqliteWebhookRepository(db));
    this.consentStates = guarded(new SqliteConsentStateRepository(db));
    this.setupChecks = guarded(new SqliteSetupCheckRepository(db));
    this.setupWatch = guarded(new SqliteSetupWatchRepository(db));
    this.meetings = guarded(new SqliteMeetingRepository(db, this.writes, outbox));
    this.certificates = guarded(new SqliteCertificateRepository(db));
    this.setupLinks = guarded(new SqliteSetupLinkRepository(db));
    this.attendance = guarded(new SqliteAttendanceRepository(db));
  }

  /** Opens (creating the file and its folder on first run) and migrates the database. */
  static open(filePath: string, migrations: readonly Migration[] = SQLITE_MIGRATIONS): SqliteStore {
    if (filePath !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(filePath)), { recursive: true });
    const db = new Database(filePath);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // better-sqlite3 builds SQLite with a 16 MB page cache per connection. The hot pages (keys,
    // partners, the meetings' primary-key index and the newest rows) fit in far less; the rest is
    // served by the OS's file cache. At 4 MB the cache stops adding to the process's memory early,
    // instead of growing with the meetings table up to 16 MB (docs/BENCHMARKS.md, memory).
    db.pragma('cache_size = -4000');
    migrate(db, migrations);
    return new SqliteStore(db);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('store is closed');
    this.db.prepare('SELECT 1').get();
  }

  stats(): StoreStats {
    return { commits: this.writes.stats.batches, writes: this.writes.stats.writes };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.writes.flush();
    this.db.close();
  }
}

/** SQLite result codes that mean "the store cannot serve now", not "this request is wrong". */
const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|READONLY|CORRUPT|NOTADB|PROTOCOL)/;

function isUnavailable(error: unknown): boolean {
  // By message, not instanceof: the native addon's TypeError may come from another realm (jest's vm).
  if (/database connection is not open/i.test(String((error as Error | null)?.message))) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNAVAILABLE_CODES.test(code);
}

/** Every repository call in one place: engine failures become StoreUnavailableError. */
function guarded<T extends object>(repository: T): T {
  return new Proxy(repository, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const call = async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (error) {
          throw isUnavailable(error) ? new StoreUnavailableError(error) : error;
        }
      };
      if (!spansEnabled()) return call;
      // Tracing on: a span per repository call within a traced request (PostgreSQL's come from its
      // instrumentation); the worker's rounds, many a second, are not traces of their own.
      const name = `sqlite ${target.constructor.name.replace(/^Sqlite|Repository$/g, '')}.${String(property)}`;
      return (...args: unknown[]) =>
        inSpan(
          name,
          'client',
          () => ({ 'db.system.name': 'sqlite' }),
          () => call(...args),
        );
    },
  });
}

function migrate(db: Database.Database, migrations: readonly Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = new Set(
    db
      .prepare('SELECT version FROM schema_migrations')
      .all()
      .map((row) => (row as { version: number }).version),
  );
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue;
    // IMMEDIATE takes the write lock first, so two processes opening one file migrate once.
    db.transaction(() => {
      const again = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version);
      if (again) return;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, new Date().toISOString());
    }).immediate();
  }
}
