/**
 * Setup links through HTTP: issued once with the token in the URL fragment, kept as a hash, listed
 * without tokens; the token works for its own partner's setup only (authorization.test.ts walks
 * every operation), expires and is revoked at once on every instance, is rate-limited like a
 * partner key, and appears in no log line.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { makeHarness, validPartner, type Harness } from '../support/harness';

const BASE = 'https://meetings.uni.example.ac.uk';
let current = new Date('2026-12-01T09:00:00.000Z');
const clock = { now: () => current.getTime(), sleep: async () => undefined };

const harnesses: Harness[] = [];
function harness(options: Parameters<typeof makeHarness>[0] = {}): Harness {
  const h = makeHarness({ publicBaseUrl: BASE, clock, ...options });
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
  current = new Date('2026-12-01T09:00:00.000Z');
});

async function withPartner(h: Harness, id = 'uni-x'): Promise<void> {
  expect(
    (await h.request.put(`/partners/${id}`).set('Authorization', h.admin).send(validPartner())).status,
  ).toBe(201);
}

async function issue(h: Harness, body?: object, id = 'uni-x') {
  const req = h.request.post(`/partners/${id}/setup-links`).set('Authorization', h.admin);
  return body === undefined ? req : req.send(body);
}

const tokenOf = (url: string) => url.slice(url.indexOf('#') + 1);

test('issued once: a URL under PUBLIC_BASE_URL with a 32-byte token in its fragment, a week by default', async () => {
  const h = harness();
  await withPartner(h);
  const res = await issue(h);
  expect(res.status).toBe(201);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.body).toEqual({
    id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    url: expect.stringMatching(/^https:\/\/meetings\.uni\.example\.ac\.uk\/setup#tms_[A-Za-z0-9_-]{43}$/),
    createdAt: '2026-12-01T09:00:00.000Z',
    expiresAt: '2026-12-08T09:00:00.000Z',
  });
  expect(Buffer.from(tokenOf(res.body.url).slice(4), 'base64url')).toHaveLength(32);
  expect((await issue(h, { expiresInHours: 1 })).body.expiresAt).toBe('2026-12-01T10:00:00.000Z');
  for (const bad of [0, 721, 1.5, '24']) {
    const refused = await issue(h, { expiresInHours: bad });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].field).toBe('body.expiresInHours');
  }
  expect((await issue(h, {}, 'nobody')).status).toBe(404);
});

test('kept as a hash only; listed without tokens', async () => {
  const h = harness();
  await withPartner(h);
  const issued = (await issue(h)).body;
  const token = tokenOf(issued.url);
  const db = new Database(h.dbPath, { readonly: true });
  const rows = db.prepare('SELECT * FROM setup_links').all() as Array<Record<string, string>>;
  db.close();
  expect(rows).toHaveLength(1);
  expect(rows[0]!['token_hash']).toBe(createHash('sha256').update(token).digest('hex'));
  for (const file of fs.readdirSync(path.dirname(h.dbPath))) {
    expect(fs.readFileSync(path.join(path.dirname(h.dbPath), file)).toString('latin1')).not.toContain(token);
  }
  const listed = await h.request.get('/partners/uni-x/setup-links').set('Authorization', h.admin);
  expect(listed.body).toEqual({
    setupLinks: [{ id: issued.id, createdAt: issued.createdAt, expiresAt: issued.expiresAt, expired: false }],
  });
  expect(JSON.stringify(listed.body)).not.toContain(token.slice(4, 20));
});

test("the token does its partner's setup: read, fix a field, make a certificate, get the script", async () => {
  const h = harness();
  await withPartner(h);
  const auth = `Bearer ${tokenOf((await issue(h)).body.url)}`;
  expect((await h.request.get('/partners/uni-x').set('Authorization', auth)).body.id).toBe('uni-x');
  const patched = await h.request
    .patch('/partners/uni-x')
    .set('Authorization', auth)
    .send({ tenantId: 'uni.example.ac.uk' });
  expect(patched.status).toBe(200);
  expect((await h.store.partners.get('uni-x'))!.tenantId).toBe('uni.example.ac.uk');
  expect(
    (await h.request.post('/partners/uni-x/certificates').set('Authorization', auth).send({})).status,
  ).toBe(201);
  const script = await h.request
    .post('/partners/uni-x/access-policy-script')
    .set('Authorization', auth)
    .send({ groupId: '0b6c2f1e-4a5d-4e7f-9a1b-2c3d4e5f6a7b' });
  expect(script.status).toBe(200);
  // Not the partner's whole configuration, nor its keys, nor more links.
  expect(
    (await h.request.put('/partners/uni-x').set('Authorization', auth).send(validPartner())).status,
  ).toBe(403);
  expect((await h.request.post('/partners/uni-x/api-keys').set('Authorization', auth)).status).toBe(403);
  // It may make a link for the next person, though (API.md; the hand-over test below).
  expect((await h.request.post('/partners/uni-x/setup-links').set('Authorization', auth)).status).toBe(201);
});

test("the token may not change meeting policy nor delete a certificate (the careers service's and the admin's)", async () => {
  const h = harness();
  await withPartner(h);
  const auth = `Bearer ${tokenOf((await issue(h)).body.url)}`;
  const policy = await h.request
    .patch('/partners/uni-x')
    .set('Authorization', auth)
    .send({
      tenantId: 'uni.example.ac.uk',
      meetingDefaults: { lobbyBypassScope: 'everyone', recordAutomatically: true },
    });
  expect(policy.status).toBe(403);
  expect(policy.body.code).toBe('FORBIDDEN');
  expect(policy.body.detail).toMatch(/meetingDefaults/);
  const mode = await h.request
    .patch('/partners/uni-x')
    .set('Authorization', auth)
    .send({ meetingMode: 'calendarEvent' });
  expect(mode.status).toBe(403);
  expect(mode.body.detail).toMatch(/meetingMode/);
  const stored = (await h.store.partners.get('uni-x'))!;
  expect(stored.meetingDefaults).toEqual({});
  expect(stored.tenantId).not.toBe('uni.example.ac.uk');
  const made = await h.request.post('/partners/uni-x/certificates').set('Authorization', auth).send({});
  expect(made.status).toBe(201);
  expect((await h.request.get('/partners/uni-x/certificates').set('Authorization', auth)).status).toBe(200);
  const removed = await h.request
    .delete(`/partners/uni-x/certificates/${made.body.id}`)
    .set('Authorization', auth);
  expect(removed.status).toBe(403);
  expect(await h.store.certificates.listByPartner('uni-x')).toHaveLength(1);
  // The admin key may do both.
  expect(
    (
      await h.request
        .patch('/partners/uni-x')
        .set('Authorization', h.admin)
        .send({ meetingDefaults: { allowMeetingChat: 'disabled' } })
    ).status,
  ).toBe(200);
  expect(
    (await h.request.delete(`/partners/uni-x/certificates/${made.body.id}`).set('Authorization', h.admin))
      .status,
  ).toBe(204);
});

test('hand over: a setup link makes one for its own partner, expiring no later than itself; it cannot list or revoke', async () => {
  const h = harness();
  await withPartner(h);
  await withPartner(h, 'uni-y');
  const first = (await issue(h, { expiresInHours: 48 })).body;
  const auth = `Bearer ${tokenOf(first.url)}`;
  const handed = await h.request
    .post('/partners/uni-x/setup-links')
    .set('Authorization', auth)
    .send({ expiresInHours: 720 });
  expect(handed.status).toBe(201);
  expect(handed.body.expiresAt).toBe(first.expiresAt);
  const shorter = await h.request
    .post('/partners/uni-x/setup-links')
    .set('Authorization', auth)
    .send({ expiresInHours: 2 });
  expect(shorter.body.expiresAt).toBe('2026-12-01T11:00:00.000Z');
  // The new link works, for its partner only.
  const next = `Bearer ${tokenOf(handed.body.url)}`;
  expect((await h.request.get('/partners/uni-x').set('Authorization', next)).status).toBe(200);
  expect((await h.request.post('/partners/uni-y/setup-links').set('Authorization', auth)).status).toBe(404);
  expect((await h.request.get('/partners/uni-x/setup-links').set('Authorization', auth)).status).toBe(403);
  expect(
    (await h.request.delete(`/partners/uni-x/setup-links/${first.id}`).set('Authorization', auth)).status,
  ).toBe(403);
  // Revoking the first does not take the handed-over one with it; expiry does, at the same moment.
  current = new Date(first.expiresAt);
  expect((await h.request.get('/partners/uni-x').set('Authorization', next)).status).toBe(401);
  expect(h.logs.text()).toContain('setup link handed over');
});

test('expiry: 401 saying so, from the moment it passes; the list marks it', async () => {
  const h = harness();
  await withPartner(h);
  const auth = `Bearer ${tokenOf((await issue(h, { expiresInHours: 2 })).body.url)}`;
  current = new Date('2026-12-01T10:59:59.000Z');
  expect((await h.request.get('/partners/uni-x').set('Authorization', auth)).status).toBe(200);
  current = new Date('2026-12-01T11:00:00.000Z');
  const expired = await h.request.get('/partners/uni-x').set('Authorization', auth);
  expect(expired.status).toBe(401);
  expect(expired.body.detail).toMatch(/expired/);
  const listed = await h.request.get('/partners/uni-x/setup-links').set('Authorization', h.admin);
  expect(listed.body.setupLinks[0].expired).toBe(true);
});

test('revoked on one instance: refused at once on another; revoking twice is 404', async () => {
  const a = harness();
  await withPartner(a);
  const b = harness({ store: a.store, secretsKey: a.secretsKey });
  const issued = (await issue(a)).body;
  const auth = `Bearer ${tokenOf(issued.url)}`;
  expect((await b.request.get('/partners/uni-x').set('Authorization', auth)).status).toBe(200);
  const revoke = () =>
    a.request.delete(`/partners/uni-x/setup-links/${issued.id}`).set('Authorization', a.admin);
  expect((await revoke()).status).toBe(204);
  const after = await b.request.get('/partners/uni-x').set('Authorization', auth);
  expect(after.status).toBe(401);
  expect(after.body.code).toBe('UNAUTHENTICATED');
  expect((await revoke()).body.code).toBe('NOT_FOUND');
});

test('rate-limited per link like a partner key', async () => {
  const h = harness({ rateLimitPerMinute: 3 });
  await withPartner(h);
  const auth = `Bearer ${tokenOf((await issue(h)).body.url)}`;
  const statuses = [];
  for (let i = 0; i < 4; i += 1)
    statuses.push((await h.request.get('/partners/uni-x').set('Authorization', auth)).status);
  expect(statuses).toEqual([200, 200, 200, 429]);
});

test('the token is in no log line, the access log included', async () => {
  const h = harness();
  await withPartner(h);
  const token = tokenOf((await issue(h)).body.url);
  await h.request.get('/partners/uni-x').set('Authorization', `Bearer ${token}`);
  await h.request.get('/partners/uni-b').set('Authorization', `Bearer ${token}`);
  await h.request.get('/metrics').set('Authorization', `Bearer ${token}`);
  const text = h.logs.text();
  expect(text).toContain('setup link issued');
  expect(text).toContain('setup:uni-x');
  expect(text).not.toContain(token);
  expect(text).not.toContain(token.slice(4, 24));
});
