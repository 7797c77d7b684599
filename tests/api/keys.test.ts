import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { makeHarness, validPartner, type Harness } from '../support/harness';

let h: Harness;
beforeEach(async () => {
  h = makeHarness();
  for (const id of ['uni-a', 'uni-b']) {
    await h.request.put(`/partners/${id}`).set('Authorization', h.admin).send(validPartner());
  }
});
afterEach(async () => {
  await h.close();
});

async function issue(
  partnerId: string,
): Promise<{ id: string; key: string; keyPrefix: string; createdAt: string }> {
  const res = await h.request.post(`/partners/${partnerId}/api-keys`).set('Authorization', h.admin);
  expect(res.status).toBe(201);
  return res.body;
}

function expectProblem(
  res: { status: number; headers: Record<string, string>; body: Record<string, unknown> },
  status: number,
  code: string,
) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code, requestId: res.headers['x-request-id'] });
  if (status === 401) expect(res.headers['www-authenticate']).toBe('Bearer');
  expect(typeof res.body.title).toBe('string');
  expect(typeof res.body.type).toBe('string');
}

describe('partner API keys', () => {
  test('a key is shown once, has 32 random bytes, and is stored only as its SHA-256', async () => {
    const issued = await issue('uni-a');
    expect(issued.key).toMatch(/^tmk_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(issued.key.slice(4), 'base64url')).toHaveLength(32);
    expect(issued.keyPrefix).toBe(issued.key.slice(0, 8));

    const list = await h.request.get('/partners/uni-a/api-keys').set('Authorization', h.admin);
    expect(list.status).toBe(200);
    expect(list.body.apiKeys).toEqual([
      { id: issued.id, keyPrefix: issued.keyPrefix, createdAt: issued.createdAt, lastUsedAt: null },
    ]);
    expect(JSON.stringify(list.body)).not.toContain(issued.key);

    const raw = new Database(h.dbPath, { readonly: true });
    const rows = raw.prepare('SELECT * FROM api_keys').all() as Array<Record<string, unknown>>;
    raw.close();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.key_hash).toBe(createHash('sha256').update(issued.key).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(issued.key);
  });

  test('two keys are different; a revoked key stops working at once; the other keeps working', async () => {
    const first = await issue('uni-a');
    const second = await issue('uni-a');
    expect(first.key).not.toBe(second.key);
    const works = (key: string) => h.request.get('/openapi.yaml').set('Authorization', `Bearer ${key}`);
    expect((await works(first.key)).status).toBe(200);
    const revoked = await h.request
      .delete(`/partners/uni-a/api-keys/${first.id}`)
      .set('Authorization', h.admin);
    expect(revoked.status).toBe(204);
    expectProblem(await works(first.key), 401, 'UNAUTHENTICATED');
    expect((await works(second.key)).status).toBe(200);
    const again = await h.request
      .delete(`/partners/uni-a/api-keys/${first.id}`)
      .set('Authorization', h.admin);
    expectProblem(again, 404, 'NOT_FOUND');
  });

  test("a key cannot be revoked through another partner's path", async () => {
    const keyOfB = await issue('uni-b');
    const res = await h.request.delete(`/partners/uni-a/api-keys/${keyOfB.id}`).set('Authorization', h.admin);
    expectProblem(res, 404, 'NOT_FOUND');
    expect(await h.store.apiKeys.listByPartner('uni-b')).toHaveLength(1);
  });
});

describe('authentication and isolation', () => {
  test.each([
    ['no header', undefined],
    ['an unknown key', 'Bearer tmk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a near miss of the admin key', 'Bearer test-admin-key-0123456789abcdefghijklmnoX'],
    ['another scheme', 'Basic dGVzdDp0ZXN0'],
    ['an empty bearer', 'Bearer '],
  ])('%s is 401 UNAUTHENTICATED', async (_label, header) => {
    const req = h.request.get('/partners');
    if (header) req.set('Authorization', header);
    expectProblem(await req, 401, 'UNAUTHENTICATED');
  });

  // Which kind of key each operation takes is walked from openapi.yaml in authorization.test.ts.

  test('the key decides the partner: each key maps to its own partner only', async () => {
    const a = await issue('uni-a');
    const b = await issue('uni-b');
    await expect(h.services.apiKeys.authenticate(a.key)).resolves.toEqual({
      kind: 'partner',
      partnerId: 'uni-a',
      keyId: a.id,
      partner: await h.store.partners.get('uni-a'),
    });
    await expect(h.services.apiKeys.authenticate(b.key)).resolves.toEqual({
      kind: 'partner',
      partnerId: 'uni-b',
      keyId: b.id,
      partner: await h.store.partners.get('uni-b'),
    });
  });

  test('lastUsedAt is recorded when a key is used', async () => {
    const { key, id } = await issue('uni-a');
    await h.request.get('/openapi.yaml').set('Authorization', `Bearer ${key}`);
    await new Promise((resolve) => setImmediate(resolve));
    const [listed] = await h.store.apiKeys.listByPartner('uni-a');
    expect(listed?.id).toBe(id);
    expect(listed?.lastUsedAt).not.toBeNull();
  });
});

describe('rate limit per key', () => {
  test('past the budget a key gets 429 RATE_LIMITED with Retry-After; other keys are unaffected', async () => {
    const limited = makeHarness({ rateLimitPerMinute: 3 });
    try {
      await limited.services.partners.put('uni-a', validPartner() as never);
      const partnerKey = await limited.services.apiKeys.issue('uni-a');
      const statuses: number[] = [];
      let last;
      for (let i = 0; i < 4; i += 1) {
        last = await limited.request.get('/partners').set('Authorization', limited.admin);
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expectProblem(last!, 429, 'RATE_LIMITED');
      expect(Number(last!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      const other = await limited.request
        .get('/openapi.yaml')
        .set('Authorization', `Bearer ${partnerKey.key}`);
      expect(other.status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('failed authentications per client address', () => {
  test('past the limit an address gets 429 before its key is looked up; other addresses are unaffected', async () => {
    const limited = makeHarness({ unauthenticatedLimitPerMinute: 5, trustProxy: 1 });
    try {
      await limited.services.partners.put('uni-a', validPartner() as never);
      const partnerKey = await limited.services.apiKeys.issue('uni-a');
      const from = (address: string, key: string) =>
        limited.request
          .get('/openapi.yaml')
          .set('X-Forwarded-For', address)
          .set('Authorization', `Bearer ${key}`);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i += 1) statuses.push((await from('203.0.113.7', `tmk_wrong${i}`)).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
      const refused = await from('203.0.113.7', partnerKey.key);
      expectProblem(refused, 429, 'RATE_LIMITED');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(refused.body.detail).toMatch(/address/);
      // Good keys do not use the budget, and another address has its own.
      expect((await from('198.51.100.20', partnerKey.key)).status).toBe(200);
      expect((await from('198.51.100.20', 'tmk_wrong')).status).toBe(401);
    } finally {
      await limited.close();
    }
  });
});
