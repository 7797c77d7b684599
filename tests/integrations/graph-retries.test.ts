/**
 * How calls to Graph survive throttling, outages, slowness and lost answers: which are repeated,
 * how long the service waits, and what it answers when it gives up.
 */
import { connectionOf } from '../../src/domain/credentials/tenant-connection';
import { Registry } from 'prom-client';
import { endpointsFor } from '../../src/integrations/microsoft/clouds';
import { GraphClient } from '../../src/integrations/microsoft/graph-client';
import { createGraphMetrics } from '../../src/integrations/microsoft/graph-metrics';
import { createHttpClient, type HttpClient } from '../../src/integrations/microsoft/http-client';
import { realClock } from '../../src/integrations/microsoft/retry-policy';
import { TokenProvider } from '../../src/integrations/microsoft/token-provider';
import { createLogger } from '../../src/logging/logger';
import { TestClock } from '../support/clock';
import {
  appError,
  graphRequests,
  LogCapture,
  gatewayPerTest,
  partner,
  SECRET,
} from '../support/gateway-world';

let clock = new TestClock();
beforeEach(() => {
  clock = new TestClock();
});
const g = gatewayPerTest(() => ({
  attemptTimeoutMs: 2000,
  deadlineMs: 5000,
  maxAttempts: 4,
  random: () => 0.2,
  clock,
}));

const ADVISER_MAIL = 'ada.adviser@careers-uni.ac.uk';
const usersListed = () => graphRequests(g.sim).filter((r) => r.operation === 'users.list');

