/**
 * Redaction by what is secret, not by what looks like a header: the request's own secrets (its
 * key, the partner's client secret it used, a secret it sent) and the shapes of key blocks and
 * the service's own tokens never reach an answer or a log line, even when Microsoft echoes them;
 * text that only names a header (`Authorization: Bearer <key>`) reads as written.
 */
import { appointment, ROLES, TENANT_ID, worldsPerTest, type ServiceWorld } from '../support/service-world';

const worlds = worldsPerTest();

const KEY_BLOCK = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
  'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
].join('\n');

/** Graph answers a create with a 500 whose message quotes `text`. */
function echoOnCreate(w: ServiceWorld, text: string): void {
  w.sim.injectFault({
    match: { operation: 'onlineMeetings.createOrGet' },
    status: 500,
    times: Infinity,
    body: { error: { code: 'InternalServerError', message: `Something failed near ${text} here` } },
  });
}

function expectNowhere(w: ServiceWorld, answer: { text: string }, ...secrets: string[]): void {
  const logs = w.h.logs.text();
  for (const secret of secrets) {
    expect(answer.text).not.toContain(secret);
    expect(logs).not.toContain(secret);
  }
}

test('the 401 answer names the header as written, not as a redacted secret', async () => {
  const w = await worlds.world();
  const res = await w.h.request.get('/appointments/x/meeting');
  expect(res.status).toBe(401);
  expect(res.body.detail).toBe('Send the key as `Authorization: Bearer <key>`.');
});

test('a private-key block quoted by Graph reaches neither the answer nor the logs', async () => {
  const w = await worlds.world({ graph: { maxAttempts: 1 } });
  echoOnCreate(w, KEY_BLOCK);
  const res = await w.create(appointment());
  expect(res.status).toBe(502);
  expect(res.body.detail).toMatch(/Something failed near \[redacted\]/);
  expectNowhere(w, res, 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw', 'BEGIN PRIVATE KEY');
});

test("a setup link's token quoted by Graph reaches neither the answer nor the logs", async () => {
  const w = await worlds.world({ graph: { maxAttempts: 1 } });
  const link = await w.h.request.post('/partners/uni-x/setup-links').set('Authorization', w.h.admin).send({});
  const token = new URL(link.body.url as string).hash.slice(1);
  echoOnCreate(w, token);
  const res = await w.create(appointment());
  expect(res.status).toBe(502);
  expectNowhere(w, res, token, token.slice(4, 30));
});

test('a client secret of any shape and the partner key, quoted by Graph, are redacted', async () => {
  // A secret without Entra's `Q~` shape: only knowing it as this request's secret finds it.
  const odd = 'plain-Secret_value.with-no~known-shape-42';
  const appId = '0e9e4f4b-2a57-4d0c-8a3e-6f1f7c1d2b3a';
  const w = await worlds.world({ graph: { maxAttempts: 1 } });
  w.sim.addApp({ tenantId: TENANT_ID, appId, secrets: [{ value: odd, id: 'odd-secret-id' }], roles: ROLES });
  w.sim.grantPolicy(TENANT_ID, w.adviser.id, appId);
  const patched = await w.h.request
    .patch('/partners/uni-x')
    .set('Authorization', w.h.admin)
    .send({ applicationId: appId, clientSecret: odd });
  expect(patched.status).toBe(200);
  const body = appointment();
  expect((await w.create(body)).status).toBe(201);
  echoOnCreate(w, `${odd} and ${w.partnerKey}`);
  const res = await w.create(appointment());
  expect(res.status).toBe(502);
  expect(res.body.detail).toMatch(/Something failed near \[redacted\] and \[redacted\]/);
  expectNowhere(w, res, odd, w.partnerKey);
});
