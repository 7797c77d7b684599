/**
 * PostgreSQL refusing connections, each way a server does it at connection time (a database not
 * accepting connections, CONNECT revoked from the role, the database gone): every request the
 * store cannot serve is 503 STORE_UNAVAILABLE with Retry-After, never a 500.
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { PostgresStore } from '../../src/data-access/postgres/postgres-store';
import { startSimulator, type MicrosoftSimulator } from '../../tools/microsoft-simulator';
import { appointment, makeWorld, type ServiceWorld } from '../support/service-world';
import { openPostgres } from '../support/postgres';

const URL_ = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SKIP = process.env.TEAMS_MEETINGS_SKIP_POSTGRES === '1';
const maybe = SKIP ? describe.skip : describe;

let admin: Pool;
let sim: MicrosoftSimulator;

beforeAll(async () => {
  if (SKIP) return;
  admin = new Pool({ connectionString: URL_, max: 2 });
  admin.on('error', () => undefined);
  sim = await startSimulator();
});
afterAll(async () => {
  if (SKIP) return;
  await admin.end();
  await sim.close();
});

function urlFor(database: string, user?: string): string {
  const url = new URL(URL_);
  url.pathname = `/${database}`;
  if (user) url.username = user;
  return url.toString();
}

/** The store's connections end, as when an administrator changes the database under it. */
async function dropConnections(database: string): Promise<void> {
  await admin.query(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [database],
  );
}

maybe('PostgreSQL refusing connections', () => {
  let database: string;
  let role: string;
  let store: PostgresStore;
  let world: ServiceWorld;

  beforeEach(async () => {
    const suffix = randomBytes(5).toString('hex');
    database = `tm_refuse_${suffix}`;
    role = `tm_refuse_${suffix}`;
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    await admin.query(`CREATE DATABASE ${database} OWNER ${role}`);
    store = await openPostgres(urlFor(database, role), { poolSize: 3, connectionTimeoutMs: 2000 });
    world = await makeWorld({ sim, store });
    expect((await world.create(appointment())).status).toBe(201);
  });
  afterEach(async () => {
    await world.close();
    await store.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
  });

  async function expectUnavailable(): Promise<void> {
    const created = await world.create(appointment());
    expect(created.status).toBe(503);
    expect(created.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(created.body.code).toBe('STORE_UNAVAILABLE');
    expect(Number(created.headers['retry-after'])).toBeGreaterThan(0);
    const admins = await world.h.request.get('/partners').set('Authorization', world.h.admin);
    expect(admins.status).toBe(503);
    expect(admins.body.code).toBe('STORE_UNAVAILABLE');
    const health = await world.h.request.get('/health');
    expect(health.status).toBe(503);
    expect(health.body.status).toBe('unavailable');
  }

  test('a database not accepting connections (55000)', async () => {
    await admin.query(`ALTER DATABASE ${database} WITH ALLOW_CONNECTIONS false`);
    await dropConnections(database);
    await expectUnavailable();
    // Back in service: the next request is served again, nothing lost.
    await admin.query(`ALTER DATABASE ${database} WITH ALLOW_CONNECTIONS true`);
    const body = appointment();
    expect((await world.create(body)).status).toBe(201);
    expect((await world.create(body)).status).toBe(200);
  });

  test("the role's CONNECT revoked (42501)", async () => {
    await admin.query(`REVOKE CONNECT ON DATABASE ${database} FROM PUBLIC, ${role}`);
    await dropConnections(database);
    await expectUnavailable();
  });

  test('the database gone (3D000)', async () => {
    await admin.query(`DROP DATABASE ${database} WITH (FORCE)`);
    await expectUnavailable();
  });
});
