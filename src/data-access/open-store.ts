import type { Config } from '../config/config';
import type { Store } from '../domain/store.port';
import { PostgresStore, type PostgresStoreOptions } from './postgres/postgres-store';
import { SqliteStore } from './sqlite/sqlite-store';

/** Opens the store DATABASE_URL names, migrated and ready. */
export async function openStore(
  database: Config['database'],
  options: Pick<PostgresStoreOptions, 'onIdleError'> = {},
): Promise<Store> {
  if (database.kind === 'sqlite') return SqliteStore.open(database.path);
  return PostgresStore.open(database.url, {
    poolSize: database.poolSize,
    statementTimeoutMs: database.statementTimeoutMs,
    preparedStatements: database.preparedStatements,
    ...options,
  });
}
