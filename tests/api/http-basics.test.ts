import { makeHarness, validPartner, type Harness } from '../support/harness';

let h: Harness;
beforeEach(() => {
  h = makeHarness();
});
afterEach(async () => {
  await h.close();
});

describe('problem+json and request ids', () => {
  test('an unknown route is 404 NOT_FOUND problem+json', async () => {
    const res = await h.request.get('/no/such/thing').set('Authorization', h.admin);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'NOT_FOUND', status: 404, title: 'Not found' });
    expect(res.body).not.toHaveProperty('stack');
  });

  test('a sane X-Request-Id is kept and returned; a hostile one is replaced; every log line of the request has it', async () => {
    const kept = await h.request.get('/health').set('X-Request-Id', 'trace-abc.123');
    expect(kept.headers['x-request-id']).toBe('trace-abc.123');
    const replaced = await h.request.get('/health').set('X-Request-Id', 'bad id\twith "quotes"');
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

    const res = await h.request
      .put('/partners/uni-a')
      .set('Authorization', h.admin)
      .set('X-Request-Id', 'req-42')
      .send(validPartner());
    expect(res.headers['x-request-id']).toBe('req-42');
    const lines = h.logs.entries().filter((e) => e.requestId === 'req-42');
    expect(lines.map((e) => e.msg)).toEqual(['partner created', 'request completed']);
    expect(lines[1]).toMatchObject({ method: 'PUT', route: '/partners/:partnerId', status: 201 });
  });

  test('the problem carries the request id', async () => {
    const res = await h.request
      .get('/partners/ghost')
      .set('Authorization', h.admin)
      .set('X-Request-Id', 'r-1');
    expect(res.body.requestId).toBe('r-1');
  });

  test('a body over 100 kB is 413 PAYLOAD_TOO_LARGE and stores nothing', async () => {
    const res = await h.request
      .put('/partners/uni-a')
      .set('Authorization', h.admin)
      .send(validPartner({ padding: 'x'.repeat(101 * 1024) }));
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await h.store.partners.get('uni-a')).toBeNull();
  });

  test('a non-JSON body is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await h.request
      .put('/partners/uni-a')
      .set('Authorization', h.admin)
      .set('Content-Type', 'text/plain')
      .send('applicationId=1');
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  test('every answer carries the security headers of a JSON API; Express does not announce itself', async () => {
    const ok = await h.request.get('/health');
    const problem = await h.request.get('/partners/uni-a');
    for (const res of [ok, problem]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
    expect(problem.status).toBe(401);
  });
});

describe('metrics and contract', () => {
  test('/metrics counts requests by route template and status (admin key)', async () => {
    await h.request.get('/partners/ghost').set('Authorization', h.admin);
    await h.request.get('/partners/ghost2').set('Authorization', h.admin);
    const res = await h.request.get('/metrics').set('Authorization', h.admin);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain(
      'teams_meetings_http_requests_total{method="GET",route="/partners/:partnerId",status="404"} 2',
    );
    expect(res.text).toContain('teams_meetings_http_request_duration_seconds_bucket');
    expect(res.text).not.toContain('ghost');
    expect((await h.request.get('/metrics')).status).toBe(401);
  });

  test('/openapi.yaml serves the contract to any key', async () => {
    const res = await h.request.get('/openapi.yaml').set('Authorization', h.admin);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/yaml/);
    expect(res.text).toMatch(/^openapi: 3\.1/m);
    expect((await h.request.get('/openapi.yaml')).status).toBe(401);
  });
});

describe('/health', () => {
  const DAY = 86_400_000;
  const now = new Date('2026-11-27T12:00:00Z');

  test('ok with partners counted, no names; degraded when a secret expires within 30 days or has expired', async () => {
    const hh = makeHarness({ clock: { now: () => now.getTime(), sleep: async () => undefined } });
    try {
      const put = (id: string, expires: string | null) =>
        hh.request
          .put(`/partners/${id}`)
          .set('Authorization', hh.admin)
          .send(validPartner({ clientSecretExpiresAt: expires }));
      await put('uni-far', new Date(now.getTime() + 90 * DAY).toISOString());
      await put('uni-none', null);
      let res = await hh.request.get('/health');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        status: 'ok',
        version: expect.any(String),
        uptimeSeconds: expect.any(Number),
        checks: {
          store: { status: 'ok', engine: 'sqlite' },
          partners: { status: 'ok', total: 2, secretsExpiringSoon: 0, secretsExpired: 0 },
        },
      });
      await put('uni-soon', new Date(now.getTime() + 10 * DAY).toISOString());
      await put('uni-past', new Date(now.getTime() - DAY).toISOString());
      res = await hh.request.get('/health');
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('degraded');
      expect(res.body.checks.partners).toEqual({
        status: 'degraded',
        total: 4,
        secretsExpiringSoon: 1,
        secretsExpired: 1,
        certificatesExpiringSoon: 0,
        certificatesExpired: 0,
        credentialFailures: 0,
      });
      expect(JSON.stringify(res.body)).not.toMatch(/uni-|secret-|tmk_/);
    } finally {
      await hh.close();
    }
  });

  test('503 unavailable when the store does not answer; the API answers problem+json, not a crash', async () => {
    await h.store.close();
    const res = await h.request.get('/health');
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('unavailable');
    expect(res.body.checks.store.status).toBe('unavailable');
    const api = await h.request.get('/partners').set('Authorization', h.admin);
    expect(api.status).toBe(503);
    expect(api.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(api.body.code).toBe('STORE_UNAVAILABLE');
    expect(api.headers['retry-after']).toBe('5');
    expect(JSON.stringify(api.body)).not.toMatch(/sqlite|database connection|at .*\.ts/i);
  });

  test('a draining service answers 503 on /health so that load balancers take it out', async () => {
    h.built.startDraining();
    const res = await h.request.get('/health');
    expect(res.status).toBe(503);
    expect(res.body.checks.shutdown).toEqual({ status: 'draining' });
    expect(res.headers.connection).toBe('close');
  });
});

test('a path with a trailing slash is not the path: GET /partners/ is 404, not the partner list', async () => {
  const h = makeHarness();
  try {
    const res = await h.request.get('/partners/').set('Authorization', h.admin);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NOT_FOUND');
    expect((await h.request.get('/partners').set('Authorization', h.admin)).status).toBe(200);
  } finally {
    await h.close();
  }
});
