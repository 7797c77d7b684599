/**
 * What the red-team pass broke with concurrency and crashes, kept as tests: after any
 * interleaving, what the service answers, what it stores and what Teams holds agree, every 200 is
 * true, and a create interrupted by a crash says what is true and finishes later as a 201. The
 * same runs on two PostgreSQL instances in multi-instance.postgres.test.ts.
 */
import { externalIdOf } from '../../src/domain/meetings/meeting.record';
import { appointment, received, worldsPerTest, type ServiceWorld } from '../support/service-world';

const worlds = worldsPerTest();

function patch(w: ServiceWorld, appointmentId: string, body: Record<string, unknown>) {
  return w.h.request
    .patch(`/appointments/${encodeURIComponent(appointmentId)}/meeting`)
    .set('Authorization', `Bearer ${w.partnerKey}`)
    .send(body);
}

function get(w: ServiceWorld, appointmentId: string) {
  return w.h.request
    .get(`/appointments/${encodeURIComponent(appointmentId)}/meeting`)
    .set('Authorization', `Bearer ${w.partnerKey}`);
}

describe('concurrent PATCHes of one meeting', () => {
  test('a reschedule and an attendee change at once: both answered 200, both in Teams and stored', async () => {
    const w = await worlds.world();
    const body = appointment();
    const id = body.appointmentId as string;
    expect((await w.create(body)).status).toBe(201);
    const [moved, invited] = await Promise.all([
      patch(w, id, { startDateTime: '2026-12-03T09:00:00Z', endDateTime: '2026-12-03T09:45:00Z' }),
      patch(w, id, { attendees: [{ email: 's7.student@uni.example.ac.uk' }] }),
    ]);
    expect([moved.status, invited.status]).toEqual([200, 200]);
    const [teams] = worlds.sim.meetings();
    expect(teams!.startDateTime).toMatch(/^2026-12-03T09:00:00/);
    expect(teams!.attendees.map((a) => a.userId)).toEqual([w.students[7]!.id]);
    const stored = (await get(w, id)).body;
    expect(stored.startDateTime).toBe('2026-12-03T09:00:00Z');
    expect(stored.attendees).toEqual([
      {
        matched: true,
        id: w.students[7]!.id,
        userPrincipalName: w.students[7]!.userPrincipalName,
        mail: w.students[7]!.mail,
      },
    ]);
  });

  test('20 at once: every 200 is true, no refused change reaches Teams, and all three agree', async () => {
    const w = await worlds.world();
    const body = appointment();
    const id = body.appointmentId as string;
    expect((await w.create(body)).status).toBe(201);
    worlds.sim.clearRequests();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => patch(w, id, { subject: `patch ${i}` })),
    );
    const applied = answers.filter((r) => r.status === 200).map((r) => r.body.subject as string);
    for (const r of answers) expect([200, 409]).toContain(r.status);
    expect(applied.length).toBeGreaterThan(0);
    // Each 200 answered its own change.
    answers.forEach((r, i) => r.status === 200 && expect(r.body.subject).toBe(`patch ${i}`));
    // Teams received exactly the changes that were answered 200, one after the other.
    const sent = received(worlds.sim, 'onlineMeetings.update').map(
      (r) => (r.body as { subject: string }).subject,
    );
    expect([...sent].sort()).toEqual([...applied].sort());
    const last = sent[sent.length - 1];
    expect(teamsSubject(worlds.sim)).toBe(last);
    expect((await get(w, id)).body.subject).toBe(last);
  });
});

function teamsSubject(sim: typeof worlds.sim): string | null {
  const [meeting] = sim.meetings();
  return meeting!.subject;
}

