import {
  accessToken,
  graphClient,
  meetingBody,
  requestToken,
  simulatorPerTest,
  TENANT_ID,
  type AadErrorBody,
  type GraphErrorBody,
} from '../support/simulator-world';

const s = simulatorPerTest();

function createOrGet(externalId: string) {
  return s.graph.post(`/users/${s.world.adviser.id}/onlineMeetings/createOrGet`, meetingBody({ externalId }));
}

async function connectionError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code ?? 'unknown';
  }
  throw new Error('expected the connection to fail');
}

describe('status faults', () => {
  it('throttles once with 429, Retry-After 1.5 and Graph error shape, then answers normally', async () => {
    s.h.sim.injectFault({ match: { operation: 'users.list' }, status: 429, retryAfter: '1.5' });

    const throttled = await s.graph.get('/users', { headers: { 'client-request-id': 'c-1' } });
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('1.5');
    expect((throttled.data as GraphErrorBody).error).toMatchObject({
      code: 'TooManyRequests',
      innerError: { 'request-id': throttled.headers['request-id'], 'client-request-id': 'c-1' },
    });

    expect((await s.graph.get('/users')).status).toBe(200);
    expect(s.h.sim.requests().map((r) => [r.status, r.faulted ?? false])).toEqual([
      [429, true],
      [200, false],
    ]);
  });

  it('sends Retry-After 1 on 429/503 by default and none when retryAfter is null', async () => {
    s.h.sim.injectFault({ match: { kind: 'graph' }, status: 503 });
    s.h.sim.injectFault({ match: { kind: 'graph' }, status: 429, retryAfter: null });

    const unavailable = await s.graph.get('/users');
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers['retry-after']).toBe('1');
    expect((unavailable.data as GraphErrorBody).error.code).toBe('ServiceUnavailable');

    const bare = await s.graph.get('/users');
    expect(bare.status).toBe(429);
    expect(bare.headers['retry-after']).toBeUndefined();
  });

  it('answers token faults in the AADSTS shape', async () => {
    s.h.sim.injectFault({ match: { kind: 'token' }, status: 429, retryAfter: '5' });

    const response = await requestToken(s.h.http, TENANT_ID);

    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.data as AadErrorBody).toMatchObject({
      error: 'temporarily_unavailable',
      error_codes: [90055],
    });
  });

  it('matches by method and path, counts times, and takes a custom body', async () => {
    s.h.sim.injectFault({
      match: { method: 'POST', pathIncludes: '/createOrGet' },
      times: 2,
      status: 409,
      body: { error: { code: 'Conflict', message: 'custom' } },
    });

    expect((await s.graph.get('/users')).status).toBe(200);
    const first = await createOrGet('a');
    expect(first.status).toBe(409);
    expect(first.data).toEqual({ error: { code: 'Conflict', message: 'custom' } });
    expect((await createOrGet('a')).status).toBe(409);
    expect((await createOrGet('a')).status).toBe(201);
  });

  it('keeps an Infinity fault until clearFaults', async () => {
    s.h.sim.injectFault({ match: { operation: 'users.get' }, status: 500, times: Infinity });

    for (let i = 0; i < 3; i += 1)
      expect((await s.graph.get(`/users/${s.world.adviser.id}`)).status).toBe(500);
    s.h.sim.clearFaults();
    expect((await s.graph.get(`/users/${s.world.adviser.id}`)).status).toBe(200);
  });
});

describe('lost connections', () => {
  it("drop 'before': the connection dies and nothing was made", async () => {
    s.h.sim.injectFault({ match: { operation: 'onlineMeetings.createOrGet' }, drop: 'before' });

    expect(await connectionError(createOrGet('lost-before'))).toMatch(
      /ECONNRESET|ERR_BAD_RESPONSE|ECONNABORTED/,
    );
    expect(s.h.sim.meetings()).toEqual([]);
    expect(s.h.sim.requests()).toMatchObject([
      { operation: 'onlineMeetings.createOrGet', status: 0, dropped: 'before' },
    ]);

    expect((await createOrGet('lost-before')).status).toBe(201);
  });

  it("drop 'after': the meeting exists but the answer is lost; the retry gets it with 200", async () => {
    s.h.sim.injectFault({ match: { operation: 'onlineMeetings.createOrGet' }, drop: 'after' });

    expect(await connectionError(createOrGet('lost-after'))).toMatch(
      /ECONNRESET|ERR_BAD_RESPONSE|ECONNABORTED/,
    );
    expect(s.h.sim.meetings()).toHaveLength(1);
    expect(s.h.sim.requests()).toMatchObject([{ status: 201, dropped: 'after' }]);

    const retry = await createOrGet('lost-after');
    expect(retry.status).toBe(200);
    expect(retry.data.id).toBe(s.h.sim.meetings()[0]?.id);
  });
});

describe('latency', () => {
  it('delays one answer with delayMs, or every answer with setLatency', async () => {
    s.h.sim.injectFault({ match: { operation: 'users.list' }, delayMs: 300 });
    let started = Date.now();
    expect((await s.graph.get('/users')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);

    started = Date.now();
    await s.graph.get('/users');
    expect(Date.now() - started).toBeLessThan(250);

    s.h.sim.setLatency(200);
    started = Date.now();
    await requestToken(s.h.http, TENANT_ID);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('adds a jitter drawn for each request to setLatency', async () => {
    s.h.sim.setLatency(50, 100);
    const took = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const started = Date.now();
        await s.graph.get('/users');
        return Date.now() - started;
      }),
    );
    expect(Math.min(...took)).toBeGreaterThanOrEqual(45);
    expect(Math.max(...took)).toBeLessThan(1000);
    // Eight draws from 100 ms of jitter are not all within 5 ms of each other (p ≈ 1e-7).
    expect(Math.max(...took) - Math.min(...took)).toBeGreaterThan(5);
    expect(() => s.h.sim.setLatency(10, -1)).toThrow(/0 or more/);
  });

  it('lets a client time out while the request still completes on the server', async () => {
    s.h.sim.setLatency(400);
    const impatient = graphClient(s.h, await accessToken(s.h.http));
    impatient.defaults.timeout = 100;

    expect(
      await connectionError(
        impatient.post(
          `/users/${s.world.adviser.id}/onlineMeetings/createOrGet`,
          meetingBody({ externalId: 'slow' }),
        ),
      ),
    ).toBe('ECONNABORTED');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(s.h.sim.meetings()).toHaveLength(1);
  });
});
