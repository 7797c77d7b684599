/**
 * Webhooks from two instances on one PostgreSQL: each attempt is sent by one instance (leases
 * with FOR UPDATE SKIP LOCKED), so 50 events reach the receiver once each, none lost.
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import type { PostgresStore } from '../../src/data-access/postgres/postgres-store';
import { startSimulator, type MicrosoftSimulator } from '../../tools/microsoft-simulator';
import { startWebhookReceiver, type WebhookReceiver } from '../../tools/webhook-receiver/receiver';
import { makeHarness, type Harness } from '../support/harness';
import { openPostgres, TEST_DATABASE_URL } from '../support/postgres';
import { appointment, makeWorld, type ServiceWorld } from '../support/service-world';
import { registerWebhook } from '../support/webhooks';

const SKIP = process.env.TEAMS_MEETINGS_SKIP_POSTGRES === '1';
const maybe = SKIP ? describe.skip : describe;

maybe('webhooks from two instances on one PostgreSQL database', () => {
  let admin: Pool;
  let sim: MicrosoftSimulator;
  let schema: string;
  let storeA: PostgresStore;
  let storeB: PostgresStore;
  let a: ServiceWorld;
  let b: Harness;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    admin = new Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
    sim = await startSimulator();
    schema = `tm_hooks_${randomBytes(5).toString('hex')}`;
    const secretsKey = randomBytes(32);
    [storeA, storeB] = await Promise.all([
      openPostgres(TEST_DATABASE_URL, { schema, poolSize: 5 }),
      openPostgres(TEST_DATABASE_URL, { schema, poolSize: 5 }),
    ]);
    a = await makeWorld({ sim, store: storeA, secretsKey });
    b = makeHarness({
      store: storeB,
      secretsKey,
      microsoft: {
        azureAuthorityHost: sim.authorityHost,
        graphBaseUrl: sim.graphBaseUrl,
        extraCaPem: sim.caCertPem,
      },
    });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await a.close();
    await b.close();
    await storeA.close();
    await storeB.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
    await sim.close();
  });

  test('50 events made on both instances, sent by both at once: each received once, none lost', async () => {
    const webhook = await registerWebhook(a.h, a.h.admin, { url: receiver.url, events: ['meeting.created'] });
    receiver.setSecrets([webhook.secret]);
    const key = `Bearer ${a.partnerKey}`;
    const created = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 === 0 ? a.h.request : b.request)
          .post('/appointments/meeting')
          .set('Authorization', key)
          .send(appointment()),
      ),
    );
    expect(created.map((r) => r.status)).toEqual(Array(50).fill(201));
    // Both workers at once, round after round, until nothing is due.
    for (let round = 0; round < 10 && receiver.received.length < 50; round++) {
      await Promise.all([a.h.services.worker.runOnce(), b.services.worker.runOnce()]);
    }
    const ids = receiver.received.map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(50);
    expect(new Set(ids).size).toBe(50);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    const appointments = new Set(
      receiver.received.map((r) => (r.event!.data as { appointmentId: string }).appointmentId),
    );
    expect(appointments).toEqual(new Set(created.map((r) => r.body.appointmentId)));
    const { rows } = await admin.query(
      `SELECT status, attempts, count(*)::int AS n FROM ${schema}.webhook_deliveries GROUP BY status, attempts`,
    );
    expect(rows).toEqual([{ status: 'succeeded', attempts: 1, n: 50 }]);
    expect((await storeB.outbox.waiting()).count).toBe(0);
  });

  test('the event costs a create no statement of its own: still the key, the claim, the record', async () => {
    // The webhook of the test before wants meeting.created: the event and its delivery ride in
    // the record's statement.
    expect((await a.create(appointment())).status).toBe(201);
    const before = storeA.stats().statements!;
    expect((await a.create(appointment())).status).toBe(201);
    expect(storeA.stats().statements! - before).toBe(3);
    expect((await storeA.outbox.waiting()).count).toBe(2);
  });
});
