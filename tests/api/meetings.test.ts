import Database from 'better-sqlite3';
import { startSimulator, type MicrosoftSimulator } from '../../tools/microsoft-simulator';
import { TestClock } from '../support/clock';
import {
  ADVISER,
  APP_ID,
  appointment,
  makeWorld,
  received,
  TENANT_ID,
  type ServiceWorld,
} from '../support/service-world';

let sim: MicrosoftSimulator;
let w: ServiceWorld;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  w = await makeWorld({ sim });
});
afterEach(async () => {
  await w.close();
});

const auth = () => `Bearer ${w.partnerKey}`;

describe('POST /appointments/meeting', () => {
  test('creates the Teams meeting on the adviser, with the students, and answers the meeting', async () => {
    const body = appointment({
      attendees: [{ email: 's0.student@uni.example.ac.uk' }, { email: 'S1.STUDENT@uni.example.ac.uk' }],
    });
    const res = await w.create(body);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      appointmentId: body.appointmentId,
      subject: 'Careers guidance',
      startDateTime: '2026-12-01T10:00:00Z',
      endDateTime: '2026-12-01T10:30:00Z',
      status: 'scheduled',
      organizer: {
        id: w.adviser.id,
        userPrincipalName: w.adviser.userPrincipalName,
        displayName: 'Ada Adviser',
      },
      attendees: [
        { matched: true, id: w.students[0]!.id, userPrincipalName: w.students[0]!.userPrincipalName },
        { matched: true, id: w.students[1]!.id, userPrincipalName: w.students[1]!.userPrincipalName },
      ],
    });
    expect(res.body.joinWebUrl).toMatch(/^https:\/\/teams\.microsoft\.com\//);
    expect(typeof res.body.meetingId).toBe('string');

    const [meeting] = sim.meetings({ tenantId: TENANT_ID });
    expect(sim.meetings()).toHaveLength(1);
    expect(meeting?.joinWebUrl).toBe(res.body.joinWebUrl);

    const creates = received(sim, 'onlineMeetings.createOrGet');
    expect(creates).toHaveLength(1);
    expect(creates[0]!.path).toContain(`/users/${w.adviser.id}/onlineMeetings/createOrGet`);
    const sent = creates[0]!.body as {
      externalId: string;
      participants: { attendees: Array<{ upn?: string }> };
    };
    expect(sent.externalId).toMatch(/^tm1-/);
    expect(sent.externalId).not.toContain(String(body.appointmentId));
    expect(sent.participants.attendees).toHaveLength(2);
    for (const attendee of sent.participants.attendees)
      expect(attendee.upn).toMatch(/@uni\.example\.ac\.uk$/);

    const raw = new Database(w.h.dbPath, { readonly: true });
    const rows = raw.prepare('SELECT status, graph_meeting_id FROM meetings').all();
    raw.close();
    expect(rows).toEqual([{ status: 'scheduled', graph_meeting_id: res.body.meetingId }]);
  });

  test('the operator and every attendee are found in one lookup; warm caches make a create one Graph call', async () => {
    const attendees = w.students.slice(0, 40).map((s) => ({ email: s.mail! }));
    const first = await w.create(appointment({ attendees }));
    expect(first.status).toBe(201);
    expect(first.body.attendees.filter((a: { matched: boolean }) => a.matched)).toHaveLength(40);
    const lookups = sim
      .requests()
      .filter((r) => r.kind === 'graph' && !r.fromBatch && r.operation !== 'onlineMeetings.createOrGet');
    expect(lookups.map((r) => r.operation)).toEqual(['batch']);

    sim.clearRequests();
    const second = await w.create(appointment({ attendees }));
    expect(second.status).toBe(201);
    expect(sim.requests().map((r) => r.operation)).toEqual(['onlineMeetings.createOrGet']);
  });

  test('one token request for many meetings', async () => {
    for (let i = 0; i < 5; i += 1) expect((await w.create(appointment())).status).toBe(201);
    expect(received(sim, 'token')).toHaveLength(1);
  });

  test('unmatched attendees are reported, not fatal', async () => {
    sim.addUser({
      tenantId: TENANT_ID,
      userPrincipalName: 'twin1@uni.example.ac.uk',
      mail: 'twin@uni.example.ac.uk',
    });
    sim.addUser({
      tenantId: TENANT_ID,
      userPrincipalName: 'twin2@uni.example.ac.uk',
      mail: 'twin@uni.example.ac.uk',
    });
    const res = await w.create(
      appointment({
        attendees: [
          { email: 'ghost@uni.example.ac.uk' },
          { email: 'twin@uni.example.ac.uk' },
          { studentNumber: '123' },
          { email: 's2.student@uni.example.ac.uk' },
        ],
      }),
    );
    expect(res.status).toBe(201);
    expect(res.body.attendees).toEqual([
      { matched: false, reason: 'not_found', value: 'ghost@uni.example.ac.uk' },
      { matched: false, reason: 'ambiguous', value: 'twin@uni.example.ac.uk' },
      { matched: false, reason: 'missing_field', value: null },
      {
        matched: true,
        id: w.students[2]!.id,
        userPrincipalName: w.students[2]!.userPrincipalName,
        mail: w.students[2]!.mail,
      },
    ]);
    const sent = received(sim, 'onlineMeetings.createOrGet')[0]!.body as {
      participants: { attendees: unknown[] };
    };
    expect(sent.participants.attendees).toHaveLength(1);
  });

  test('quotes are escaped in $filter; a hostile value finds nobody', async () => {
    const res = await w.create(
      appointment({
        attendees: [
          { email: "liam.o'brien@uni.example.ac.uk" },
          { email: "x' or mail eq 's3.student@uni.example.ac.uk" },
        ],
      }),
    );
    expect(res.status).toBe(201);
    expect(res.body.attendees[0]).toEqual({
      matched: true,
      id: w.obrien.id,
      userPrincipalName: w.obrien.userPrincipalName,
      mail: w.obrien.mail,
    });
    expect(res.body.attendees[1]).toMatchObject({ matched: false, reason: 'not_found' });
    const filters = sim
      .requests()
      .filter((r) => r.operation === 'users.list')
      .map((r) => String(r.query.$filter));
    expect(filters.join(' ')).toContain("'liam.o''brien@uni.example.ac.uk'");
    expect(filters.join(' ')).toContain("'x'' or mail eq ''s3.student@uni.example.ac.uk'");
  });

  test('the same appointment again is a replay (200, no Graph call); other details are 409', async () => {
    const body = appointment();
    const first = await w.create(body);
    sim.clearRequests();
    const again = await w.create({
      ...body,
      operator: { email: 'ADA.ADVISER@uni.example.ac.uk', name: 'Ada L.' },
    });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(sim.requests()).toHaveLength(0);

    const other = await w.create({ ...body, subject: 'Another subject' });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('APPOINTMENT_EXISTS');
    expect(other.body.remediation).toMatch(/PATCH/);
    expect(sim.meetings()).toHaveLength(1);
  });

  test('20 concurrent identical creates make one meeting and one record', async () => {
    const body = appointment();
    const answers = await Promise.all(Array.from({ length: 20 }, () => w.create(body)));
    expect(answers.map((a) => a.status).sort((x, y) => x - y)).toEqual([...Array(19).fill(200), 201]);
    expect(new Set(answers.map((a) => a.body.joinWebUrl)).size).toBe(1);
    expect(sim.meetings()).toHaveLength(1);
    const raw = new Database(w.h.dbPath, { readonly: true });
    expect(raw.prepare('SELECT COUNT(*) AS n FROM meetings').get()).toEqual({ n: 1 });
    raw.close();
  });

  test('an answer lost after Teams made the meeting still ends with exactly one meeting', async () => {
    sim.injectFault({ match: { operation: 'onlineMeetings.createOrGet' }, drop: 'after' });
    const res = await w.create(appointment());
    expect(res.status).toBe(201);
    expect(received(sim, 'onlineMeetings.createOrGet').length).toBeGreaterThanOrEqual(2);
    expect(sim.meetings()).toHaveLength(1);
    expect(res.body.joinWebUrl).toBe(sim.meetings()[0]!.joinWebUrl);
  });

  test('a 429 with Retry-After: 1.5 is waited out', async () => {
    await w.close();
    const clock = new TestClock();
    w = await makeWorld({ sim, clock });
    await w.create(appointment()); // warm the token and the identity cache
    sim.injectFault({ match: { operation: 'onlineMeetings.createOrGet' }, status: 429, retryAfter: '1.5' });
    const res = await w.create(appointment());
    expect(res.status).toBe(201);
    expect(clock.waits).toEqual([1500]);
    expect(received(sim, 'onlineMeetings.createOrGet').map((r) => r.status)).toEqual([201, 429, 201]);
  });

  test('partner meeting defaults and request options are applied with one PATCH, only when they differ', async () => {
    await w.h.request
      .patch('/partners/uni-x')
      .set('Authorization', w.h.admin)
      .send({ meetingDefaults: { lobbyBypassScope: 'organization', allowMeetingChat: 'limited' } });
    sim.clearRequests();
    const res = await w.create(appointment({ options: { recordAutomatically: true } }));
    expect(res.status).toBe(201);
    const patches = received(sim, 'onlineMeetings.update');
    expect(patches).toHaveLength(1);
    expect(patches[0]!.body).toEqual({ allowMeetingChat: 'limited', recordAutomatically: true });
    expect(res.body.options).toMatchObject({
      lobbyBypassScope: 'organization',
      allowMeetingChat: 'limited',
      recordAutomatically: true,
    });
  });

  test('a cached organizer id that Graph no longer knows is looked up again once', async () => {
    await w.create(appointment());
    sim.removeUser(TENANT_ID, w.adviser.id);
    const reborn = sim.addUser({ tenantId: TENANT_ID, ...ADVISER });
    sim.grantPolicy(TENANT_ID, reborn.id, APP_ID);
    sim.clearRequests();
    const res = await w.create(appointment());
    expect(res.status).toBe(201);
    expect(res.body.organizer.id).toBe(reborn.id);
    expect(received(sim, 'onlineMeetings.createOrGet').map((r) => r.status)).toEqual([404, 201]);
  });
});

