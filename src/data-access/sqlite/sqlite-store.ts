/**
 * The embedded store: one SQLite file (WAL), migrated at open. better-sqlite3 is synchronous; the
 * repositories still return promises so that they fill the same ports as PostgreSQL.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Store } from '../../domain/ports';
import { SQLITE_MIGRATIONS, type Migration } from './migrations';
import { SqlitePartnerRepository } from './partner.repository';
import { SqliteApiKeyRepository } from './api-key.repository';

export class SqliteStore implements Store {
  readonly engine = 'sqlite' as const;
  readonly partners: SqlitePartnerRepository;
  readonly apiKeys: SqliteApiKeyRepository;
  private readonly db: Database.Database;
  private closed = false;

  private constructor(db: Database.Database) {
    this.db = db;
    this.partners = new SqlitePartnerRepository(db);
    this.apiKeys = new SqliteApiKeyRepository(db);
  }

  /** Opens (creating the file and its folder on first run) and migrates the database. */
  static open(filePath: string, migrations: readonly Migration[] = SQLITE_MIGRATIONS): SqliteStore {
    if (filePath !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(filePath)), { recursive: true });
    const db = new Database(filePath);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, migrations);
    return new SqliteStore(db);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('store is closed');
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
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
