/**
 * Rate limits shared by all instances through Redis (REDIS_URL; 127.0.0.1:6379 here, `.ci/run`
 * starts one): a key's budget and an address's failed authentications count across instances;
 * Redis unreachable, requests are still served (fail open), counted, and /health says degraded.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { makeHarness, validPartner, type Harness } from '../support/harness';

const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

async function instances(env: Record<string, string>, options: Parameters<typeof makeHarness>[0] = {}) {
  // Counters of their own: runs before this one (within their minute) do not count here.
  env = { REDIS_KEY_PREFIX: `test-${randomBytes(6).toString('hex')}`, ...env };
  const a = makeHarness({ env, trustProxy: true, ...options });
  const b = makeHarness({ env, trustProxy: true, ...options, store: a.store, secretsKey: a.secretsKey });
  harnesses.push(b, a);
  return [a, b] as const;
}

/** Partner uni-r, made through `h`; its new key. */
async function partnerKey(h: Harness): Promise<string> {
  expect(
    (await h.request.put('/partners/uni-r').set('Authorization', h.admin).send(validPartner())).status,
  ).toBe(201);
  return (await h.request.post('/partners/uni-r/api-keys').set('Authorization', h.admin)).body.key as string;
}

/** Until both instances' Redis clients are connected (a few ms on loopback). */
async function connected(...hs: Harness[]): Promise<void> {
  for (const h of hs) {
    for (let i = 0; i < 100 && h.services.rateLimits.status().status !== 'ok'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(h.services.rateLimits.status()).toEqual({ store: 'redis', status: 'ok' });
  }
}

test("a key's budget counts across instances", async () => {
  const [a, b] = await instances({ REDIS_URL: REDIS }, { rateLimitPerMinute: 3 });
  await connected(a, b);
  const key = await partnerKey(a);
  const statuses: number[] = [];
  for (const h of [a, b, a, b]) {
    statuses.push(
      (await h.request.get('/appointments/nothing/meeting').set('Authorization', `Bearer ${key}`)).status,
    );
  }
  // Three on the two instances together, then 429 on either: not three each.
  expect(statuses).toEqual([404, 404, 404, 429]);
  expect((await a.request.get('/health')).body.checks.rateLimits).toEqual({ status: 'ok', store: 'redis' });
});

test("an address's failed authentications count across instances", async () => {
  const [a, b] = await instances({ REDIS_URL: REDIS }, { unauthenticatedLimitPerMinute: 2 });
  await connected(a, b);
  const address = `10.${randomBytes(1)[0]}.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;
  const statuses: number[] = [];
  for (const h of [a, b, a]) {
    statuses.push(
      (await h.request.get('/partners').set('X-Forwarded-For', address).set('Authorization', 'Bearer nope'))
        .status,
    );
  }
  expect(statuses).toEqual([401, 401, 429]);
});

test('Redis unreachable: requests are served, counted, and /health is degraded', async () => {
  const [a] = await instances({ REDIS_URL: 'redis://127.0.0.1:1' }, { rateLimitPerMinute: 1 });
  for (let i = 0; i < 3; i++) {
    expect((await a.request.get('/partners').set('Authorization', a.admin)).status).toBe(200);
  }
  const health = await a.request.get('/health');
  expect(health.status).toBe(200);
  expect(health.body.status).toBe('degraded');
  expect(health.body.checks.rateLimits).toEqual({
    status: 'degraded',
    store: 'redis',
    detail: 'Redis does not answer; the rate limits are not enforced meanwhile.',
  });
  const metrics = (await a.request.get('/metrics').set('Authorization', a.admin)).text;
  expect(
    Number(/^teams_meetings_rate_limit_store_errors_total (\d+)/m.exec(metrics)?.[1]),
  ).toBeGreaterThanOrEqual(3);
  expect(a.logs.text()).toContain('rate-limit store (Redis) did not answer');
  expect(a.logs.text()).not.toContain('127.0.0.1:1');
});

/** A Redis of this test's own on a free loopback port, to be stopped mid-test. */
async function ownRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

test('two instances, a limit of 60 a minute: the 61st request over both is 429; Redis stopped, both keep serving', async () => {
  const redis = await ownRedis();
  try {
    const [a, b] = await instances({ REDIS_URL: redis.url }, { rateLimitPerMinute: 60 });
    await connected(a, b);
    const key = await partnerKey(a);
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) {
      const h = i % 2 === 0 ? a : b;
      statuses.push(
        (await h.request.get('/appointments/x/meeting').set('Authorization', `Bearer ${key}`)).status,
      );
    }
    expect(statuses.slice(0, 60).every((s) => s === 404)).toBe(true);
    expect(statuses[60]).toBe(429);

    await redis.stop();
    // Served (without the limit) on both, never a 5xx; /health says why.
    for (const h of [a, b, a, b]) {
      expect(
        (await h.request.get('/appointments/x/meeting').set('Authorization', `Bearer ${key}`)).status,
      ).toBe(404);
    }
    expect((await b.request.get('/health')).body.checks.rateLimits).toMatchObject({
      status: 'degraded',
      store: 'redis',
    });
  } finally {
    await redis.stop();
  }
});
