/**
 * Events to TARGETconnect through real webhooks: the service's API, its worker (rounds run on the
 * test's clock) and a real HTTP receiver on loopback. Signatures are checked by the receiver and
 * by the `standardwebhooks` package, as a receiver would.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { SecretCipher } from '../../src/domain/partners/secret-cipher';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { TestClock } from '../support/clock';
import {
  appointment,
  ROLES,
  universityPartner,
  worldsPerTest,
  type ServiceWorld,
} from '../support/service-world';
import { registerWebhook, runWorker } from '../support/webhooks';
import {
  startWebhookReceiver,
  verifySignature,
  type WebhookReceiver,
} from '../../tools/webhook-receiver/receiver';
import { expectContract } from '../support/contract';
import { HttpWebhookSender } from '../../src/integrations/webhooks/webhook-sender';

const worlds = worldsPerTest();
let receiver: WebhookReceiver;

beforeEach(async () => {
  receiver = await startWebhookReceiver();
});
afterEach(async () => {
  await receiver.close();
});

const partnerAuth = (w: ServiceWorld) => `Bearer ${w.partnerKey}`;

async function subscribed(w: ServiceWorld, events: string[] = ['*'], key = partnerAuth(w)) {
  const webhook = await registerWebhook(w.h, key, { url: `${receiver.url}/hooks/tc`, events });
  receiver.setSecrets([webhook.secret]);
  return webhook;
}

function deliveries(w: ServiceWorld, webhookId: string, key = partnerAuth(w)) {
  return w.h.request.get(`/webhooks/${webhookId}/deliveries`).set('Authorization', key);
}

describe('registering', () => {
  test('POST /webhooks answers the secret once; it is stored sealed; GET never shows it', async () => {
    const w = await worlds.world();
    const res = await w.h.request
      .post('/webhooks')
      .set('Authorization', partnerAuth(w))
      .send({ url: `${receiver.url}/a`, events: ['meeting.created', 'meeting.created'], description: 'TC' });
    expect(res.status).toBe(201);
    expectContract(res, 'post', '/webhooks');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({
      url: `${receiver.url}/a`,
      events: ['meeting.created'],
      partnerId: 'uni-x',
      enabled: true,
      description: 'TC',
    });
    expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const stored = await w.h.store.webhooks.get(res.body.id);
    expect(stored!.secretCiphertext).not.toContain(res.body.secret.slice(6));
    const got = await w.h.request.get(`/webhooks/${res.body.id}`).set('Authorization', partnerAuth(w));
    expect(got.status).toBe(200);
    expectContract(got, 'get', '/webhooks/{webhookId}');
    expect(got.body.secret).toBeUndefined();
    expect(JSON.stringify(w.h.logs.lines)).not.toContain(res.body.secret);
    expect(JSON.stringify(w.h.logs.lines)).not.toContain('/a"');
  });

  test('bad bodies are 400 with every issue named', async () => {
    const w = await worlds.world();
    const res = await w.h.request
      .post('/webhooks')
      .set('Authorization', partnerAuth(w))
      .send({ url: 42, events: ['meeting.exploded'], extra: true });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(
      expect.arrayContaining(['body.url', 'body.events.0']),
    );
  });

  test.each([
    ['https://169.254.169.254/latest/meta-data', /169\.254\.169\.254 is a link-local, metadata/],
    ['http://[fe80::1]/hook', /fe80::1 is a link-local/],
    ['http://[::ffff:169.254.169.254]/x', /169\.254\.169\.254 is a link-local/],
    ['https://10.1.2.3/hook', /10\.1\.2\.3 is in a private network .*WEBHOOK_ALLOW_PRIVATE_NETWORKS/],
    ['https://192.168.0.10/hook', /private network/],
    ['https://[fd12::1]/hook', /private network/],
    ['ftp://127.0.0.1/hook', /scheme must be https or http/],
    ['http://user:pw@127.0.0.1/hook', /user name or password/],
    ['https://0.0.0.0/hook', /reserved/],
  ])('refuses %s with the reason (and sends nothing)', async (url, reason) => {
    const w = await worlds.world();
    const res = await w.h.request
      .post('/webhooks')
      .set('Authorization', partnerAuth(w))
      .send({ url, events: ['*'] });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors).toEqual([{ field: 'body.url', message: expect.stringMatching(reason) }]);
    expect(await w.h.store.webhooks.list()).toEqual([]);
  });

  test('without WEBHOOK_ALLOW_INSECURE: http and loopback are refused, also behind a name', async () => {
    const w = await worlds.world({ env: { WEBHOOK_ALLOW_INSECURE: 'false' } });
    const post = (url: string) =>
      w.h.request
        .post('/webhooks')
        .set('Authorization', partnerAuth(w))
        .send({ url, events: ['*'] });
    expect((await post(receiver.url)).body.errors[0].message).toBe('the scheme must be https');
    expect((await post('https://127.0.0.1:9/x')).body.errors[0].message).toMatch(
      /127\.0\.0\.1 is a loopback address \(allowed only with WEBHOOK_ALLOW_INSECURE=true\)/,
    );
    expect((await post('https://localhost:9/x')).body.errors[0].message).toMatch(
      /^localhost resolves to (127\.0\.0\.1|::1): .* loopback address/,
    );
  });

  test('a target is checked again at each attempt, on the address connected to', async () => {
    // Stored while its name pointed at a public address; now the name resolves to loopback (as
    // after a DNS change): the attempt resolves it again and refuses, and nothing is sent.
    const w = await worlds.world({ env: { WEBHOOK_ALLOW_INSECURE: 'false' } });
    const webhook = await registerWebhook(w.h, partnerAuth(w), {
      url: 'https://93.184.215.14/hook',
      events: ['*'],
    });
    const stored = (await w.h.store.webhooks.get(webhook.id))!;
    const port = new URL(receiver.url).port;
    await w.h.store.webhooks.update({ ...stored, url: `https://localhost:${port}/hook`, version: 2 }, 1);
    expect((await w.create(appointment())).status).toBe(201);
    await runWorker(w);
    expect(receiver.received).toEqual([]);
    const log = await deliveries(w, webhook.id);
    expect(log.body.deliveries[0]).toMatchObject({
      type: 'meeting.created',
      attempt: 1,
      status: 'pending',
      responseStatus: null,
      error: expect.stringMatching(/^Refused target: localhost resolves to (127\.0\.0\.1|::1): .*loopback/),
    });
  });
});

describe('delivering', () => {
  test('Standard Webhooks headers and signature, verified by the receiver and by the standardwebhooks package', async () => {
    const w = await worlds.world();
    const webhook = await subscribed(w, ['meeting.created']);
    const body = appointment();
    const created = await w.create(body);
    expect(created.status).toBe(201);
    expect(await runWorker(w)).toMatchObject({ delivered: 1 });
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    expect(got!.verified).toBe(true);
    expect(got!.headers).toMatchObject({
      'content-type': 'application/json',
      'webhook-id': expect.stringMatching(/^evt_[A-Za-z0-9_-]{22}$/),
      'webhook-timestamp': expect.stringMatching(/^\d{10}$/),
      'webhook-signature': expect.stringMatching(/^v1,[A-Za-z0-9+/]{43}=$/),
    });
    // The package a receiver would use accepts it (timestamp tolerance included).
    const verified = new Webhook(webhook.secret).verify(got!.body, got!.headers) as Record<string, unknown>;
    expect(verified).toMatchObject({
      id: got!.headers['webhook-id'],
      type: 'meeting.created',
      partnerId: 'uni-x',
    });
    // data: the meeting as GET answers it, plus its sequence.
    const read = await w.h.request
      .get(`/appointments/${body.appointmentId}/meeting`)
      .set('Authorization', partnerAuth(w));
    expect(got!.event!.data).toEqual({ ...read.body, sequence: expect.any(Number) });
    expect(got!.event!.createdAt).toMatch(/Z$/);
    // A tampered body no longer verifies.
    expect(() =>
      new Webhook(webhook.secret).verify(got!.body.replace('uni-x', 'uni-y'), got!.headers),
    ).toThrow();
  });

  test('created, updated, cancelled: one event each, the sequence rising, nothing sent for a replay or a GET', async () => {
    const w = await worlds.world();
    await subscribed(w);
    const body = appointment();
    const path = `/appointments/${body.appointmentId}/meeting`;
    expect((await w.create(body)).status).toBe(201);
    expect((await w.create(body)).status).toBe(200);
    expect((await w.h.request.get(path).set('Authorization', partnerAuth(w))).status).toBe(200);
    expect(
      (
        await w.h.request
          .patch(path)
          .set('Authorization', partnerAuth(w))
          .send({ subject: 'Careers guidance (moved)' })
      ).status,
    ).toBe(200);
    expect((await w.h.request.delete(path).set('Authorization', partnerAuth(w))).status).toBe(204);
    expect((await w.h.request.delete(path).set('Authorization', partnerAuth(w))).status).toBe(204);
    await runWorker(w);
    const events = receiver.received.map((r) => r.event!);
    expect(events.map((e) => e.type)).toEqual(['meeting.created', 'meeting.updated', 'meeting.cancelled']);
    const sequences = events.map((e) => (e.data as { sequence: number }).sequence);
    expect(sequences[0]!).toBeLessThan(sequences[1]!);
    expect(sequences[1]!).toBeLessThan(sequences[2]!);
    expect(events[1]!.data).toMatchObject({ subject: 'Careers guidance (moved)', status: 'scheduled' });
    expect(events[2]!.data).toMatchObject({ status: 'cancelled' });
    expect(new Set(events.map((e) => e.id)).size).toBe(3);
  });

  test('two failures, then success: the same webhook-id each time, waiting WEBHOOK_RETRY_DELAYS on the clock', async () => {
    const clock = new TestClock();
    const w = await worlds.world({ clock, env: { WEBHOOK_RETRY_DELAYS: '5s,5m' } });
    const webhook = await subscribed(w, ['meeting.created']);
    receiver.respondWith(500, 503);
    expect((await w.create(appointment())).status).toBe(201);
    await runWorker(w);
    expect(receiver.received.map((r) => r.status)).toEqual([500]);
    let log = (await deliveries(w, webhook.id)).body.deliveries;
    expect(log).toEqual([
      expect.objectContaining({
        attempt: 1,
        status: 'pending',
        responseStatus: 500,
        error: 'The receiver answered 500.',
      }),
    ]);
    expect(Date.parse(log[0].nextAttemptAt) - Date.parse(log[0].lastAttemptAt)).toBeGreaterThanOrEqual(4_900);
    // Not due yet: nothing sent.
    await runWorker(w);
    expect(receiver.received).toHaveLength(1);
    clock.advance(5_000);
    await runWorker(w);
    expect(receiver.received.map((r) => r.status)).toEqual([500, 503]);
    clock.advance(299_000);
    await runWorker(w);
    expect(receiver.received).toHaveLength(2);
    clock.advance(1_000);
    await runWorker(w);
    expect(receiver.received.map((r) => r.status)).toEqual([500, 503, 204]);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    // Each attempt is signed anew with its own timestamp (of the test's clock, hence not "fresh" here).
    const timestamps = receiver.received.map((r) => Number(r.headers['webhook-timestamp']));
    expect(timestamps[1]! - timestamps[0]!).toBeGreaterThanOrEqual(5);
    for (const r of receiver.received) {
      const h = r.headers;
      expect(
        verifySignature(
          [webhook.secret],
          h['webhook-id']!,
          h['webhook-timestamp']!,
          r.body,
          h['webhook-signature']!,
        ),
      ).toBe(true);
    }
    log = (await deliveries(w, webhook.id)).body.deliveries;
    expect(log).toEqual([
      expect.objectContaining({
        attempt: 3,
        status: 'succeeded',
        responseStatus: 204,
        error: null,
        nextAttemptAt: null,
      }),
    ]);
    expectContract(await deliveries(w, webhook.id), 'get', '/webhooks/{webhookId}/deliveries');
  });

  test('a schedule spent marks the delivery failed; a retry sends it again now', async () => {
    const clock = new TestClock();
    const w = await worlds.world({ clock, env: { WEBHOOK_RETRY_DELAYS: '5s' } });
    const webhook = await subscribed(w, ['meeting.created']);
    receiver.respondWith(500, 502);
    expect((await w.create(appointment())).status).toBe(201);
    await runWorker(w);
    clock.advance(5_000);
    await runWorker(w);
    const [failed] = (await deliveries(w, webhook.id)).body.deliveries;
    expect(failed).toMatchObject({ attempt: 2, status: 'failed', responseStatus: 502, nextAttemptAt: null });
    clock.advance(86_400_000);
    await runWorker(w);
    expect(receiver.received).toHaveLength(2);
    const retry = await w.h.request
      .post(`/webhooks/${webhook.id}/deliveries/${failed.eventId}/retry`)
      .set('Authorization', partnerAuth(w));
    expect(retry.status).toBe(202);
    expectContract(retry, 'post', '/webhooks/{webhookId}/deliveries/{eventId}/retry');
    await runWorker(w);
    expect(receiver.received.map((r) => r.status)).toEqual([500, 502, 204]);
    expect(receiver.received[2]!.headers['webhook-id']).toBe(failed.eventId);
    const unknown = await w.h.request
      .post(`/webhooks/${webhook.id}/deliveries/evt_AAAAAAAAAAAAAAAAAAAAAA/retry`)
      .set('Authorization', partnerAuth(w));
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
  });

  test('410 Gone disables the webhook at once; nothing more is sent to it', async () => {
    const w = await worlds.world();
    const webhook = await subscribed(w);
    receiver.respondWith(410);
    expect((await w.create(appointment())).status).toBe(201);
    await runWorker(w);
    const got = await w.h.request.get(`/webhooks/${webhook.id}`).set('Authorization', partnerAuth(w));
    expect(got.body).toMatchObject({ enabled: false, disabledReason: expect.stringMatching(/410 Gone/) });
    expect((await deliveries(w, webhook.id)).body.deliveries[0]).toMatchObject({
      status: 'failed',
      responseStatus: 410,
    });
    expect((await w.create(appointment())).status).toBe(201);
    await runWorker(w);
    expect(receiver.received).toHaveLength(1);
    expect(
      w.h.logs.entries().some((l) => l.msg === 'webhook delivery failed' && l.outcome === 'disabled'),
    ).toBe(true);
    // Enabled again: new events flow.
    await w.h.request
      .patch(`/webhooks/${webhook.id}`)
      .set('Authorization', partnerAuth(w))
      .send({ enabled: true });
    expect((await w.create(appointment())).status).toBe(201);
    await runWorker(w);
    expect(receiver.received).toHaveLength(2);
  });

  test('a slow receiver: no answer within the timeout is a failed attempt, in words', async () => {
    const slow = await startWebhookReceiver();
    // The service allows 10 s; this sender is made with a short timeout to keep the test quick.
    const sender = new HttpWebhookSender({
      allowInsecure: true,
      allowPrivateNetworks: false,
      timeoutMs: 300,
    });
    try {
      slow.delayAnswers(1_000);
      expect(await sender.send(slow.url, { 'content-type': 'application/json' }, '{}')).toEqual({
        error: 'No answer within 10 seconds.',
      });
      slow.delayAnswers(0);
      // A redirect is not followed: it is an answer that is not 2xx.
      slow.respondWith(307);
      expect(await sender.send(slow.url, {}, '{}')).toEqual({ status: 307 });
      expect(slow.received).toHaveLength(2);
    } finally {
      sender.close();
      await slow.close();
    }
  });
});

test('an answer over 64 KiB is a failed attempt, in words; a 2xx with a small body succeeds', async () => {
  let size = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(size)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const sender = new HttpWebhookSender({ allowInsecure: true, allowPrivateNetworks: false });
  try {
    size = 100 * 1024;
    expect(await sender.send(url, {}, '{}')).toEqual({ error: 'The answer was larger than 64 KiB.' });
    size = 2 * 1024;
    expect(await sender.send(url, {}, '{}')).toEqual({ status: 200 });
  } finally {
    sender.close();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('who hears what', () => {
  async function secondPartner(w: ServiceWorld): Promise<string> {
    const put = await w.h.request
      .put('/partners/uni-y')
      .set('Authorization', w.h.admin)
      .send(universityPartner());
    expect(put.status).toBe(201);
    const issued = await w.h.request.post('/partners/uni-y/api-keys').set('Authorization', w.h.admin);
    return `Bearer ${issued.body.key as string}`;
  }

  test("a partner's webhook hears only its partner; another partner's key cannot see it; an admin webhook hears all", async () => {
    const w = await worlds.world();
    const keyY = await secondPartner(w);
    const mine = await subscribed(w, ['meeting.created']);
    const other = await startWebhookReceiver();
    try {
      const all = await registerWebhook(w.h, w.h.admin, { url: other.url, events: ['meeting.created'] });
      expect(all.body.partnerId).toBeNull();
      // Partner y's key: x's webhook does not exist for it.
      for (const [method, path] of [
        ['get', `/webhooks/${mine.id}`],
        ['patch', `/webhooks/${mine.id}`],
        ['delete', `/webhooks/${mine.id}`],
        ['post', `/webhooks/${mine.id}/secret`],
        ['post', `/webhooks/${mine.id}/test`],
        ['get', `/webhooks/${mine.id}/deliveries`],
      ] as const) {
        const res = await w.h.request[method](path).set('Authorization', keyY).send({ enabled: false });
        expect({ method, path, status: res.status, code: res.body.code }).toEqual({
          method,
          path,
          status: 404,
          code: 'WEBHOOK_NOT_FOUND',
        });
      }
      expect((await w.h.request.get('/webhooks').set('Authorization', keyY)).body.webhooks).toEqual([]);
      const asX = await w.h.request.get('/webhooks').set('Authorization', partnerAuth(w));
      expect(asX.body.webhooks.map((h: { id: string }) => h.id)).toEqual([mine.id]);
      const asAdmin = await w.h.request.get('/webhooks?partnerId=uni-x').set('Authorization', w.h.admin);
      expect(asAdmin.body.webhooks.map((h: { id: string }) => h.id)).toEqual([mine.id]);
      // A partner key may not make a webhook for another partner.
      const foreign = await w.h.request
        .post('/webhooks')
        .set('Authorization', keyY)
        .send({ url: receiver.url, events: ['*'], partnerId: 'uni-x' });
      expect(foreign.status).toBe(400);

      expect((await w.create(appointment())).status).toBe(201);
      expect((await w.create(appointment(), keyY.slice(7))).status).toBe(201);
      await runWorker(w);
      expect(receiver.received.map((r) => r.event!.partnerId)).toEqual(['uni-x']);
      expect(other.received.map((r) => r.event!.partnerId).sort()).toEqual(['uni-x', 'uni-y']);
    } finally {
      await other.close();
    }
  });

  test('a setup link may not manage webhooks (403)', async () => {
    const w = await worlds.world();
    const link = await w.h.request.post('/partners/uni-x/setup-links').set('Authorization', w.h.admin);
    const token = new URL(link.body.url as string).hash.slice(1);
    const res = await w.h.request.get('/webhooks').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(403);
  });
});

describe('secrets', () => {
  test('rotation: both secrets sign for 24 hours, then only the new one', async () => {
    const clock = new TestClock();
    const w = await worlds.world({ clock });
    const webhook = await subscribed(w, ['webhook.test']);
    const rotated = await w.h.request
      .post(`/webhooks/${webhook.id}/secret`)
      .set('Authorization', partnerAuth(w));
    expect(rotated.status).toBe(200);
    expectContract(rotated, 'post', '/webhooks/{webhookId}/secret');
    const fresh = rotated.body.secret as string;
    expect(fresh).not.toBe(webhook.secret);
    expect(Date.parse(rotated.body.previousSecretExpiresAt) - clock.now()).toBeGreaterThan(86_399_000);

    const test = () => w.h.request.post(`/webhooks/${webhook.id}/test`).set('Authorization', partnerAuth(w));
    expect((await test()).status).toBe(202);
    await runWorker(w);
    const during = receiver.received[0]!;
    const check = (secret: string, r = during) =>
      verifySignature(
        [secret],
        r.headers['webhook-id']!,
        r.headers['webhook-timestamp']!,
        r.body,
        r.headers['webhook-signature']!,
      );
    expect(during.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(check(webhook.secret)).toBe(true);
    expect(check(fresh)).toBe(true);

    clock.advance(86_400_000 + 1000);
    expect((await test()).status).toBe(202);
    await runWorker(w);
    const after = receiver.received[1]!;
    expect(after.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(check(fresh, after)).toBe(true);
    expect(check(webhook.secret, after)).toBe(false);
    const got = await w.h.request.get(`/webhooks/${webhook.id}`).set('Authorization', partnerAuth(w));
    expect(got.body.previousSecretExpiresAt).toBeUndefined();
  });

  test('webhook.test reaches that webhook alone, also while disabled', async () => {
    const w = await worlds.world();
    const webhook = await subscribed(w, ['meeting.created']);
    const other = await startWebhookReceiver();
    try {
      await registerWebhook(w.h, partnerAuth(w), { url: other.url, events: ['*'] });
      await w.h.request
        .patch(`/webhooks/${webhook.id}`)
        .set('Authorization', partnerAuth(w))
        .send({ enabled: false });
      const sent = await w.h.request
        .post(`/webhooks/${webhook.id}/test`)
        .set('Authorization', partnerAuth(w));
      expect(sent.status).toBe(202);
      expectContract(sent, 'post', '/webhooks/{webhookId}/test');
      await runWorker(w);
      expect(receiver.received.map((r) => [r.event!.type, r.event!.id])).toEqual([
        ['webhook.test', sent.body.eventId],
      ]);
      expect(receiver.received[0]!.verified).toBe(true);
      expect(other.received).toEqual([]);
    } finally {
      await other.close();
    }
  });
});

describe('a secret this SECRETS_KEY cannot open', () => {
  test('its deliveries fail saying why, the others in the round go out; a new secret mends it', async () => {
    const w = await worlds.world();
    const broken = await subscribed(w, ['meeting.created']);
    const other = await startWebhookReceiver();
    try {
      const healthy = await registerWebhook(w.h, partnerAuth(w), {
        url: other.url,
        events: ['meeting.created'],
      });
      other.setSecrets([healthy.secret]);
      // Sealed under another key (SECRETS_KEY changed since the webhook was made).
      const stored = (await w.h.store.webhooks.get(broken.id))!;
      const foreign = new SecretCipher(randomBytes(32)).encrypt('whsec_AAAA', `webhook:${broken.id}`);
      await w.h.store.webhooks.update({ ...stored, secretCiphertext: foreign, version: 2 }, 1);
      expect((await w.create(appointment())).status).toBe(201);
      await runWorker(w);
      expect(receiver.received).toEqual([]);
      expect(other.received.map((r) => r.verified)).toEqual([true]);
      expect((await deliveries(w, broken.id)).body.deliveries[0]).toMatchObject({
        status: 'pending',
        error: expect.stringMatching(/cannot be read with this service's SECRETS_KEY/),
      });
      const rotated = await w.h.request
        .post(`/webhooks/${broken.id}/secret`)
        .set('Authorization', partnerAuth(w));
      expect(rotated.status).toBe(200);
      expect(rotated.body.previousSecretExpiresAt).toBeUndefined();
      receiver.setSecrets([rotated.body.secret]);
      expect(
        (await w.h.request.post(`/webhooks/${broken.id}/test`).set('Authorization', partnerAuth(w))).status,
      ).toBe(202);
      await runWorker(w);
      expect(receiver.received.map((r) => [r.event!.type, r.verified])).toEqual([['webhook.test', true]]);
    } finally {
      await other.close();
    }
  });
});

describe('attendance and setup problems without asking', () => {
  const WITH_ATTENDANCE = [...ROLES, 'OnlineMeetingArtifact.Read.All'];

  test('attendance.ready once the report exists after the end, with the no-show; once per meeting', async () => {
    const clock = new TestClock();
    const w = await worlds.world({
      clock,
      roles: WITH_ATTENDANCE,
      env: { ATTENDANCE_CHECK_DELAYS: '10m,1h' },
    });
    await subscribed(w, ['attendance.ready']);
    const [s0, s1] = w.students;
    const start = new Date(clock.now() + 3_600_000);
    const end = new Date(start.getTime() + 1_800_000);
    const body = appointment({
      startDateTime: start.toISOString(),
      endDateTime: end.toISOString(),
      attendees: [{ email: s0!.mail }, { email: s1!.mail }],
    });
    const created = await w.create(body);
    expect(created.status).toBe(201);
    // Before the end and its 10 minutes: no look at all.
    w.sim.clearRequests();
    clock.advance(3_600_000 + 1_800_000 + 9 * 60_000);
    await runWorker(w);
    expect(w.sim.requests().filter((r) => r.operation.startsWith('attendance'))).toEqual([]);
    // The first look finds no report yet; the next is an hour after the end.
    clock.advance(60_000);
    await runWorker(w);
    expect(w.sim.requests().map((r) => r.operation)).toContain('attendanceReports.list');
    expect(receiver.received).toEqual([]);
    const iso = (d: Date, minute: number) => new Date(d.getTime() + minute * 60_000).toISOString();
    w.sim.addAttendanceSession(created.body.meetingId, {
      start: start.toISOString(),
      end: end.toISOString(),
      participants: [
        { userId: w.adviser.id, intervals: [{ join: iso(start, 0), leave: iso(start, 30) }] },
        { userId: s0!.id, intervals: [{ join: iso(start, 1), leave: iso(start, 21) }] },
      ],
    });
    clock.advance(49 * 60_000);
    await runWorker(w);
    expect(receiver.received).toEqual([]);
    clock.advance(60_000);
    await runWorker(w);
    expect(receiver.received).toHaveLength(1);
    const event = receiver.received[0]!.event!;
    expect(event.type).toBe('attendance.ready');
    expect(event.data).toMatchObject({
      appointmentId: body.appointmentId,
      state: 'available',
      organizerAttended: true,
      attendees: [
        { matched: true, id: s0!.id, attended: true, totalAttendanceInSeconds: 1200 },
        { matched: true, id: s1!.id, attended: false, totalAttendanceInSeconds: 0 },
      ],
    });
    // The answer is what GET …/attendance says.
    const read = await w.h.request
      .get(`/appointments/${body.appointmentId}/attendance`)
      .set('Authorization', partnerAuth(w));
    expect(event.data).toEqual(read.body);
    // Once per meeting: no more looks, no second event.
    w.sim.clearRequests();
    clock.advance(86_400_000);
    await runWorker(w);
    expect(receiver.received).toHaveLength(1);
    expect(w.sim.requests().filter((r) => r.operation.startsWith('attendance'))).toEqual([]);
  });

  test('a meeting already over is looked at at once; a partner without the permission is not asked again', async () => {
    const clock = new TestClock();
    const w = await worlds.world({ clock, env: { ATTENDANCE_CHECK_DELAYS: '10m,1h' } });
    await subscribed(w, ['attendance.ready']);
    const created = await w.create(
      appointment({ startDateTime: '2026-11-20T10:00:00Z', endDateTime: '2026-11-20T10:30:00Z' }),
    );
    expect(created.status).toBe(201);
    w.sim.clearRequests();
    await runWorker(w);
    expect(w.sim.requests().map((r) => r.operation)).toEqual(['attendanceReports.list']);
    w.sim.clearRequests();
    clock.advance(2 * 3_600_000);
    await runWorker(w);
    // Attendance only: the daily setup watch checks the partner at its own time of day, which two
    // hours from now (real time plus the offset) may reach, with calls of its own.
    expect(w.sim.requests().filter((r) => r.operation.startsWith('attendance'))).toEqual([]);
    expect(receiver.received).toEqual([]);
  });

  test('a meeting recorded after its end: looked at at once, then spaced as the schedule is', async () => {
    const clock = new TestClock();
    const w = await worlds.world({
      clock,
      roles: WITH_ATTENDANCE,
      env: { ATTENDANCE_CHECK_DELAYS: '10m,1h' },
    });
    await subscribed(w, ['attendance.ready']);
    const created = await w.create(
      appointment({ startDateTime: '2026-11-20T10:00:00Z', endDateTime: '2026-11-20T10:30:00Z' }),
    );
    const looks = () => w.sim.requests().filter((r) => r.operation === 'attendanceReports.list').length;
    w.sim.clearRequests();
    await runWorker(w);
    expect(looks()).toBe(1);
    // Both delays are long past, yet the second look waits the schedule's gap (50 minutes).
    clock.advance(49 * 60_000);
    await runWorker(w);
    expect(looks()).toBe(1);
    w.sim.addAttendanceSession(created.body.meetingId, {
      start: '2026-11-20T10:00:00Z',
      end: '2026-11-20T10:30:00Z',
      participants: [
        {
          userId: w.adviser.id,
          intervals: [{ join: '2026-11-20T10:00:00Z', leave: '2026-11-20T10:30:00Z' }],
        },
      ],
    });
    clock.advance(60_000);
    await runWorker(w);
    expect(looks()).toBe(2);
    expect(receiver.received.map((r) => r.event!.type)).toEqual(['attendance.ready']);
  });

  test('partner.setup_problem for an adviser without the access policy: once a day per code and adviser', async () => {
    const clock = new TestClock();
    const w = await worlds.world({ clock });
    await subscribed(w, ['partner.setup_problem']);
    const noPolicy = { email: w.adviserNoPolicy.mail };
    const refused = await w.create(appointment({ operator: noPolicy }));
    expect(refused.status).toBe(424);
    expect((await w.create(appointment({ operator: noPolicy }))).status).toBe(424);
    await runWorker(w);
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]!.event).toMatchObject({
      type: 'partner.setup_problem',
      partnerId: 'uni-x',
      data: {
        code: 'ACCESS_POLICY_MISSING',
        detail: refused.body.detail,
        remediation: refused.body.remediation,
        operator: noPolicy,
      },
    });
    clock.advance(86_400_000);
    expect((await w.create(appointment({ operator: noPolicy }))).status).toBe(424);
    await runWorker(w);
    expect(receiver.received).toHaveLength(2);
  });

  test('partner.setup_problem for a client secret that expires within 30 days, looked at daily', async () => {
    const clock = new TestClock();
    const w = await worlds.world({ clock });
    await subscribed(w, ['partner.setup_problem']);
    await runWorker(w);
    expect(receiver.received).toEqual([]);
    const expiry = new Date(clock.now() + 40 * 86_400_000).toISOString();
    const patched = await w.h.request
      .patch('/partners/uni-x')
      .set('Authorization', w.h.admin)
      .send({ clientSecretExpiresAt: expiry });
    expect(patched.status).toBe(200);
    clock.advance(86_400_000);
    await runWorker(w);
    expect(receiver.received).toEqual([]);
    clock.advance(10 * 86_400_000);
    await runWorker(w);
    expect(receiver.received.map((r) => r.event!.data)).toEqual([
      expect.objectContaining({
        code: 'CLIENT_SECRET_EXPIRING',
        detail: expect.stringMatching(/in 29 days/),
      }),
    ]);
    // The same day again (another round, another instance): not twice.
    await w.h.services.worker.runOnce();
    expect(receiver.received).toHaveLength(1);
  });
});

describe('operations', () => {
  test('the running worker sends events while attendance looks wait on Graph: a slow look holds up no delivery', async () => {
    const w = await worlds.world();
    await subscribed(w, ['*']);
    // Every attendance read takes 2 s; the meeting is already over, so its look is due at once.
    w.sim.injectFault({ match: { operation: 'attendanceReports.list' }, delayMs: 2000, times: Infinity });
    w.h.services.worker.start();
    try {
      expect((await w.create(appointment())).status).toBe(201);
      const answeredAt = Date.now();
      await receiver.waitFor(1, 5000);
      expect(receiver.received[0]!.event!.type).toBe('meeting.created');
      // Sent within the round after the wake, not after the look's 2 s.
      expect(receiver.received[0]!.at - answeredAt).toBeLessThan(1000);
      // The look was under way meanwhile (the simulator logs a request once it answered).
      for (
        let i = 0;
        i < 60 && !w.sim.requests().some((r) => r.operation === 'attendanceReports.list');
        i++
      ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(w.sim.requests().some((r) => r.operation === 'attendanceReports.list')).toBe(true);
    } finally {
      await w.h.services.worker.stop();
    }
  });

  test("a slow receiver holds up no other webhook's events: deliveries flow, not in rounds", async () => {
    const w = await worlds.world();
    await subscribed(w, ['*']);
    // A second webhook (the admin's, for every event) whose receiver answers after 2 s.
    const slow = await startWebhookReceiver();
    slow.delayAnswers(2000);
    const slowHook = await registerWebhook(w.h, w.h.admin, { url: `${slow.url}/hooks/slow`, events: ['*'] });
    w.h.services.worker.start();
    try {
      expect((await w.create(appointment())).status).toBe(201);
      await receiver.waitFor(1, 5000);
      // The slow receiver has the first event's other delivery in hand for 2 s meanwhile.
      const second = await w.create(appointment());
      expect(second.status).toBe(201);
      const answeredAt = Date.now();
      await receiver.waitFor(2, 5000);
      expect(receiver.received[1]!.event!.data).toMatchObject({ appointmentId: second.body.appointmentId });
      // 2,0xx ms while a round waited for its slowest answer before the next began.
      expect(receiver.received[1]!.at - answeredAt).toBeLessThan(1000);
    } finally {
      await w.h.services.worker.stop();
      await slow.close();
    }
    // Stopping waited for the slow answers: both of its deliveries are written as succeeded.
    expect(slow.received).toHaveLength(2);
    const recorded = await deliveries(w, slowHook.id, w.h.admin);
    expect(recorded.body.deliveries.map((d: { status: string }) => d.status)).toEqual([
      'succeeded',
      'succeeded',
    ]);
  });

  test('stopping while every slot is taken: the attempts under way finish, nothing more is leased', async () => {
    const w = await worlds.world();
    const hook = await subscribed(w, ['webhook.test']);
    receiver.delayAnswers(1000);
    // 101 events: one more than the worker's 100 slots.
    for (let i = 0; i < 101; i++) {
      const queued = await w.h.request.post(`/webhooks/${hook.id}/test`).set('Authorization', partnerAuth(w));
      expect(queued.status).toBe(202);
    }
    w.h.services.worker.start();
    // The first 64 reach the receiver (the agent's sockets); all 100 slots are taken.
    await receiver.waitFor(64, 5000);
    await w.h.services.worker.stop();
    expect(receiver.received).toHaveLength(100);
    // Their outcomes written; the 101st left for the next start (or another instance).
    const log = (await deliveries(w, hook.id)).body.deliveries as { status: string }[];
    expect(log.filter((d) => d.status === 'pending')).toHaveLength(1);
    expect((await w.h.store.outbox.waiting()).count).toBe(1);
  });

  test('/metrics counts deliveries by outcome and the backlog; /health is degraded after an hour of waiting', async () => {
    const clock = new TestClock();
    const w = await worlds.world({ clock, env: { WEBHOOK_RETRY_DELAYS: '5s' } });
    await subscribed(w, ['meeting.created']);
    receiver.respondWith(500, 500);
    expect((await w.create(appointment())).status).toBe(201);
    await runWorker(w);
    const metrics = async () => (await w.h.request.get('/metrics').set('Authorization', w.h.admin)).text;
    let text = await metrics();
    expect(text).toMatch(/^teams_meetings_webhook_deliveries_total\{outcome="retrying"\} 1$/m);
    expect(text).toMatch(/^teams_meetings_webhook_events_waiting 1$/m);
    expect((await w.h.request.get('/health')).body.checks.webhooks).toEqual({
      status: 'ok',
      waiting: 1,
      oldestWaitingSeconds: expect.any(Number),
    });
    clock.advance(3_601_000);
    const health = await w.h.request.get('/health');
    expect(health.body.status).toBe('degraded');
    expect(health.body.checks.webhooks).toMatchObject({ status: 'degraded', waiting: 1 });
    expect(health.body.checks.webhooks.oldestWaitingSeconds).toBeGreaterThan(3600);
    await runWorker(w);
    text = await metrics();
    expect(text).toMatch(/^teams_meetings_webhook_deliveries_total\{outcome="failed"\} 1$/m);
    expect(text).toMatch(/^teams_meetings_webhook_events_waiting 0$/m);
    expect((await w.h.request.get('/health')).body.status).toBe('ok');
    // Logs name the webhook and event, never the URL's path, the secret or a student.
    const logs = w.h.logs.text();
    expect(logs).not.toContain('/hooks/tc');
    expect(logs).not.toContain('whsec_');
    expect(logs).not.toContain(w.students[0]!.mail);
  });
});

describe("the README's receiver", () => {
  test('its verification snippet accepts a real delivery and refuses a forged or stale one', async () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const code = /\*\*Receiving\.\*\*[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)![1]!;
    const verify = new Function('require', `${code}\nreturn verify;`)(require) as (
      secret: string,
      headers: Record<string, string>,
      body: string,
    ) => boolean;
    const w = await worlds.world();
    const webhook = await subscribed(w, ['webhook.test']);
    await w.h.request.post(`/webhooks/${webhook.id}/test`).set('Authorization', partnerAuth(w));
    await runWorker(w);
    const got = receiver.received[0]!;
    expect(verify(webhook.secret, got.headers, got.body)).toBe(true);
    expect(verify(webhook.secret, got.headers, got.body.replace('test', 'tset'))).toBe(false);
    const stale = {
      ...got.headers,
      'webhook-timestamp': String(Number(got.headers['webhook-timestamp']) - 600),
    };
    expect(verify(webhook.secret, stale, got.body)).toBe(false);
  });
});
