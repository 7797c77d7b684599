/**
 * Several instances on one PostgreSQL, as a platform deploys them behind a load balancer: the
 * rules of the contract hold across instances, and an instance rides out a PostgreSQL outage.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { PostgresStore } from '../../src/data-access/postgres/postgres-store';
import { SecretCipher } from '../../src/domain/partners/secret-cipher';
import { startSimulator, type MicrosoftSimulator } from '../../tools/microsoft-simulator';
import { expectContract } from '../support/contract';
import { TestClock } from '../support/clock';
import { makeHarness, type Harness } from '../support/harness';
import { APP_ID, appointment, makeWorld, TENANT_ID, type ServiceWorld } from '../support/service-world';
import { openPostgres } from '../support/postgres';

const URL_ = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SKIP = process.env.TEAMS_MEETINGS_SKIP_POSTGRES === '1';
const maybe = SKIP ? describe.skip : describe;
if (SKIP)
  process.stderr.write(
    '\n*** WARNING: TEAMS_MEETINGS_SKIP_POSTGRES=1: the multi-instance tests are SKIPPED. ***\n\n',
  );

let admin: Pool;
let sim: MicrosoftSimulator;
const schemas: string[] = [];

beforeAll(async () => {
  if (SKIP) return;
  admin = new Pool({ connectionString: URL_, max: 2 });
  admin.on('error', () => undefined);
  sim = await startSimulator();
});
afterAll(async () => {
  if (SKIP) return;
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
  await sim.close();
});

function freshSchema(): string {
  const schema = `tm_multi_${randomBytes(5).toString('hex')}`;
  schemas.push(schema);
  return schema;
}

function microsoftOptions() {
  return {
    azureAuthorityHost: sim.authorityHost,
    graphBaseUrl: sim.graphBaseUrl,
    extraCaPem: sim.caCertPem,
    attemptTimeoutMs: 3000,
    deadlineMs: 8000,
  };
}

maybe('two instances on one PostgreSQL database', () => {
  let a: ServiceWorld;
  let b: Harness;
  let storeA: PostgresStore;
  let storeB: PostgresStore;
  let schema: string;
  let cipher: SecretCipher;
  let secretsKey: Buffer;

  beforeEach(async () => {
    schema = freshSchema();
    secretsKey = randomBytes(32);
    cipher = new SecretCipher(secretsKey);
    [storeA, storeB] = await Promise.all([
      openPostgres(URL_, { schema, poolSize: 5 }),
      openPostgres(URL_, { schema, poolSize: 5 }),
    ]);
    a = await makeWorld({ sim, store: storeA, secretsKey });
    b = makeHarness({ store: storeB, secretsKey, microsoft: microsoftOptions() });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    await storeA.close();
    await storeB.close();
  });

  test('20 identical creates split across both at once make one Teams meeting and one row', async () => {
    const body = appointment();
    const key = `Bearer ${a.partnerKey}`;
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? a.h.request : b.request)
          .post('/appointments/meeting')
          .set('Authorization', key)
          .send(body),
      ),
    );
    expect(answers.map((r) => r.status).sort((x, y) => x - y)).toEqual([...Array(19).fill(200), 201]);
    expect(new Set(answers.map((r) => r.body.joinWebUrl)).size).toBe(1);
    expect(sim.meetings()).toHaveLength(1);
    const rows = await admin.query(`SELECT status FROM ${schema}.meetings`);
    expect(rows.rows).toEqual([{ status: 'scheduled' }]);
    // Other details through the other instance: a conflict.
    const other = await b.request
      .post('/appointments/meeting')
      .set('Authorization', key)
      .send({ ...body, subject: 'x' });
    expect(other.status).toBe(409);
  });

  test('/metrics counts the statements a warm create sends (3) and the waits for a pool connection', async () => {
    // A scrape reads the store too (the webhook backlog, /health, the setup watch): what one
    // scrape adds is measured with two scrapes in a row and taken off each count below.
    const scrape = async () => {
      const text = (await a.h.request.get('/metrics').set('Authorization', a.h.admin)).text;
      return Number(/^teams_meetings_store_statements_total (\d+)/m.exec(text)?.[1]);
    };
    expect((await a.create(appointment())).status).toBe(201);
    await scrape();
    const first = await scrape();
    let last = await scrape();
    const perScrape = last - first;
    const since = async () => {
      const now = await scrape();
      const sent = now - last - perScrape;
      last = now;
      return sent;
    };
    const body = appointment();
    expect((await a.create(body)).status).toBe(201);
    // The key and its partner, the claim, the record as created.
    expect(await since()).toBe(3);
    // A replay: the key, the claim that finds the record, the record.
    expect((await a.create(body)).status).toBe(200);
    expect(await since()).toBe(3);
    const metrics = (await a.h.request.get('/metrics').set('Authorization', a.h.admin)).text;
    expect(metrics).toMatch(/^teams_meetings_store_pool_connections\{state="max"\} 5$/m);
    expect(metrics).toMatch(/^teams_meetings_store_pool_waits_total 0$/m);

    // Ten statements at once on a pool of five: five of them wait for a connection.
    await Promise.all(Array.from({ length: 10 }, () => storeB.partners.get('uni-x')));
    const stats = storeB.stats();
    expect(stats.poolWaits).toBeGreaterThanOrEqual(5);
    expect(stats.poolWaitSeconds).toBeGreaterThan(0);
    expect(stats.statements).toBeGreaterThanOrEqual(10);
  });

  test('50 identical creates split across both make exactly one createOrGet', async () => {
    const body = appointment();
    const key = `Bearer ${a.partnerKey}`;
    sim.clearRequests();
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 === 0 ? a.h.request : b.request)
          .post('/appointments/meeting')
          .set('Authorization', key)
          .send(body),
      ),
    );
    expect(answers.map((r) => r.status).sort((x, y) => x - y)).toEqual([...Array(49).fill(200), 201]);
    expect(sim.requests().filter((r) => r.operation === 'onlineMeetings.createOrGet')).toHaveLength(1);
    expect(new Set(answers.map((r) => r.body.joinWebUrl)).size).toBe(1);
  });

  test('20 PATCHes split across both: every 200 true, no refused change in Teams, all three agree', async () => {
    const key = `Bearer ${a.partnerKey}`;
    const created = await a.create(appointment());
    const path = `/appointments/${encodeURIComponent(created.body.appointmentId)}/meeting`;
    sim.clearRequests();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? a.h.request : b.request)
          .patch(path)
          .set('Authorization', key)
          .send({ subject: `patch ${i}` }),
      ),
    );
    for (const r of answers) expect([200, 409]).toContain(r.status);
    answers.forEach((r, i) => r.status === 200 && expect(r.body.subject).toBe(`patch ${i}`));
    const applied = answers.filter((r) => r.status === 200).map((r) => r.body.subject as string);
    const sent = sim
      .requests()
      .filter((r) => r.operation === 'onlineMeetings.update')
      .map((r) => (r.body as { subject: string }).subject);
    expect(applied.length).toBeGreaterThan(0);
    expect([...sent].sort()).toEqual([...applied].sort());
    const last = sent[sent.length - 1];
    expect(sim.meetings()[0]!.subject).toBe(last);
    expect((await b.request.get(path).set('Authorization', key)).body.subject).toBe(last);
    const stored = await admin.query(`SELECT data->>'subject' AS subject FROM ${schema}.meetings`);
    expect(stored.rows).toEqual([{ subject: last }]);
  });

  test('partner PATCHes of different fields at once, on one instance and on both, keep both changes', async () => {
    const patch = (via: Harness, body: Record<string, unknown>) =>
      via.request.patch('/partners/uni-x').set('Authorization', a.h.admin).send(body);
    for (let round = 0; round < 40; round++) {
      const secret = `round${round}Q~${'s'.repeat(30)}`;
      const [first, second] = await Promise.all([
        patch(a.h, { operatorLocalMatchField: `field${round}` }),
        // Odd rounds through the other instance, even ones both through the same.
        patch(round % 2 ? b : a.h, {
          clientSecret: secret,
          clientSecretExpiresAt: `2027-01-${String((round % 28) + 1).padStart(2, '0')}`,
        }),
      ]);
      for (const answer of [first, second]) expect([200, 409]).toContain(answer.status);
      const stored = (await b.request.get('/partners/uni-x').set('Authorization', a.h.admin)).body;
      if (first.status === 200) expect(stored.operatorLocalMatchField).toBe(`field${round}`);
      if (second.status === 200)
        expect(stored.clientSecretExpiresAt).toMatch(
          new RegExp(`^2027-01-${String((round % 28) + 1).padStart(2, '0')}`),
        );
      if (second.status === 409) expect((second.body as { code: string }).code).toBe('CONCURRENT_UPDATE');
      // The secret written is the one stored: a PATCH of another field never restores an older one.
      const row = await admin.query(`SELECT client_secret_ciphertext AS c FROM ${schema}.partners`);
      if (second.status === 200) expect(cipher.decrypt(row.rows[0].c, 'uni-x')).toBe(secret);
    }
  });

  test("a PATCH whose answer Teams lost: read back, stored, and the other instance's read agrees", async () => {
    const key = `Bearer ${a.partnerKey}`;
    const created = await a.create(appointment());
    const path = `/appointments/${encodeURIComponent(created.body.appointmentId)}/meeting`;
    // Teams applies the change and its answer never comes, and cannot be read back at once either:
    // the record keeps the change it sent, and the next read (on the other instance) settles it.
    // (through an instance whose retries wait on a test clock, so that nothing here sleeps)
    const c = makeHarness({
      store: storeA,
      secretsKey,
      clock: new TestClock(),
      microsoft: microsoftOptions(),
    });
    sim.injectFault({ match: { operation: 'onlineMeetings.update' }, drop: 'after', times: Infinity });
    sim.injectFault({ match: { operation: 'onlineMeetings.get' }, status: 503, times: Infinity });
    const lost = await c.request.patch(path).set('Authorization', key).send({ subject: 'Changed' });
    await c.close();
    expect(lost.status).toBeGreaterThanOrEqual(500);
    const marked = await admin.query(`SELECT pending_change, lease_owner FROM ${schema}.meetings`);
    expect(marked.rows).toEqual([
      { pending_change: expect.objectContaining({ kind: 'update' }), lease_owner: null },
    ]);
    sim.clearFaults();
    const read = await b.request.get(path).set('Authorization', key);
    expect(read.body.subject).toBe('Changed');
    expect(read.body.calendar.sequence).toBe(1);
    const stored = await admin.query(
      `SELECT data->>'subject' AS subject, pending_change FROM ${schema}.meetings`,
    );
    expect(stored.rows).toEqual([{ subject: 'Changed', pending_change: null }]);
    expect((await a.h.request.get(path).set('Authorization', key)).body.subject).toBe('Changed');
  });

  test("calendar mode: 10 identical creates split across both make one event in the adviser's calendar", async () => {
    const key = `Bearer ${a.partnerKey}`;
    await a.h.request
      .patch('/partners/uni-x')
      .set('Authorization', a.h.admin)
      .send({ meetingMode: 'calendarEvent' });
    sim.scopeCalendars(TENANT_ID, APP_ID, [a.adviser.id]);
    const body = appointment({ attendees: [{ email: a.students[0]!.mail }] });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 === 0 ? a.h.request : b.request)
          .post('/appointments/meeting')
          .set('Authorization', key)
          .send(body),
      ),
    );
    expect(answers.map((r) => r.status).sort((x, y) => x - y)).toEqual([...Array(9).fill(200), 201]);
    expect(sim.events()).toHaveLength(1);
    expect(new Set(answers.map((r) => r.body.eventId))).toEqual(new Set([sim.events()[0]!.id]));
    expect(sim.mails()).toHaveLength(1);
    const stored = await admin.query(
      `SELECT data->>'eventId' AS event, data->>'iCalUId' AS uid FROM ${schema}.meetings`,
    );
    expect(stored.rows).toEqual([{ event: sim.events()[0]!.id, uid: sim.events()[0]!.iCalUId }]);
  });

  test('a cancel through one instance is seen by a GET through the other', async () => {
    const key = `Bearer ${a.partnerKey}`;
    const created = await a.create(appointment());
    const path = `/appointments/${encodeURIComponent(created.body.appointmentId)}/meeting`;
    expect((await a.h.request.delete(path).set('Authorization', key)).status).toBe(204);
    const seen = await b.request.get(path).set('Authorization', key);
    expect(seen.status).toBe(200);
    expect(seen.body.status).toBe('cancelled');
    expect(sim.meetings()).toHaveLength(0);
  });

  test('a key revoked and a secret changed through one instance take effect on the other at once', async () => {
    const key = `Bearer ${a.partnerKey}`;
    expect(
      (await b.request.post('/appointments/meeting').set('Authorization', key).send(appointment())).status,
    ).toBe(201);
    await a.h.request
      .patch('/partners/uni-x')
      .set('Authorization', a.h.admin)
      .send({ clientSecret: 'changed8Q~0000000000000000000000000000000' });
    const refused = await b.request
      .post('/appointments/meeting')
      .set('Authorization', key)
      .send(appointment());
    expect(refused.status).toBe(424);
    expect(refused.body.code).toBe('INVALID_CLIENT_SECRET');
    const keyId = (await a.h.request.get('/partners/uni-x/api-keys').set('Authorization', a.h.admin)).body
      .apiKeys[0].id;
    await a.h.request.delete(`/partners/uni-x/api-keys/${keyId}`).set('Authorization', a.h.admin);
    expect((await b.request.get(`/appointments/none/meeting`).set('Authorization', key)).status).toBe(401);
  });
});

/** A TCP relay in front of PostgreSQL that the test can cut and restore: an outage on demand. */
class Relay {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  async start(port = 0): Promise<void> {
    const target = new URL(URL_);
    this.server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

maybe('a PostgreSQL outage', () => {
  test('/health says unavailable (503), the API answers problem+json 503, and the instance recovers by itself', async () => {
    const relay = new Relay();
    await relay.start();
    const target = new URL(URL_);
    target.host = `127.0.0.1:${relay.port}`;
    const schema = freshSchema();
    const store = await openPostgres(target.toString(), {
      schema,
      poolSize: 3,
      connectionTimeoutMs: 1000,
    });
    const w = await makeWorld({ sim, store });
    try {
      expect((await w.h.request.get('/health')).status).toBe(200);
      expect((await w.create(appointment())).status).toBe(201);

      await relay.cut();
      const health = await w.h.request.get('/health');
      expect(health.status).toBe(503);
      expect(health.body.status).toBe('unavailable');
      expectContract(health, 'GET', '/health');
      const refused = await w.create(appointment());
      expect(refused.status).toBe(503);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body.code).toBe('STORE_UNAVAILABLE');
      expect(refused.headers['retry-after']).toBeDefined();
      expect(JSON.stringify(refused.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/i);

      await relay.start(relay.port);
      const back = await w.h.request.get('/health');
      expect(back.status).toBe(200);
      expect(back.body.status).toBe('ok');
      const created = await w.create(appointment());
      expect(created.status).toBe(201);
      const rows = await admin.query(
        `SELECT count(*)::int AS n FROM ${schema}.meetings WHERE status = 'scheduled'`,
      );
      expect(rows.rows[0].n).toBe(2);
    } finally {
      await w.close();
      await store.close();
      await relay.cut().catch(() => undefined);
    }
  });
});
