/**
 * Tokens for Graph through the real msal-node against the simulator's Entra endpoint: what each
 * configuration mistake becomes, how few token requests the holder makes, and what happens when
 * Entra throttles.
 */
import {
  appError,
  EXPIRED_SECRET,
  graphRequests,
  gatewayPerTest,
  partner,
  SECRET,
  SECRET_ID,
  TENANT_DOMAIN,
  tokenRequests,
} from '../support/gateway-world';

/** Shifts the gateway's clock (token lifetimes, Entra's wait) without waiting. */
let clockOffsetMs = 0;
beforeEach(() => {
  clockOffsetMs = 0;
});
const g = gatewayPerTest(() => ({
  clock: { now: () => Date.now() + clockOffsetMs, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
}));

const lookUpAdviser = (p = partner()) => g.t.gateway.findUsers(p, 'mail', ['ada.adviser@careers-uni.ac.uk']);

describe('configuration mistakes become AppErrors that say what to fix', () => {
  it.each([
    { name: 'a wrong secret', secret: 'not-the-secret' },
    { name: 'the secret ID pasted instead of its value', secret: SECRET_ID },
  ])('$name → INVALID_CLIENT_SECRET (Step 1 items 5-8, the Value)', async ({ secret }) => {
    const p = partner({ secret });
    const error = await appError(lookUpAdviser(p));

    expect(error.code).toBe('INVALID_CLIENT_SECRET');
    expect(error.status).toBe(424);
    expect(error.detail).toContain('AADSTS7000215');
    expect(error.remediation).toContain('Step 1, items 5-8');
    expect(error.remediation).toContain('Value');
    expect(error.remediation).toContain('not the Secret ID');
    expect(error.remediation).toContain(`PATCH /partners/${p.id}`);
    expect(error.remediation).toContain('"clientSecret"');
    expect(`${error.detail} ${error.remediation}`).not.toContain(secret);
    expect(graphRequests(g.sim)).toHaveLength(0);
  });

  it('an expired secret → CLIENT_SECRET_EXPIRED with the new expiry date to store', async () => {
    const error = await appError(lookUpAdviser(partner({ secret: EXPIRED_SECRET })));

    expect(error.code).toBe('CLIENT_SECRET_EXPIRED');
    expect(error.remediation).toContain('Step 1, items 5-8');
    expect(error.remediation).toContain('clientSecretExpiresAt');
  });

  it('an application unknown in the tenant → APPLICATION_NOT_FOUND naming applicationId (Step 1 item 4)', async () => {
    const error = await appError(
      lookUpAdviser(partner({ applicationId: '99999999-8888-4777-8666-555555555555' })),
    );

    expect(error.code).toBe('APPLICATION_NOT_FOUND');
    expect(error.detail).toContain('AADSTS700016');
    expect(error.remediation).toContain('applicationId');
    expect(error.remediation).toContain('Application (client) ID');
    expect(error.remediation).toContain('Overview');
    expect(error.remediation).toContain('Step 1, item 4');
  });

  it.each([
    { name: 'an unknown tenant GUID', tenantId: '00000000-1111-4222-8333-444444444444', asked: true },
    { name: 'an unknown domain', tenantId: 'nowhere.example', asked: true },
    { name: 'a malformed tenant', tenantId: 'not a tenant/../x', asked: false },
  ])('$name → TENANT_NOT_FOUND naming tenantId and cloud', async ({ tenantId, asked }) => {
    const error = await appError(lookUpAdviser(partner({ tenantId })));

    expect(error.code).toBe('TENANT_NOT_FOUND');
    expect(error.remediation).toContain('tenantId');
    expect(error.remediation).toContain('Directory (tenant) ID');
    expect(error.remediation).toContain('Step 1, item 4');
    expect(error.remediation).toContain("cloud (now 'global')");
    // With the endpoints given to MSAL, the mistake shows at the token request itself (as on
    // login.microsoftonline.com), not as a failed metadata fetch.
    expect(g.sim.requests().map((r) => [r.operation, r.status])).toEqual(asked ? [['token', 400]] : []);
  });

  it('a tenant given by its verified domain works', async () => {
    const users = await lookUpAdviser(partner({ tenantId: TENANT_DOMAIN }));
    expect(users.get('ada.adviser@careers-uni.ac.uk')?.map((u) => u.id)).toEqual([g.world.adviser.id]);
  });

  it('a partner without a stored secret → INVALID_CLIENT_SECRET without asking Entra', async () => {
    const error = await appError(lookUpAdviser(partner({ secret: null })));

    expect(error.code).toBe('INVALID_CLIENT_SECRET');
    expect(error.detail).toContain('no client secret');
    expect(g.sim.requests()).toHaveLength(0);
  });

  it('lists partners whose last token request failed for a credential reason, until it succeeds', async () => {
    const bad = partner({ secret: 'wrong' });
    await appError(lookUpAdviser(bad));
    await appError(lookUpAdviser(partner({ applicationId: '99999999-8888-4777-8666-555555555555' })));
    await appError(lookUpAdviser(partner({ tenantId: '00000000-1111-4222-8333-444444444444' })));
    g.sim.injectFault({ match: { operation: 'token' }, status: 503 });
    await appError(lookUpAdviser(partner()));

    expect(g.t.gateway.credentialFailures().map((f) => f.code)).toEqual([
      'INVALID_CLIENT_SECRET',
      'APPLICATION_NOT_FOUND',
      'TENANT_NOT_FOUND',
    ]);
    // The admin stores the right secret (PATCH changes the record): the next token request succeeds.
    await lookUpAdviser({
      ...bad,
      clientSecretCiphertext: `sealed:${SECRET}`,
      updatedAt: new Date().toISOString(),
    });
    expect(g.t.gateway.credentialFailures().map((f) => f.partnerId)).not.toContain(bad.id);
  });
});

describe('the token holder', () => {
  it('makes one token request for many calls of one partner', async () => {
    const p = partner();
    for (let i = 0; i < 5; i += 1) await lookUpAdviser(p);
    await g.t.gateway.getUsersById(p, [g.world.adviser.id]);

    expect(tokenRequests(g.sim)).toHaveLength(1);
    expect(g.t.secretReads()).toBe(1);
    const bearers = new Set(graphRequests(g.sim).map((r) => r.headers['authorization']));
    expect(graphRequests(g.sim)).toHaveLength(6);
    expect(bearers.size).toBe(1);
  });

  it('makes one token request for 50 concurrent cold calls', async () => {
    const p = partner();
    const results = await Promise.all(Array.from({ length: 50 }, () => lookUpAdviser(p)));

    expect(results.every((r) => r.get('ada.adviser@careers-uni.ac.uk')?.length === 1)).toBe(true);
    expect(tokenRequests(g.sim)).toHaveLength(1);
    expect(g.t.secretReads()).toBe(1);
  });

  it('keeps partners apart: one token request per partner', async () => {
    await Promise.all([lookUpAdviser(partner()), lookUpAdviser(partner()), lookUpAdviser(partner())]);
    expect(tokenRequests(g.sim)).toHaveLength(3);
  });

  it('builds a new client and token when the credentials change', async () => {
    const p = partner();
    await lookUpAdviser(p);
    const rotated = {
      ...p,
      clientSecretCiphertext: 'sealed:wrong-new-secret',
      updatedAt: '2026-02-01T00:00:00.000Z',
    };

    // The held token belonged to the old credentials: the new secret is used at once.
    const error = await appError(lookUpAdviser(rotated));
    expect(error.code).toBe('INVALID_CLIENT_SECRET');
    const fixed = {
      ...rotated,
      clientSecretCiphertext: `sealed:${SECRET}`,
      updatedAt: '2026-02-01T00:05:00.000Z',
    };
    await lookUpAdviser(fixed);
    await lookUpAdviser(fixed);

    expect(tokenRequests(g.sim).map((r) => (r.body as Record<string, string>)['client_secret'])).toEqual([
      SECRET,
      'wrong-new-secret',
      SECRET,
    ]);
    expect(g.t.secretReads()).toBe(3);
  });

  it('renews ahead of expiry (half the lifetime for short-lived tokens)', async () => {
    g.sim.setTokenLifetime(240);
    const p = partner();
    await lookUpAdviser(p);
    clockOffsetMs = 100_000;
    await lookUpAdviser(p);
    expect(tokenRequests(g.sim)).toHaveLength(1);
    clockOffsetMs = 130_000;
    await lookUpAdviser(p);
    expect(tokenRequests(g.sim)).toHaveLength(2);
  });

  it('gets a new token once when Graph refuses the held one (401), and repeats the call', async () => {
    const p = partner();
    await lookUpAdviser(p);
    g.sim.injectFault({
      match: { operation: 'users.list' },
      status: 401,
      body: {
        error: {
          code: 'InvalidAuthenticationToken',
          message: 'Access token has expired or is not yet valid.',
        },
      },
    });

    const users = await lookUpAdviser(p);

    expect(users.get('ada.adviser@careers-uni.ac.uk')).toHaveLength(1);
    expect(tokenRequests(g.sim)).toHaveLength(2);
  });

  it('tells the roles of the token, for the setup checks', async () => {
    expect(await g.t.gateway.tokenRoles(partner())).toEqual([
      'OnlineMeetings.ReadWrite.All',
      'User.ReadBasic.All',
    ]);
  });

  it('forgets a partner: its next call asks for a new token', async () => {
    const p = partner();
    await lookUpAdviser(p);
    g.t.gateway.forgetPartner(p.id);
    await lookUpAdviser(p);
    expect(tokenRequests(g.sim)).toHaveLength(2);
  });
});

describe('when Entra ID is throttling or unreachable', () => {
  it('503 → ENTRA_UNAVAILABLE with at least 5 s, no new request before, a fresh client after', async () => {
    g.sim.injectFault({ match: { operation: 'token' }, status: 503, retryAfter: null });
    const p = partner();

    const first = await appError(lookUpAdviser(p));
    expect(first.code).toBe('ENTRA_UNAVAILABLE');
    expect(first.retryAfterSeconds).toBeGreaterThanOrEqual(5);

    const second = await appError(lookUpAdviser(p));
    expect(second.code).toBe('ENTRA_UNAVAILABLE');
    expect(tokenRequests(g.sim)).toHaveLength(1);

    // After the wait, a new MSAL instance (the old one would refuse on its own for a minute).
    clockOffsetMs = 6_000;
    await lookUpAdviser(p);
    expect(tokenRequests(g.sim).map((r) => r.status)).toEqual([503, 200]);
    expect(g.t.gateway.credentialFailures()).toEqual([]);
  });

  it("429 with Retry-After → ENTRA_UNAVAILABLE carrying Entra's wait", async () => {
    g.sim.injectFault({ match: { operation: 'token' }, status: 429, retryAfter: '12' });
    const error = await appError(lookUpAdviser());
    expect(error.code).toBe('ENTRA_UNAVAILABLE');
    expect(error.retryAfterSeconds).toBe(12);
  });

  it('a lost connection → ENTRA_UNAVAILABLE', async () => {
    g.sim.injectFault({ match: { operation: 'token' }, drop: 'before' });
    const error = await appError(lookUpAdviser());
    expect(error.code).toBe('ENTRA_UNAVAILABLE');
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(5);
  });

  it('no answer in time → ENTRA_TIMEOUT', async () => {
    g.replace({ attemptTimeoutMs: 300 });
    g.sim.injectFault({ match: { operation: 'token' }, delayMs: 1500 });
    const started = Date.now();

    const error = await appError(lookUpAdviser());

    expect(error.code).toBe('ENTRA_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1200);
  });
});

describe('trust', () => {
  it('without the extra CA the default trust store applies: an untrusted Entra host → ENTRA_ERROR naming NODE_EXTRA_CA_CERTS', async () => {
    g.replace({ extraCaPem: undefined });

    const error = await appError(lookUpAdviser());

    expect(error.code).toBe('ENTRA_ERROR');
    expect(error.detail).toContain('not trusted');
    expect(error.remediation).toContain('NODE_EXTRA_CA_CERTS');
    expect(g.t.gateway.credentialFailures()).toEqual([]);
  });
});

describe('secrets and tokens stay out of logs, errors and metrics', () => {
  it('logs neither the client secret nor any access token', async () => {
    const p = partner();
    await lookUpAdviser(p);
    await appError(lookUpAdviser(partner({ secret: 'wrong-secret-value-42' })));
    await appError(lookUpAdviser(partner({ secret: EXPIRED_SECRET })));
    g.sim.injectFault({ match: { operation: 'users.list' }, status: 500 });
    await appError(lookUpAdviser(p));
    await g.t.gateway.createOrGetMeeting(p, g.world.adviser.id, 'appt-log-check', {
      subject: 'Careers guidance',
      startDateTime: '2026-12-01T10:00:00Z',
      endDateTime: '2026-12-01T10:30:00Z',
      attendees: [],
    });

    const text = g.t.logs.text();
    expect(text.length).toBeGreaterThan(0);
    for (const secret of [SECRET, 'wrong-secret-value-42', EXPIRED_SECRET])
      expect(text).not.toContain(secret);
    const tokens = g.sim
      .requests()
      .map((r) => /^Bearer (\S+)/.exec(r.headers['authorization'] ?? '')?.[1])
      .filter((token): token is string => token !== undefined);
    expect(tokens.length).toBeGreaterThan(0);
    for (const token of tokens) {
      expect(text).not.toContain(token);
      // Not even its signature part.
      expect(text).not.toContain(token.split('.')[2]);
    }
    expect(text).not.toContain('ada.adviser@careers-uni.ac.uk');
    const metrics = await g.t.registry.metrics();
    expect(metrics).toContain('teams_meetings_token_requests_total{outcome="invalid_client_secret"} 1');
    expect(metrics).toContain('teams_meetings_token_requests_total{outcome="client_secret_expired"} 1');
    expect(metrics).not.toContain(SECRET);
  });
});
