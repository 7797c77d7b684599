/**
 * Every row of the error table (README, "Errors") that the meeting endpoints touch, against the
 * simulator.
 */
import {
  APP_ID,
  appointment,
  CLIENT_SECRET,
  received,
  SECRET_ID,
  TENANT_ID,
  worldsPerTest,
} from '../support/service-world';
import { TestClock } from '../support/clock';

const worlds = worldsPerTest();
const world = worlds.world.bind(worlds);

function expectProblem(
  res: { status: number; headers: Record<string, string>; body: Record<string, unknown> },
  status: number,
  code: string,
) {
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code });
  expect(res.status).toBe(status);
  return res.body as {
    detail: string;
    remediation?: string;
    errors?: Array<{ field: string; message: string }>;
  };
}

describe('400 VALIDATION_FAILED', () => {
  test.each([
    ['no offset', { startDateTime: '2026-12-01T10:00:00' }, 'body.startDateTime'],
    ['end before start', { endDateTime: '2026-12-01T09:00:00Z' }, 'body.endDateTime'],
    ['longer than 24 h', { endDateTime: '2026-12-02T10:00:01+00:00' }, 'body.endDateTime'],
    [
      '51 attendees',
      { attendees: Array.from({ length: 51 }, (_, i) => ({ email: `x${i}@y` })) },
      'body.attendees',
    ],
    ['subject too long', { subject: 'x'.repeat(256) }, 'body.subject'],
    ['blank subject', { subject: '   ' }, 'body.subject'],
    ['appointmentId too long', { appointmentId: 'a'.repeat(201) }, 'body.appointmentId'],
    ['operator not an object', { operator: 'ada@x' }, 'body.operator'],
    ['operator with no field', { operator: {} }, 'body.operator'],
    ['numeric identity value', { operator: { email: 42 } }, 'body.operator.email'],
    ['bad option', { options: { lobbyBypassScope: 'anyone' } }, 'body.options.lobbyBypassScope'],
    ['unknown field', { location: 'room 1' }, 'body'],
  ])('%s', async (_label, override, field) => {
    const world_ = await world();
    const res = await world_.create(appointment(override));
    const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(problem.errors?.map((e) => e.field)).toContain(field);
    expect(worlds.sim.requests()).toHaveLength(0);
  });
});

describe('401/403', () => {
  test('no key 401; the admin key 403 on meeting endpoints', async () => {
    const world_ = await world();
    expectProblem(
      await world_.h.request.post('/appointments/meeting').send(appointment()),
      401,
      'UNAUTHENTICATED',
    );
    expectProblem(await world_.create(appointment(), 'x'.repeat(10)), 401, 'UNAUTHENTICATED');
    const admin = await world_.h.request
      .post('/appointments/meeting')
      .set('Authorization', world_.h.admin)
      .send(appointment());
    expectProblem(admin, 403, 'FORBIDDEN');
  });
});

describe('422 operator problems', () => {
  test('OPERATOR_IDENTITY_MISSING names the local match field; nothing is stored', async () => {
    const world_ = await world();
    const body = appointment({ operator: { staffNumber: '42' } });
    const problem = expectProblem(await world_.create(body), 422, 'OPERATOR_IDENTITY_MISSING');
    expect(problem.detail).toContain("'email'");
    expect(problem.remediation).toMatch(/operatorLocalMatchField/);
    // Fixed, the same appointment goes through: nothing half-made was kept.
    expect(
      (await world_.create({ ...body, operator: { email: 'ada.adviser@uni.example.ac.uk' } })).status,
    ).toBe(201);
  });

  test('OPERATOR_NOT_FOUND and OPERATOR_AMBIGUOUS', async () => {
    const world_ = await world();
    expectProblem(
      await world_.create(appointment({ operator: { email: 'nobody@uni.example.ac.uk' } })),
      422,
      'OPERATOR_NOT_FOUND',
    );
    worlds.sim.addUser({
      tenantId: TENANT_ID,
      userPrincipalName: 'd1@uni.example.ac.uk',
      mail: 'dup@uni.example.ac.uk',
    });
    worlds.sim.addUser({
      tenantId: TENANT_ID,
      userPrincipalName: 'd2@uni.example.ac.uk',
      mail: 'dup@uni.example.ac.uk',
    });
    const problem = expectProblem(
      await world_.create(appointment({ operator: { email: 'dup@uni.example.ac.uk' } })),
      422,
      'OPERATOR_AMBIGUOUS',
    );
    expect(problem.remediation).toMatch(/operatorRemoteMatchField/);
    expect(worlds.sim.meetings()).toHaveLength(0);
  });

  test('an operator matched by object id uses /users/{id}', async () => {
    const world_ = await world({
      partner: { operatorLocalMatchField: 'entraId', operatorRemoteMatchField: 'id' },
    });
    const res = await world_.create(appointment({ operator: { entraId: world_.adviser.id.toUpperCase() } }));
    expect(res.status).toBe(201);
    expect(
      received(worlds.sim, 'users.get').some(
        (r) => r.path.endsWith(world_.adviser.id) || r.path.toLowerCase().endsWith(world_.adviser.id),
      ),
    ).toBe(true);
  });
});