describe('GET, PATCH, DELETE /appointments/{id}/meeting', () => {
  test('GET answers the stored meeting without calling Graph; unknown is 404 MEETING_NOT_FOUND', async () => {
    const created = await w.create(appointment());
    sim.clearRequests();
    const res = await w.h.request
      .get(`/appointments/${encodeURIComponent(created.body.appointmentId)}/meeting`)
      .set('Authorization', auth());
    expect(res.status).toBe(200);
    expect(res.body).toEqual(created.body);
    expect(sim.requests()).toHaveLength(0);
    const missing = await w.h.request.get('/appointments/nope/meeting').set('Authorization', auth());
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('MEETING_NOT_FOUND');
  });

  test("another partner's key sees nothing of this partner's meetings (404), the admin key is 403", async () => {
    const created = await w.create(appointment());
    await w.h.request.put('/partners/uni-y').set('Authorization', w.h.admin).send({
      applicationId: '99999999-2222-4333-8444-555555555555',
      tenantId: TENANT_ID,
      clientSecret: 'other8Q~secret-value-00000000000000000000',
      operatorLocalMatchField: 'email',
      operatorRemoteMatchField: 'mail',
      userLocalMatchField: 'email',
      userRemoteMatchField: 'mail',
    });
    const other = (await w.h.request.post('/partners/uni-y/api-keys').set('Authorization', w.h.admin)).body
      .key;
    const path = `/appointments/${encodeURIComponent(created.body.appointmentId)}/meeting`;
    for (const res of [
      await w.h.request.get(path).set('Authorization', `Bearer ${other}`),
      await w.h.request.patch(path).set('Authorization', `Bearer ${other}`).send({ subject: 'hijack' }),
      await w.h.request.delete(path).set('Authorization', `Bearer ${other}`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('MEETING_NOT_FOUND');
    }
    expect(sim.meetings()).toHaveLength(1);
    expect(sim.meetings()[0]!.subject).toBe('Careers guidance');
    const admin = await w.h.request.get(path).set('Authorization', w.h.admin);
    expect(admin.status).toBe(403);
  });

  test('a reschedule keeps the join link and updates Teams and the record', async () => {
    const created = await w.create(appointment());
    const path = `/appointments/${encodeURIComponent(created.body.appointmentId)}/meeting`;
    const res = await w.h.request
      .patch(path)
      .set('Authorization', auth())
      .send({
        subject: 'Moved',
        startDateTime: '2026-12-02T14:00:00+01:00',
        endDateTime: '2026-12-02T15:00:00+01:00',
        attendees: [{ email: 's5.student@uni.example.ac.uk' }],
      });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      joinWebUrl: created.body.joinWebUrl,
      meetingId: created.body.meetingId,
      subject: 'Moved',
      startDateTime: '2026-12-02T13:00:00Z',
      endDateTime: '2026-12-02T14:00:00Z',
      attendees: [{ matched: true, id: w.students[5]!.id }],
    });
    const [meeting] = sim.meetings();
    expect(meeting).toMatchObject({ subject: 'Moved', joinWebUrl: created.body.joinWebUrl });
    const patch = received(sim, 'onlineMeetings.update')[0]!;
    expect(patch.path).toContain(`/users/${w.adviser.id}/onlineMeetings/`);
    const again = await w.h.request.get(path).set('Authorization', auth());
    expect(again.body.subject).toBe('Moved');
  });

  test('PATCH validation: start without end, end before start, empty body', async () => {
    const created = await w.create(appointment());
    const path = `/appointments/${encodeURIComponent(created.body.appointmentId)}/meeting`;
    for (const body of [
      { startDateTime: '2026-12-02T14:00:00Z' },
      { startDateTime: '2026-12-02T14:00:00Z', endDateTime: '2026-12-02T13:00:00Z' },
      {},
      { organizer: { email: 'x' } },
    ]) {
      const res = await w.h.request.patch(path).set('Authorization', auth()).send(body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
    expect(received(sim, 'onlineMeetings.update')).toHaveLength(0);
  });

  test('a cancel removes the meeting from Teams, keeps the record as cancelled, and repeats harmlessly', async () => {
    const created = await w.create(appointment());
    const path = `/appointments/${encodeURIComponent(created.body.appointmentId)}/meeting`;
    const res = await w.h.request.delete(path).set('Authorization', auth());
    expect(res.status).toBe(204);
    expect(sim.meetings()).toHaveLength(0);
    const after = await w.h.request.get(path).set('Authorization', auth());
    expect(after.status).toBe(200);
    expect(after.body.status).toBe('cancelled');
    sim.clearRequests();
    expect((await w.h.request.delete(path).set('Authorization', auth())).status).toBe(204);
    expect(sim.requests()).toHaveLength(0);
    const patch = await w.h.request.patch(path).set('Authorization', auth()).send({ subject: 'x' });
    expect(patch.status).toBe(404);
  });

  test('a meeting already gone from Teams is cancelled without error', async () => {
    const created = await w.create(appointment());
    sim.injectFault({ match: { operation: 'onlineMeetings.delete' }, status: 404 });
    const path = `/appointments/${encodeURIComponent(created.body.appointmentId)}/meeting`;
    expect((await w.h.request.delete(path).set('Authorization', auth())).status).toBe(204);
    expect((await w.h.request.get(path).set('Authorization', auth())).body.status).toBe('cancelled');
  });
});

describe('at scale and observed', () => {
  test('50 concurrent cold creates for one partner make one token request and one lookup per value', async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        w.create(appointment({ attendees: [{ email: w.students[i % 5]!.mail! }] })),
      ),
    );
    expect(answers.every((a) => a.status === 201)).toBe(true);
    expect(received(sim, 'token')).toHaveLength(1);
    expect(sim.meetings()).toHaveLength(50);
  });

  test('/metrics shows the group commits and the outbound sockets, none of which had to wait', async () => {
    await w.create(appointment());
    await w.create(appointment());
    const metrics = (await w.h.request.get('/metrics').set('Authorization', w.h.admin)).text;
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
    // Two creates: two claims and two records written, in one commit each or fewer.
    expect(value('teams_meetings_store_writes_total')).toBe(4);
    expect(value('teams_meetings_store_commits_total')).toBeGreaterThanOrEqual(1);
    expect(value('teams_meetings_store_commits_total')).toBeLessThanOrEqual(4);
    expect(value('teams_meetings_outbound_socket_waits_total')).toBe(0);
    expect(value('teams_meetings_outbound_sockets\\{state="idle"\\}')).toBeGreaterThanOrEqual(1);
    expect(value('teams_meetings_outbound_sockets\\{state="waiting"\\}')).toBe(0);
  });

  test('/metrics counts the Graph calls that waited for a socket when all OUTBOUND_MAX_SOCKETS were busy', async () => {
    await w.close();
    w = await makeWorld({ sim, graph: { maxSockets: 1 } });
    expect((await w.create(appointment())).status).toBe(201);
    sim.setLatency(100);
    const answers = await Promise.all([1, 2, 3].map(() => w.create(appointment())));
    sim.setLatency(0);
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
    const metrics = (await w.h.request.get('/metrics').set('Authorization', w.h.admin)).text;
    // One socket, three createOrGets at once: two waited.
    expect(metrics).toMatch(/^teams_meetings_outbound_socket_waits_total 2$/m);
  });

  test('/metrics shows Graph calls by operation and status, token requests and identity cache use', async () => {
    await w.create(appointment());
    await w.create(appointment());
    const metrics = (await w.h.request.get('/metrics').set('Authorization', w.h.admin)).text;
    expect(metrics).toMatch(
      /teams_meetings_graph_requests_total\{[^}]*operation="onlineMeetings.createOrGet"[^}]*status="201"[^}]*\} 2/,
    );
    expect(metrics).toMatch(/teams_meetings_token_requests_total\{[^}]*\} 1/);
    expect(metrics).toMatch(/teams_meetings_identity_lookups_total\{outcome="hit"\} 3/);
    expect(metrics).toMatch(/teams_meetings_identity_lookups_total\{outcome="miss"\} 3/);
    expect(metrics).toContain('teams_meetings_graph_retries_total');
    expect(metrics).toMatch(
      /teams_meetings_http_requests_total\{method="POST",route="\/appointments\/meeting",status="201"\} 2/,
    );
  });

  test('no student or adviser identity, key or token appears in info logs', async () => {
    await w.create(appointment());
    const info = w.h.logs
      .entries()
      .filter((e) => e.level === 'info')
      .map((e) => JSON.stringify(e))
      .join('\n');
    expect(info).toContain('meeting created');
    expect(info).not.toMatch(/@uni\.example\.ac\.uk|tmk_|eyJ|uni8Q~/);
  });
});

test('every log line of a request carries its id, the Graph client and token lines too', async () => {
  const res = await w.h.request
    .post('/appointments/meeting')
    .set('Authorization', `Bearer ${w.partnerKey}`)
    .set('X-Request-Id', 'trace-graph-1')
    .send(appointment());
  expect(res.status).toBe(201);
  const lines = w.h.logs.entries();
  const graphLines = lines.filter((e) => e.component === 'microsoft-graph');
  expect(graphLines.length).toBeGreaterThan(0);
  for (const line of graphLines) expect(line.requestId).toBe('trace-graph-1');
  const mine = lines.filter((e) => e.requestId === 'trace-graph-1').map((e) => e.msg);
  expect(mine).toEqual(expect.arrayContaining(['meeting created', 'request completed']));
  const raw = w.h.logs.lines.filter((l) => l.includes('trace-graph-1'));
  for (const l of raw) expect(l.match(/"requestId"/g)).toHaveLength(1);
});
