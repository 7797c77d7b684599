/**
 * A university on the platform app and one with its own registration, side by side on two
 * instances of one PostgreSQL: the consent made through one instance is in effect on the other.
 */
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import axios from 'axios';
import { Pool } from 'pg';
import type { PostgresStore } from '../../src/data-access/postgres/postgres-store';
import { startSimulator, type MicrosoftSimulator } from '../../tools/microsoft-simulator';
import { federatedIssuer } from '../../tools/fixtures/federation';
import { addPlatformApp, PLATFORM_APP_ID } from '../support/platform-app';
import { makeHarness, type Harness } from '../support/harness';
import { openPostgres, TEST_DATABASE_URL } from '../support/postgres';
import {
  appointment,
  makeWorld,
  TENANT_ID,
  universityPartner,
  type ServiceWorld,
} from '../support/service-world';

const SKIP = process.env.TEAMS_MEETINGS_SKIP_POSTGRES === '1';
const maybe = SKIP ? describe.skip : describe;

maybe('the platform app on two instances of one PostgreSQL', () => {
  let admin: Pool;
  let sim: MicrosoftSimulator;
  let schema: string;
  let stores: PostgresStore[];
  let a: ServiceWorld;
  let b: Harness;
  let tokenFile: string;

  beforeAll(async () => {
    admin = new Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
    sim = await startSimulator();
    schema = `tm_platform_${randomBytes(5).toString('hex')}`;
    const issuer = federatedIssuer();
    tokenFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'federated-')), 'token');
    fs.writeFileSync(tokenFile, issuer.mint());
    const env = { PLATFORM_APP_ID, AZURE_FEDERATED_TOKEN_FILE: tokenFile };
    const secretsKey = randomBytes(32);
    stores = await Promise.all([
      openPostgres(TEST_DATABASE_URL, { schema, poolSize: 4 }),
      openPostgres(TEST_DATABASE_URL, { schema, poolSize: 4 }),
    ]);
    a = await makeWorld({ sim, store: stores[0]!, secretsKey, env });
    b = makeHarness({
      store: stores[1]!,
      secretsKey,
      env,
      microsoft: {
        azureAuthorityHost: sim.authorityHost,
        graphBaseUrl: sim.graphBaseUrl,
        extraCaPem: sim.caCertPem,
      },
    });
    addPlatformApp(sim, issuer, 'http://localhost/setup/consent');
    sim.grantPolicy(TENANT_ID, a.adviser.id, PLATFORM_APP_ID);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    for (const store of stores) await store.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
    await sim.close();
  });

  test('consent through one instance, meetings through the other, beside an own-registration partner', async () => {
    const { applicationId: _a, clientSecret: _s, clientSecretExpiresAt: _e, ...rest } = universityPartner();
    expect(
      (
        await a.h.request
          .put('/partners/uni-p')
          .set('Authorization', a.h.admin)
          .send({ ...rest, credentialType: 'platformApp' })
      ).status,
    ).toBe(201);
    const key = (await a.h.request.post('/partners/uni-p/api-keys').set('Authorization', a.h.admin)).body
      .key as string;
    // Before consent, on either instance.
    expect(
      (
        await b.request
          .post('/appointments/meeting')
          .set('Authorization', `Bearer ${key}`)
          .send(appointment())
      ).body.code,
    ).toBe('CONSENT_REQUIRED');
    const link = await a.h.request.post('/partners/uni-p/consent-link').set('Authorization', a.h.admin);
    const entra = await axios.get(link.body.url as string, {
      httpsAgent: new https.Agent({ ca: sim.caCertPem }),
      maxRedirects: 0,
      validateStatus: () => true,
    });
    const back = new URL(entra.headers['location'] as string);
    // The admin's browser comes back to the other instance.
    expect((await b.request.get(`${back.pathname}${back.search}`)).status).toBe(200);
    // And the state cannot be spent again on the first.
    expect((await a.h.request.get(`${back.pathname}${back.search}`)).status).toBe(400);
    const onA = await a.create(appointment(), key);
    const onB = await b.request
      .post('/appointments/meeting')
      .set('Authorization', `Bearer ${key}`)
      .send(appointment());
    expect([onA.status, onB.status]).toEqual([201, 201]);
    expect((await a.create(appointment())).status).toBe(201);
    const ownViaB = await b.request
      .post('/appointments/meeting')
      .set('Authorization', `Bearer ${a.partnerKey}`)
      .send(appointment());
    expect(ownViaB.status).toBe(201);
    const apps = new Set(
      sim
        .requests()
        .filter((r) => r.operation === 'token')
        .map((r) => r.appId),
    );
    expect(apps).toEqual(new Set([PLATFORM_APP_ID, expect.any(String)]));
  });
});