describe('424 setup problems', () => {
  test('ACCESS_POLICY_MISSING names the object id, the Grant line and the 30 minutes', async () => {
    const world_ = await world();
    const body = appointment({ operator: { email: 'nina.nopolicy@uni.example.ac.uk' } });
    const problem = expectProblem(await world_.create(body), 424, 'ACCESS_POLICY_MISSING');
    expect(problem.remediation).toContain(world_.adviserNoPolicy.id);
    expect(problem.remediation).toContain('Grant-CsApplicationAccessPolicy');
    expect(problem.remediation).toMatch(/30 minutes/);
    expect(worlds.sim.meetings()).toHaveLength(0);
    // Once the Teams admin grants it, the same request succeeds.
    worlds.sim.grantPolicy(TENANT_ID, world_.adviserNoPolicy.id, APP_ID);
    expect((await world_.create(body)).status).toBe(201);
  });

  test('INVALID_CLIENT_SECRET (also when the Secret ID was stored), then fixed by a PATCH', async () => {
    const world_ = await world();
    await world_.h.request
      .patch('/partners/uni-x')
      .set('Authorization', world_.h.admin)
      .send({ clientSecret: 'wrong8Q~0000000000000000000000000000000' });
    const problem = expectProblem(await world_.create(appointment()), 424, 'INVALID_CLIENT_SECRET');
    expect(problem.remediation).toMatch(/Value/);
    expect(problem.remediation).toMatch(/clientSecret/);
    expect(JSON.stringify(problem)).not.toContain('wrong8Q');
    await world_.h.request
      .patch('/partners/uni-x')
      .set('Authorization', world_.h.admin)
      .send({ clientSecret: CLIENT_SECRET });
    expect((await world_.create(appointment())).status).toBe(201);
    expect(SECRET_ID).toBeDefined();
  });

  test('CLIENT_SECRET_EXPIRED', async () => {
    const world_ = await world();
    worlds.sim.addApp({
      tenantId: TENANT_ID,
      appId: APP_ID,
      secrets: [{ value: CLIENT_SECRET, expiresAt: new Date(Date.now() - 1000) }],
      roles: ['OnlineMeetings.ReadWrite.All', 'User.ReadBasic.All'],
    });
    const problem = expectProblem(await world_.create(appointment()), 424, 'CLIENT_SECRET_EXPIRED');
    expect(problem.remediation).toMatch(/clientSecretExpiresAt|new client secret/i);
  });

  test('APPLICATION_NOT_FOUND and TENANT_NOT_FOUND name their fields', async () => {
    const world_ = await world();
    await world_.h.request
      .patch('/partners/uni-x')
      .set('Authorization', world_.h.admin)
      .send({ applicationId: '00000000-1111-4222-8333-444444444444' });
    expect(
      expectProblem(await world_.create(appointment()), 424, 'APPLICATION_NOT_FOUND').remediation,
    ).toMatch(/applicationId/);
    await world_.h.request
      .patch('/partners/uni-x')
      .set('Authorization', world_.h.admin)
      .send({ applicationId: APP_ID, tenantId: 'deadbeef-1111-4222-8333-444444444444' });
    expect(expectProblem(await world_.create(appointment()), 424, 'TENANT_NOT_FOUND').remediation).toMatch(
      /tenantId/,
    );
  });

  test('PERMISSION_MISSING names the permission without admin consent', async () => {
    const world_ = await world({ roles: ['User.ReadBasic.All'] });
    const problem = expectProblem(await world_.create(appointment()), 424, 'PERMISSION_MISSING');
    expect(`${problem.detail} ${problem.remediation}`).toContain('OnlineMeetings.ReadWrite.All');
    expect(problem.remediation).toMatch(/admin consent/i);
  });
});

describe('Graph failures', () => {
  test('503 GRAPH_UNAVAILABLE with Retry-After when throttling outlasts the retries', async () => {
    const clock = new TestClock();
    const world_ = await world({ graph: { maxAttempts: 2, deadlineMs: 4000 }, clock });
    await world_.create(appointment());
    worlds.sim.injectFault({
      match: { operation: 'onlineMeetings.createOrGet' },
      status: 429,
      retryAfter: '0.2',
      times: Infinity,
    });
    const res = await world_.create(appointment());
    expectProblem(res, 503, 'GRAPH_UNAVAILABLE');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(clock.waits).toEqual([200]);
  });

  test('504 GRAPH_TIMEOUT when Graph does not answer in time', async () => {
    const world_ = await world({ graph: { attemptTimeoutMs: 300, deadlineMs: 1000, maxAttempts: 2 } });
    await world_.create(appointment());
    worlds.sim.setLatency(1500);
    expectProblem(await world_.create(appointment()), 504, 'GRAPH_TIMEOUT');
    worlds.sim.setLatency(0);
  });

  test('502 GRAPH_ERROR for an unexpected answer, without upstream internals', async () => {
    const world_ = await world();
    await world_.create(appointment());
    worlds.sim.injectFault({
      match: { operation: 'onlineMeetings.createOrGet' },
      status: 500,
      times: Infinity,
    });
    const res = await world_.create(appointment());
    expectProblem(res, 502, 'GRAPH_ERROR');
    expect(JSON.stringify(res.body)).not.toMatch(/eyJ|Bearer|stack/);
  });
});