describe('a create interrupted by a crash', () => {
  async function crashedClaim(w: ServiceWorld, appointmentId: string, leaseEndsInMs: number) {
    // What a request that died after its claim leaves behind: a pending record with its lease.
    const at = new Date().toISOString();
    await w.h.store.meetings.claim({
      partnerId: 'uni-x',
      appointmentId,
      status: 'pending',
      requestHash: 'hash-of-the-crashed-request',
      externalId: externalIdOf('uni-x', appointmentId),
      details: null,
      version: 1,
      createdAt: at,
      updatedAt: at,
      lease: { owner: 'a-request-that-died', expiresAt: new Date(Date.now() + leaseEndsInMs).toISOString() },
      calendarSequence: 0,
      pendingChange: null,
    });
  }

  test('while its lease lasts, a create with other details is told one is in progress, with when to retry', async () => {
    const w = await worlds.world();
    const body = appointment();
    await crashedClaim(w, body.appointmentId as string, 20_000);
    const res = await w.create(body);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('MEETING_IN_PROGRESS');
    expect(res.body.detail).toMatch(/in progress|running|interrupted/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(19);
    expect(received(worlds.sim, 'onlineMeetings.createOrGet')).toHaveLength(0);
  });

  test('once its lease has expired, the first create to succeed takes it over and answers 201', async () => {
    const w = await worlds.world();
    const body = appointment();
    await crashedClaim(w, body.appointmentId as string, -1);
    const res = await w.create(body);
    expect(res.status).toBe(201);
    expect(worlds.sim.meetings()).toHaveLength(1);
    const again = await w.create(body);
    expect(again.status).toBe(200);
    expect(again.body.joinWebUrl).toBe(res.body.joinWebUrl);
  });

  test('a crash after Teams made the meeting: the takeover finds it by externalId and repairs its details', async () => {
    const w = await worlds.world();
    const body = appointment({ subject: 'The new subject' });
    const id = body.appointmentId as string;
    // The dead request had already made the meeting, with its own details.
    const first = await w.create({ ...body, subject: 'The crashed subject' });
    const record = await w.h.store.meetings.get('uni-x', id);
    await w.h.store.meetings.update(
      {
        ...record!,
        status: 'pending',
        details: null,
        requestHash: 'hash-of-the-crashed-request',
        lease: { owner: 'a-request-that-died', expiresAt: new Date(Date.now() - 1).toISOString() },
        version: record!.version + 1,
      },
      record!.version,
    );
    worlds.sim.clearRequests();
    const res = await w.create(body);
    expect(res.status).toBe(201);
    expect(res.body.joinWebUrl).toBe(first.body.joinWebUrl);
    expect(worlds.sim.meetings()).toHaveLength(1);
    expect(teamsSubject(worlds.sim)).toBe('The new subject');
    expect(res.body.subject).toBe('The new subject');
  });
});

test('50 identical creates at once make one createOrGet, one 201 and 49 replays', async () => {
  const w = await worlds.world();
  const body = appointment();
  const answers = await Promise.all(Array.from({ length: 50 }, () => w.create(body)));
  expect(answers.map((r) => r.status).sort((x, y) => x - y)).toEqual([...Array(49).fill(200), 201]);
  expect(received(worlds.sim, 'onlineMeetings.createOrGet')).toHaveLength(1);
});

describe('a meeting deleted in Teams', () => {
  test('a PATCH learns it is gone; GET and the record say so; a create makes a new meeting', async () => {
    const w = await worlds.world();
    const body = appointment();
    const id = body.appointmentId as string;
    const made = await w.create(body);
    expect(worlds.sim.deleteMeetingInTeams(made.body.meetingId)).toBe(true);

    const changed = await patch(w, id, { subject: 'Moved' });
    expect(changed.status).toBe(404);
    expect(changed.body.code).toBe('MEETING_NOT_FOUND');
    expect(changed.body.detail).toMatch(/deleted in Teams/);
    expect(changed.body.remediation).toMatch(/POST \/appointments\/meeting/);
    expect((await w.h.store.meetings.get('uni-x', id))?.status).toBe('gone');
    expect((await get(w, id)).status).toBe(404);

    const again = await w.create(body);
    expect(again.status).toBe(201);
    expect(again.body.meetingId).not.toBe(made.body.meetingId);
    expect(again.body.joinWebUrl).not.toBe(made.body.joinWebUrl);
    expect(teamsSubject(worlds.sim)).toBe(body.subject);
    expect((await get(w, id)).body.joinWebUrl).toBe(again.body.joinWebUrl);
    expect((await w.create(body)).status).toBe(200);
  });
});

describe('deleting a partner while one of its creates is in flight', () => {
  test('the create answers 404 PARTNER_NOT_FOUND and leaves nothing in Teams', async () => {
    const w = await worlds.world();
    worlds.sim.injectFault({ match: { operation: 'onlineMeetings.createOrGet' }, delayMs: 300 });
    const creating = w.create(appointment()).then((res) => res); // supertest sends on then()
    for (let i = 0; i < 400 && received(worlds.sim, 'onlineMeetings.createOrGet').length === 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect((await w.h.request.delete('/partners/uni-x').set('Authorization', w.h.admin)).status).toBe(204);
    const res = await creating;
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('PARTNER_NOT_FOUND');
    expect(worlds.sim.meetings()).toHaveLength(0);
    expect(received(worlds.sim, 'onlineMeetings.delete')).toHaveLength(1);
  });
});
