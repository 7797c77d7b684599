import type { Config } from '../config/config';
import { ConfigError } from '../config/config';
import type { Store } from '../domain/ports';
import { SqliteStore } from './sqlite/sqlite-store';

/** Opens the store DATABASE_URL names, migrated and ready. */
export async function openStore(database: Config['database']): Promise<Store> {
  if (database.kind === 'sqlite') return SqliteStore.open(database.path);
  throw new ConfigError(
    'Configuration error: DATABASE_URL: PostgreSQL is not supported by this version yet; use sqlite:<path>.',
  );
}