/** Resolves once the simulator has received a call of `operation` (bounded: 2 s). */
async function untilReceived(sim: typeof worlds.sim, operation: string): Promise<void> {
  for (let i = 0; i < 400; i += 1) {
    if (received(sim, operation).length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`the simulator never received ${operation}`);
}

describe('409: races are reported as races, not as Microsoft failures', () => {
  test('MEETING_IN_PROGRESS with Retry-After when another request took the claim over meanwhile', async () => {
    const world_ = await world();
    const body = appointment();
    worlds.sim.injectFault({ match: { operation: 'onlineMeetings.createOrGet' }, delayMs: 300 });
    const creating = world_.create(body).then((res) => res); // supertest sends on then()
    await untilReceived(worlds.sim, 'onlineMeetings.createOrGet');
    // Another instance took the pending claim over meanwhile (as if this one's lease had expired).
    const claim = await world_.h.store.meetings.get('uni-x', body.appointmentId as string);
    expect(claim?.status).toBe('pending');
    const lease = { owner: 'another-instance', expiresAt: new Date(Date.now() + 20_000).toISOString() };
    expect(
      await world_.h.store.meetings.update({ ...claim!, lease, version: claim!.version + 1 }, claim!.version),
    ).toBe(true);
    const res = await creating;
    expectProblem(res, 409, 'MEETING_IN_PROGRESS');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(19);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(20);
  });

  test('CONCURRENT_UPDATE when the record changed while a PATCH ran', async () => {
    const world_ = await world();
    const body = appointment();
    expect((await world_.create(body)).status).toBe(201);
    worlds.sim.clearRequests();
    worlds.sim.injectFault({ match: { operation: 'onlineMeetings.update' }, delayMs: 300 });
    const patching = world_.h.request
      .patch(`/appointments/${body.appointmentId as string}/meeting`)
      .set('Authorization', `Bearer ${world_.partnerKey}`)
      .send({ subject: 'Moved' })
      .then((res) => res);
    await untilReceived(worlds.sim, 'onlineMeetings.update');
    const stored = await world_.h.store.meetings.get('uni-x', body.appointmentId as string);
    expect(
      await world_.h.store.meetings.update({ ...stored!, version: stored!.version + 1 }, stored!.version),
    ).toBe(true);
    expectProblem(await patching, 409, 'CONCURRENT_UPDATE');
  });
});

describe('Entra failures are reported as Entra failures', () => {
  test('503 ENTRA_UNAVAILABLE with Retry-After when the token endpoint is unavailable', async () => {
    const world_ = await world();
    worlds.sim.injectFault({ match: { operation: 'token' }, status: 503, times: Infinity });
    const res = await world_.create(appointment());
    const problem = expectProblem(res, 503, 'ENTRA_UNAVAILABLE');
    expect(problem.detail).toMatch(/Entra ID/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(received(worlds.sim, 'onlineMeetings.createOrGet')).toHaveLength(0);
  });
});

describe('/health after credential failures', () => {
  test('a partner whose last token request failed for a credential reason makes /health degraded (a count, no name)', async () => {
    const world_ = await world();
    await world_.h.request
      .patch('/partners/uni-x')
      .set('Authorization', world_.h.admin)
      .send({ clientSecret: 'bad8Q~00000000000000000000000000000000000' });
    await world_.create(appointment());
    let health = await world_.h.request.get('/health');
    expect(health.body.status).toBe('degraded');
    expect(health.body.checks.partners.credentialFailures).toBe(1);
    expect(JSON.stringify(health.body)).not.toContain('uni-x');
    await world_.h.request
      .patch('/partners/uni-x')
      .set('Authorization', world_.h.admin)
      .send({ clientSecret: CLIENT_SECRET });
    expect((await world_.create(appointment())).status).toBe(201);
    health = await world_.h.request.get('/health');
    expect(health.body.status).toBe('ok');
    expect(health.body.checks.partners.credentialFailures).toBe(0);
  });
});

describe('answers pass the same redaction as logs', () => {
  test("Graph's error text with a bearer token and a client secret reaches the partner censored", async () => {
    const world_ = await world();
    await world_.create(appointment());
    const token = worlds.sim.mintAccessToken({ tenantId: TENANT_ID, appId: APP_ID });
    worlds.sim.injectFault({
      match: { operation: 'onlineMeetings.createOrGet' },
      status: 500,
      body: {
        error: {
          code: 'InternalServerError',
          message: `upstream echoed Authorization: Bearer ${token} and client_secret=${CLIENT_SECRET}`,
        },
      },
    });
    const res = await world_.create(appointment());
    const problem = expectProblem(res, 502, 'GRAPH_ERROR');
    expect(problem.detail).toContain('[redacted]');
    expect(res.text).not.toContain(token);
    expect(res.text).not.toContain(CLIENT_SECRET);
    expect(res.text).not.toContain(token.split('.')[1]!);
  });
});