describe('safe calls are repeated', () => {
  it('waits out a 429 with a fractional Retry-After (1.5 s), then succeeds', async () => {
    const p = partner();
    await g.t.gateway.tokenRoles(p);
    g.sim.injectFault({ match: { operation: 'users.list' }, status: 429, retryAfter: '1.5' });

    const users = await g.t.gateway.findUsers(p, 'mail', [ADVISER_MAIL]);

    expect(users.get(ADVISER_MAIL)?.map((u) => u.id)).toEqual([g.world.adviser.id]);
    const [throttled, retried] = usersListed();
    expect([throttled?.status, retried?.status]).toEqual([429, 200]);
    expect(clock.waits).toEqual([1500]);
    // One call: the same client-request-id on both attempts, a UUID.
    expect(retried!.headers['client-request-id']).toBe(throttled!.headers['client-request-id']);
    expect(retried!.headers['client-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(await g.t.registry.metrics()).toContain(
      'teams_meetings_graph_retries_total{operation="users.list",reason="429"} 1',
    );
  });

  it('retries 503 and 504 without Retry-After with backoff', async () => {
    g.sim.injectFault({ match: { operation: 'users.list' }, status: 503, retryAfter: null });
    g.sim.injectFault({ match: { operation: 'users.list' }, status: 504 });

    const users = await g.t.gateway.findUsers(partner(), 'mail', [ADVISER_MAIL]);

    expect(users.get(ADVISER_MAIL)).toHaveLength(1);
    expect(usersListed().map((r) => r.status)).toEqual([503, 504, 200]);
    // Full jitter with random() = 0.2: 0.2 × 500 ms, then 0.2 × 1000 ms.
    expect(clock.waits).toEqual([100, 200]);
  });

  it('gives up with GRAPH_UNAVAILABLE and Retry-After when the retries run out', async () => {
    g.sim.injectFault({
      match: { operation: 'users.list' },
      status: 503,
      retryAfter: '0.2',
      times: Infinity,
    });

    const error = await appError(g.t.gateway.findUsers(partner(), 'mail', [ADVISER_MAIL]));

    expect(error.code).toBe('GRAPH_UNAVAILABLE');
    expect(error.status).toBe(503);
    expect(error.retryAfterSeconds).toBe(1);
    expect(usersListed()).toHaveLength(4);
    expect(clock.waits).toEqual([200, 200, 200]);
  });

  it('does not wait for a Retry-After beyond the deadline: GRAPH_UNAVAILABLE with that wait, at once', async () => {
    g.sim.injectFault({ match: { operation: 'users.list' }, status: 429, retryAfter: '30' });

    const error = await appError(g.t.gateway.findUsers(partner(), 'mail', [ADVISER_MAIL]));

    expect(error.code).toBe('GRAPH_UNAVAILABLE');
    expect(error.retryAfterSeconds).toBe(30);
    expect(clock.waits).toEqual([]);
    expect(usersListed()).toHaveLength(1);
  });

  it('answers GRAPH_TIMEOUT within the deadline when Graph is slower than the attempt timeout', async () => {
    g.replace({
      attemptTimeoutMs: 200,
      deadlineMs: 700,
      random: () => 0.5,
      clock,
    });
    const p = partner();
    await g.t.gateway.tokenRoles(p);
    g.sim.injectFault({ match: { operation: 'users.list' }, delayMs: 1500, times: Infinity });
    const started = clock.now();

    const error = await appError(g.t.gateway.findUsers(p, 'mail', [ADVISER_MAIL]));

    expect(error.code).toBe('GRAPH_TIMEOUT');
    expect(error.status).toBe(504);
    // Two attempts of 200 ms with a 250 ms backoff between (0.5 × 500 ms); a third would not fit
    // in the 700 ms deadline, so it gave up there instead of waiting for Graph's slow answer (1.5 s).
    expect(clock.waits).toEqual([250]);
    expect(usersListed()).toHaveLength(2);
    const elapsed = clock.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(650);
    expect(elapsed).toBeLessThan(1500);
  });

  it('repeats a createOrGet whose answer was lost after the meeting was made: one meeting', async () => {
    const p = partner();
    g.sim.injectFault({ match: { operation: 'onlineMeetings.createOrGet' }, drop: 'after' });

    const made = await g.adviserMeeting(p, 'appt-lost-answer');

    const calls = graphRequests(g.sim).filter((r) => r.operation === 'onlineMeetings.createOrGet');
    expect(calls.map((r) => [r.status, r.dropped ?? null])).toEqual([
      [201, 'after'],
      [200, null],
    ]);
    expect(g.sim.meetings()).toHaveLength(1);
    expect(made.meeting.id).toBe(g.sim.meetings()[0]?.id);
  });

  it('repeats a DELETE whose answer was lost: the second attempt finds it gone', async () => {
    const p = partner();
    const { meeting } = await g.adviserMeeting(p, 'appt-del');
    g.sim.injectFault({ match: { operation: 'onlineMeetings.delete' }, drop: 'after' });

    expect(await g.t.gateway.deleteMeeting(p, g.world.adviser.id, meeting.id)).toBe('gone');
    expect(g.sim.meetings()).toHaveLength(0);
  });
});

describe('a plain POST is never repeated', () => {
  let http: HttpClient;
  let graph: GraphClient;
  const p = partner();

  beforeEach(() => {
    http?.close();
    http = createHttpClient({ extraCaPem: g.sim.caCertPem });
    const metrics = createGraphMetrics(new Registry());
    const logger = createLogger('silent', new LogCapture());
    const endpointsOf = () =>
      endpointsFor('global', { authorityHost: g.sim.authorityHost, graphBaseUrl: g.sim.graphBaseUrl });
    const tokens = new TokenProvider({
      http: http.axios,
      connectionOf: (p) => connectionOf(p, async () => ({ type: 'clientSecret', secret: SECRET })),
      endpointsOf,
      logger,
      metrics,
      timeoutMs: 2000,
    });
    graph = new GraphClient({
      http: http.axios,
      tokens,
      endpointsOf,
      logger,
      metrics,
      attemptTimeoutMs: 2000,
      deadlineMs: 5000,
      maxAttempts: 4,
      clock: realClock,
    });
  });
  afterAll(() => http.close());

  const create = () =>
    graph.request({
      partner: p,
      operation: 'onlineMeetings.create',
      method: 'POST',
      path: `/users/${g.world.adviser.id}/onlineMeetings`,
      body: { subject: 'x', startDateTime: '2026-12-01T10:00:00Z', endDateTime: '2026-12-01T10:30:00Z' },
      retry: 'never',
    });

  it('a 503 → GRAPH_UNAVAILABLE after one request', async () => {
    g.sim.injectFault({ match: { operation: 'onlineMeetings.create' }, status: 503, retryAfter: '0.1' });
    const error = await appError(create());
    expect(error.code).toBe('GRAPH_UNAVAILABLE');
    expect(graphRequests(g.sim).filter((r) => r.operation === 'onlineMeetings.create')).toHaveLength(1);
  });

  it('a lost answer → GRAPH_UNAVAILABLE after one request (a repeat would make a second meeting)', async () => {
    g.sim.injectFault({ match: { operation: 'onlineMeetings.create' }, drop: 'after' });
    const error = await appError(create());
    expect(error.code).toBe('GRAPH_UNAVAILABLE');
    expect(graphRequests(g.sim).filter((r) => r.operation === 'onlineMeetings.create')).toHaveLength(1);
    expect(g.sim.meetings()).toHaveLength(1);
  });
});

describe('what the calls carry and log', () => {
  it("sends a client-request-id per call and logs Graph's request-id, operation, status and duration", async () => {
    const p = partner();
    await g.t.gateway.findUsers(p, 'mail', [ADVISER_MAIL]);
    await g.t.gateway.findUsers(p, 'mail', [ADVISER_MAIL]);

    const [first, second] = usersListed();
    expect(first!.headers['client-request-id']).not.toBe(second!.headers['client-request-id']);
    const lines = g.t.logs.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e['msg'] === 'Microsoft Graph call');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 'debug',
      partnerId: p.id,
      operation: 'users.list',
      status: '200',
      graphRequestId: first!.requestId,
      clientRequestId: first!.headers['client-request-id'],
    });
    expect(typeof lines[0]!['durationMs']).toBe('number');
  });

  it('logs a failed call at warn with its request ids, and answers GRAPH_ERROR with code and request-id', async () => {
    g.sim.injectFault({ match: { operation: 'users.list' }, status: 500 });

    const error = await appError(g.t.gateway.findUsers(partner(), 'mail', [ADVISER_MAIL]));

    const [failed] = usersListed();
    expect(error.code).toBe('GRAPH_ERROR');
    expect(error.status).toBe(502);
    expect(error.detail).toContain('InternalServerError');
    expect(error.detail).toContain(failed!.requestId);
    const warn = g.t.logs.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((e) => e['msg'] === 'Microsoft Graph call failed');
    expect(warn).toMatchObject({ level: 'warn', status: '500', graphRequestId: failed!.requestId });
  });
});
