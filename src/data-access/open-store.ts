import type { Config } from '../config/config';
import type { Store } from '../domain/store.port';
import type { PostgresStoreOptions } from './postgres/postgres-store';
import { SqliteStore } from './sqlite/sqlite-store';

/** Opens the store DATABASE_URL names, migrated and ready. */
export async function openStore(
  database: Config['database'],
  options: Pick<PostgresStoreOptions, 'onIdleError'> = {},
): Promise<Store> {
  if (database.kind === 'sqlite') return SqliteStore.open(database.path);
  // pg and the PostgreSQL store are loaded only for PostgreSQL (start-up on SQLite without them).
  const { PostgresStore } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('./postgres/postgres-store') as typeof import('./postgres/postgres-store');
  return PostgresStore.open(database.url, {
    poolSize: database.poolSize,
    statementTimeoutMs: database.statementTimeoutMs,
    preparedStatements: database.preparedStatements,
    ...options,
  });
}
