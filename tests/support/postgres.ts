/**
 * PostgreSQL for tests: the server CI provides (TEST_DATABASE_URL), and store options as a
 * deployment gets them by default (the configuration's defaults, stated once in its schema).
 */
import { PostgresStore, type PostgresStoreOptions } from '../../src/data-access/postgres/postgres-store';
import { loadConfig } from '../../src/config/config';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function configured(): Pick<PostgresStoreOptions, 'poolSize' | 'statementTimeoutMs' | 'preparedStatements'> {
  const { database } = loadConfig({
    ADMIN_API_KEY: 'x'.repeat(32),
    SECRETS_KEY: Buffer.alloc(32).toString('base64'),
    DATABASE_URL: TEST_DATABASE_URL,
  });
  if (database.kind !== 'postgres') throw new Error('TEST_DATABASE_URL must name PostgreSQL');
  const { poolSize, statementTimeoutMs, preparedStatements } = database;
  return { poolSize, statementTimeoutMs, preparedStatements };
}

/** Opens a store at `url` with the configuration's defaults, as overridden. */
export function openPostgres(
  url: string = TEST_DATABASE_URL,
  overrides: Partial<PostgresStoreOptions> = {},
): Promise<PostgresStore> {
  return PostgresStore.open(url, { ...configured(), ...overrides });
}
