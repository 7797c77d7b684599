/**
 * The store contract against a real PostgreSQL (TEST_DATABASE_URL, default the CI's local server),
 * each test in a fresh schema dropped afterwards, plus what only a server can show: concurrent
 * migration, an unreachable server, a restarted connection and the statement timeout.
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { PostgresStore, type PostgresStoreOptions } from '../../src/data-access/postgres/postgres-store';
import { StoreUnavailableError } from '../../src/domain/store.port';
import { describeStoreContract, partner } from './repositories.contract';
import { describeOutboxContract } from './outbox.contract';
import { POSTGRES_MIGRATIONS } from '../../src/data-access/postgres/migrations';
import { openPostgres } from '../support/postgres';

const URL_ = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SHOWN_URL = redact(URL_);
const SKIP = process.env.TEAMS_MEETINGS_SKIP_POSTGRES === '1';

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable TEST_DATABASE_URL>';
  }
}

function freshSchema(): string {
  return `tm_test_${randomBytes(6).toString('hex')}`;
}

let admin: Pool;
let reachable = false;
let ran = 0;

if (SKIP) {
  process.stderr.write(
    `\n*** WARNING: TEAMS_MEETINGS_SKIP_POSTGRES=1: the PostgreSQL store tests are SKIPPED. ` +
      `Nothing here shows that the PostgreSQL store works. ***\n\n`,
  );
} else {
  beforeAll(async () => {
    admin = new Pool({ connectionString: URL_, max: 3, connectionTimeoutMillis: 3000 });
    admin.on('error', () => undefined);
    try {
      await admin.query('SELECT 1');
      reachable = true;
    } catch (error) {
      await admin.end().catch(() => undefined);
      throw new Error(
        `PostgreSQL at ${SHOWN_URL} is unreachable (${(error as Error).message}). ` +
          `Start it (on the CI image: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start), ` +
          `point TEST_DATABASE_URL at another server, or set TEAMS_MEETINGS_SKIP_POSTGRES=1 to skip these tests explicitly.`,
      );
    }
  });

  afterEach(() => {
    if (reachable) ran++;
  });

  afterAll(async () => {
    await admin?.end().catch(() => undefined);
    // .ci/run looks for this line: proof that the PostgreSQL store was tested, not skipped.
    process.stdout.write(
      reachable
        ? `\nPostgreSQL store tests: ${ran} ran against ${SHOWN_URL}\n`
        : `\nPostgreSQL store tests: none ran, ${SHOWN_URL} was unreachable\n`,
    );
  });
}

async function dropSchema(schema: string): Promise<void> {
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}

async function openFresh(
  options: Partial<PostgresStoreOptions> = {},
): Promise<{ store: PostgresStore; schema: string }> {
  const schema = freshSchema();
  const store = await openPostgres(URL_, { schema, poolSize: 5, applicationName: schema, ...options });
  return { store, schema };
}

const describePostgres = SKIP ? describe.skip : describe;

describePostgres('PostgreSQL', () => {
  const fresh = async () => {
    const { store, schema } = await openFresh();
    return {
      store,
      async cleanup() {
        await store.close();
        await dropSchema(schema);
      },
    };
  };
  describeStoreContract('postgres', fresh);
  describeOutboxContract('postgres', fresh);

  describe('migrations', () => {
    it('migrate once when two stores open one fresh schema at the same moment', async () => {
      const schema = freshSchema();
      try {
        const stores = await Promise.all([
          openPostgres(URL_, { schema, poolSize: 2 }),
          openPostgres(URL_, { schema, poolSize: 2 }),
        ]);
        const { rows } = await admin.query<{ version: number }>(
          `SELECT version FROM ${schema}.schema_migrations ORDER BY version`,
        );
        expect(rows).toEqual(POSTGRES_MIGRATIONS.map(({ version }) => ({ version })));
        expect(await stores[0].partners.insert(partner('p1'))).toBe(true);
        expect(await stores[1].partners.get('p1')).toEqual(partner('p1'));
        await Promise.all(stores.map((store) => store.close()));
      } finally {
        await dropSchema(schema);
      }
    });

    it('leave a migrated schema as it is on the next open', async () => {
      const { store, schema } = await openFresh();
      try {
        await store.partners.insert(partner('p1'));
        await store.close();
        const again = await openPostgres(URL_, { schema });
        expect(await again.partners.list()).toEqual([partner('p1')]);
        const { rows } = await admin.query(`SELECT version FROM ${schema}.schema_migrations`);
        expect(rows).toHaveLength(POSTGRES_MIGRATIONS.length);
        await again.close();
      } finally {
        await dropSchema(schema);
      }
    });

    it('prepares each statement once per connection, and re-prepares it after a migration elsewhere', async () => {
      const { store, schema } = await openFresh({ poolSize: 1 });
      try {
        await store.partners.insert(partner('p1'));
        expect(await store.partners.get('p1')).toEqual(partner('p1'));
        // Another instance migrates: the prepared SELECT * would now return another row type.
        await admin.query(`ALTER TABLE ${schema}.partners ADD COLUMN added_later TEXT`);
        expect(await store.partners.get('p1')).toEqual(partner('p1'));
        // The upsert, the first read, and the second read twice: refused as prepared before the
        // change (proof that it was prepared), then prepared anew.
        expect(store.stats().statements).toBe(4);
      } finally {
        await store.close();
        await dropSchema(schema);
      }
    });

    it('reads the keys asked for in one turn with one statement, each answered as if alone', async () => {
      const { store, schema } = await openFresh();
      try {
        await store.partners.insert(partner('p1'));
        await store.partners.insert(partner('p2'));
        const key = (id: string, partnerId: string) => ({
          id,
          partnerId,
          keyHash: `hash-${id}`,
          keyPrefix: 'tmk_abcd',
          createdAt: '2026-12-01T10:00:00.000Z',
          lastUsedAt: null,
        });
        await store.apiKeys.insert(key('k1', 'p1'));
        await store.apiKeys.insert(key('k2', 'p2'));
        const before = store.stats().statements!;
        const [a, b, again, unknown] = await Promise.all(
          ['hash-k1', 'hash-k2', 'hash-k1', 'hash-none'].map((h) => store.apiKeys.findByHash(h)),
        );
        expect(store.stats().statements! - before).toBe(1);
        expect(a?.partner.id).toBe('p1');
        expect(b?.partner.id).toBe('p2');
        expect(again).toEqual(a);
        expect(again).not.toBe(a);
        expect(unknown).toBeNull();
        // A key revoked before a read is asked for is not found by it.
        await store.apiKeys.delete('p2', 'k2');
        expect(await store.apiKeys.findByHash('hash-k2')).toBeNull();
        expect(store.stats().statements! - before).toBe(3);
      } finally {
        await store.close();
        await dropSchema(schema);
      }
    });

    it('sends statements unnamed when told to (a pooler that cannot keep prepared statements)', async () => {
      const { store, schema } = await openFresh({ poolSize: 1, preparedStatements: false });
      try {
        await store.partners.insert(partner('p1'));
        expect(await store.partners.get('p1')).toEqual(partner('p1'));
        await admin.query(`ALTER TABLE ${schema}.partners ADD COLUMN added_later TEXT`);
        expect(await store.partners.get('p1')).toEqual(partner('p1'));
        // Nothing prepared, so nothing refused and sent again: three statements, not four.
        expect(store.stats().statements).toBe(3);
      } finally {
        await store.close();
        await dropSchema(schema);
      }
    });

    it('refuse a schema name that is not a plain identifier', async () => {
      await expect(openPostgres(URL_, { schema: 'x; DROP TABLE y' })).rejects.toThrow(/schema name/);
    });
  });

  describe('an unavailable server', () => {
    const DEAD = 'postgres://postgres@127.0.0.1:1/test';

    it('makes repository calls and ping reject quickly with StoreUnavailableError', async () => {
      const store = await openPostgres(DEAD, { migrate: false, connectionTimeoutMs: 500 });
      const started = Date.now();
      await expect(store.partners.get('p1')).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.apiKeys.findByHash('h')).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.meetings.get('p1', 'a1')).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(3000);
      await store.close();
    });

    it('makes open reject with StoreUnavailableError', async () => {
      await expect(openPostgres(DEAD, { connectionTimeoutMs: 500 })).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
    });

    it('survives its connections being terminated by the server, and reconnects by itself', async () => {
      const idleErrors: Error[] = [];
      const { store, schema } = await openFresh({ onIdleError: (error) => idleErrors.push(error) });
      try {
        await store.partners.insert(partner('p1'));
        const { rows } = await admin.query<{ ok: boolean }>(
          'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1',
          [schema],
        );
        expect(rows.length).toBeGreaterThan(0);
        // The idle client learns of it from the server; give that a moment to arrive.
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(idleErrors.length).toBeGreaterThan(0);
        expect(await store.partners.get('p1')).toEqual(partner('p1'));
        await expect(store.ping()).resolves.toBeUndefined();
      } finally {
        await store.close();
        await dropSchema(schema);
      }
    });

    it('turns the statement timeout into StoreUnavailableError', async () => {
      const { store, schema } = await openFresh({ statementTimeoutMs: 200 });
      const locker = await admin.connect();
      try {
        await locker.query('BEGIN');
        await locker.query(`LOCK TABLE ${schema}.partners IN ACCESS EXCLUSIVE MODE`);
        const error: unknown = await store.partners.list().catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect(((error as Error).cause as { code?: string }).code).toBe('57014');
      } finally {
        await locker.query('ROLLBACK');
        locker.release();
        await store.close();
        await dropSchema(schema);
      }
    });
  });
});
