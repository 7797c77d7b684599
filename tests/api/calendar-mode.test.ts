/**
 * Calendar-backed meetings (`meetingMode: calendarEvent`) through HTTP against the simulator's
 * Exchange: one event per appointment in the adviser's calendar with its Teams meeting, whatever
 * the retries; Exchange's mails per student; a reschedule that keeps the link and sends no body;
 * the lock before the cancel; Exchange's refusals in the setup guide's terms.
 */
import { TestClock } from '../support/clock';
import { expectContract } from '../support/contract';
import {
  APP_ID,
  appointment,
  received,
  TENANT_ID,
  worldsPerTest,
  type ServiceWorld,
} from '../support/service-world';

const worlds = worldsPerTest();

async function calendarWorld(partner: Record<string, unknown> = {}): Promise<ServiceWorld> {
  const w = await worlds.world({
    clock: new TestClock(),
    partner: { meetingMode: 'calendarEvent', ...partner },
  });
  w.sim.scopeCalendars(TENANT_ID, APP_ID, [w.adviser.id]);
  return w;
}

const graphCalls = (w: ServiceWorld) =>
  w.sim
    .requests()
    .filter((r) => r.kind === 'graph' && !r.operation.startsWith('users.'))
    .map((r) => r.operation);

const as = (w: ServiceWorld) => `Bearer ${w.partnerKey}`;
const pathOf = (id: string) => `/appointments/${encodeURIComponent(id)}/meeting`;
const change = (w: ServiceWorld, id: string, body: Record<string, unknown>) =>
  w.h.request.patch(pathOf(id)).set('Authorization', as(w)).send(body);
const readBack = (w: ServiceWorld, id: string) => w.h.request.get(pathOf(id)).set('Authorization', as(w));
const cancel = (w: ServiceWorld, id: string) => w.h.request.delete(pathOf(id)).set('Authorization', as(w));

describe('create', () => {
  test("one event in the adviser's calendar with its Teams meeting, the student invited by Exchange: 2 Graph calls", async () => {
    const w = await calendarWorld();
    const student = w.students[0]!;
    const res = await w.create(appointment({ attendees: [{ email: student.mail }] }));
    expect(res.status).toBe(201);
    expectContract(res, 'POST', '/appointments/meeting');
    const [event] = w.sim.events();
    expect(res.body).toMatchObject({
      mode: 'calendarEvent',
      eventId: event!.id,
      iCalUId: event!.iCalUId,
      calendar: { uid: event!.iCalUId, sequence: 0 },
      attendees: [{ matched: true, id: student.id }],
    });
    expect(event).toMatchObject({
      mailboxId: w.adviser.id,
      subject: res.body.subject,
      attendees: [{ address: student.mail }],
    });
    expect(w.sim.joinByLink(res.body.joinWebUrl)?.meeting.id).toBe(res.body.meetingId);
    expect(w.sim.mails()).toEqual([
      expect.objectContaining({
        kind: 'invitation',
        to: student.mail,
        from: w.adviser.mail,
        joinUrl: res.body.joinWebUrl,
      }),
    ]);
    expect(graphCalls(w)).toEqual(['events.create', 'onlineMeetings.list']);
    const invite = await w.h.request.get(`${pathOf(res.body.appointmentId)}.ics`).set('Authorization', as(w));
    expect(invite.text).toContain(`UID:${event!.iCalUId.slice(0, 40)}`);
  });

  test('with options: set on the Teams meeting found by its link, 3 Graph calls', async () => {
    const w = await calendarWorld();
    const res = await w.create(
      appointment({ options: { lobbyBypassScope: 'organizer', allowMeetingChat: 'disabled' } }),
    );
    expect(res.status).toBe(201);
    expect(res.body.options).toMatchObject({ lobbyBypassScope: 'organizer', allowMeetingChat: 'disabled' });
    expect(graphCalls(w)).toEqual(['events.create', 'onlineMeetings.list', 'onlineMeetings.update']);
    const meeting = w.sim.joinByLink(res.body.joinWebUrl)!.meeting;
    expect(meeting).toMatchObject({
      lobbyBypassSettings: { scope: 'organizer' },
      allowMeetingChat: 'disabled',
    });
  });

  test('10 identical creates at once make one event; a replay answers it without Graph', async () => {
    const w = await calendarWorld();
    const body = appointment({ attendees: [{ email: w.students[1]!.mail }] });
    const answers = await Promise.all(Array.from({ length: 10 }, () => w.create(body)));
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(9).fill(200), 201]);
    expect(new Set(answers.map((a) => a.body.eventId)).size).toBe(1);
    expect(w.sim.events()).toHaveLength(1);
    expect(w.sim.mails()).toHaveLength(1);
    w.sim.clearRequests();
    expect((await w.create(body)).status).toBe(200);
    expect(graphCalls(w)).toEqual([]);
  });

  test('a lost answer to the POST: sent again with the same transactionId, one event', async () => {
    const w = await calendarWorld();
    w.sim.injectFault({ match: { operation: 'events.create' }, drop: 'after' });
    const res = await w.create(appointment());
    expect(res.status).toBe(201);
    const posts = received(w.sim, 'events.create');
    expect(posts).toHaveLength(2);
    expect((posts[0]!.body as { transactionId: string }).transactionId).toBe(
      (posts[1]!.body as { transactionId: string }).transactionId,
    );
    expect(w.sim.events()).toHaveLength(1);
  });

  test('a create that died after making the event: the next one finds it by its stamp, no second event', async () => {
    const w = await calendarWorld();
    const body = appointment();
    const first = await w.create(body);
    expect(first.status).toBe(201);
    // What a request that died after Graph made the event leaves: its claim, pending, lease expired.
    const record = (await w.h.store.meetings.get('uni-x', body.appointmentId as string))!;
    await w.h.store.meetings.update(
      {
        ...record,
        status: 'pending',
        details: null,
        version: record.version + 1,
        lease: { owner: 'a-request-that-died', expiresAt: new Date(Date.now() - 1000).toISOString() },
      },
      record.version,
    );
    w.sim.clearRequests();
    const res = await w.create(body);
    expect(res.status).toBe(201);
    expect(res.body.eventId).toBe(first.body.eventId);
    expect(graphCalls(w)).toEqual(['events.list', 'onlineMeetings.list']);
    expect(w.sim.events()).toHaveLength(1);
  });

  test('the Teams meeting cannot be read after the event exists: 201 with a warning, set on the next change', async () => {
    const w = await calendarWorld();
    const student = w.students[0]!;
    w.sim.revokePolicy(TENANT_ID, w.adviser.id, APP_ID);
    const res = await w.create(
      appointment({ attendees: [{ email: student.mail }], options: { allowMeetingChat: 'disabled' } }),
    );
    expect(res.status).toBe(201);
    expectContract(res, 'POST', '/appointments/meeting');
    expect(res.body.warnings).toEqual([
      expect.objectContaining({
        code: 'ACCESS_POLICY_MISSING',
        remediation: expect.stringContaining('Grant-CsApplicationAccessPolicy'),
      }),
    ]);
    // The event's link is answered; the Teams meeting behind it is not known yet.
    expect(res.body.meetingId).toBe('');
    expect(w.sim.joinByLink(res.body.joinWebUrl)?.meeting.id).toBe(w.sim.events()[0]!.meetingId);
    expect(w.sim.mails()).toEqual([expect.objectContaining({ kind: 'invitation', to: student.mail })]);
    // The policy granted, the next change finds the meeting and applies the options still wanted.
    w.sim.grantPolicy(TENANT_ID, w.adviser.id, APP_ID);
    const next = await change(w, res.body.appointmentId, { subject: 'Careers guidance (room change)' });
    expect(next.status).toBe(200);
    expect(next.body.warnings).toBeUndefined();
    expect(next.body.meetingId).toBe(w.sim.joinByLink(res.body.joinWebUrl)!.meeting.id);
    expect(w.sim.joinByLink(res.body.joinWebUrl)!.meeting.allowMeetingChat).toBe('disabled');
  });

  test('Graph fills the join link a moment later: the event is read again, and the answer has it', async () => {
    const w = await calendarWorld();
    w.sim.setJoinUrlLag(2);
    const res = await w.create(appointment());
    expect(res.status).toBe(201);
    expect(res.body.joinWebUrl).toMatch(/^https:\/\/teams\.microsoft\.com\//);
    expect(graphCalls(w)).toEqual(['events.create', 'events.get', 'events.get', 'onlineMeetings.list']);
  });

  test('sendInvitations false: the students are matched but kept off the event; Exchange mails nobody', async () => {
    const w = await calendarWorld({ sendInvitations: false });
    const res = await w.create(appointment({ attendees: [{ email: w.students[2]!.mail }] }));
    expect(res.status).toBe(201);
    expect(res.body.attendees).toEqual([expect.objectContaining({ matched: true, id: w.students[2]!.id })]);
    expect(w.sim.events()[0]!.attendees).toEqual([]);
    expect(w.sim.mails()).toEqual([]);
  });
});

describe('changes and the cancel', () => {
  test('a reschedule keeps the link, sends no body, and Exchange mails the update; SEQUENCE 1', async () => {
    const w = await calendarWorld();
    const student = w.students[3]!;
    const made = await w.create(appointment({ attendees: [{ email: student.mail }] }));
    w.sim.clearRequests();
    const res = await change(w, made.body.appointmentId, {
      startDateTime: '2026-12-02T09:00:00Z',
      endDateTime: '2026-12-02T09:30:00Z',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      joinWebUrl: made.body.joinWebUrl,
      startDateTime: '2026-12-02T09:00:00Z',
    });
    expect(res.body.calendar.sequence).toBe(1);
    const [patch] = received(w.sim, 'events.update');
    expect(Object.keys(patch!.body as object).sort()).toEqual(['end', 'start']);
    expect(w.sim.events()[0]).toMatchObject({ start: '2026-12-02T09:00:00Z' });
    expect(w.sim.mails({ kind: 'update' })).toEqual([expect.objectContaining({ to: student.mail })]);
  });

  test('an attendee change: the one removed gets a cancellation, the one added an invitation', async () => {
    const w = await calendarWorld();
    const [a, b] = [w.students[4]!, w.students[5]!];
    const made = await w.create(appointment({ attendees: [{ email: a.mail }] }));
    const res = await change(w, made.body.appointmentId, { attendees: [{ email: b.mail }] });
    expect(res.status).toBe(200);
    expect(res.body.attendees).toEqual([expect.objectContaining({ id: b.id })]);
    expect(w.sim.mails().map((m) => `${m.kind} ${m.to}`)).toEqual([
      `invitation ${a.mail}`,
      `cancellation ${a.mail}`,
      `invitation ${b.mail}`,
    ]);
  });

  test('the cancel: the Teams meeting locked first, then the event cancelled; Exchange tells the student', async () => {
    const w = await calendarWorld();
    const student = w.students[6]!;
    const made = await w.create(appointment({ attendees: [{ email: student.mail }] }));
    w.sim.clearRequests();
    const res = await cancel(w, made.body.appointmentId);
    expect(res.status).toBe(204);
    const order = graphCalls(w);
    expect(order.indexOf('onlineMeetings.update')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('onlineMeetings.update')).toBeLessThan(order.indexOf('events.cancel'));
    const [lock] = received(w.sim, 'onlineMeetings.update');
    expect(lock!.body).toMatchObject({
      lobbyBypassSettings: { scope: 'organizer' },
      allowMeetingChat: 'disabled',
    });
    expect(w.sim.events()).toEqual([]);
    expect(w.sim.mails({ kind: 'cancellation' })).toEqual([
      expect.objectContaining({ to: student.mail, comment: expect.stringMatching(/cancelled/) }),
    ]);
    const read = await readBack(w, made.body.appointmentId);
    expect(read.body).toMatchObject({ status: 'cancelled', mode: 'calendarEvent' });
    expect((await cancel(w, made.body.appointmentId)).status).toBe(204);
  });
});

describe("Exchange's refusals", () => {
  test('an adviser outside the RBAC scope: 424 CALENDAR_ACCESS_DENIED naming the adviser and the command', async () => {
    const w = await calendarWorld();
    w.sim.unscopeCalendar(TENANT_ID, APP_ID, w.adviser.id);
    const res = await w.create(appointment());
    expect(res.status).toBe(424);
    expect(res.body.code).toBe('CALENDAR_ACCESS_DENIED');
    expect(res.body.remediation).toContain(w.adviser.id);
    expect(res.body.remediation).toContain(
      `Test-ServicePrincipalAuthorization -Identity ${APP_ID} -Resource ${w.adviser.id}`,
    );
    expect(w.sim.events()).toEqual([]);
    // The claim went: once in scope, the same create works.
    w.sim.scopeCalendars(TENANT_ID, APP_ID, [w.adviser.id]);
  });

  test('an adviser without an Exchange Online mailbox: 422 OPERATOR_MAILBOX_UNAVAILABLE', async () => {
    const w = await calendarWorld();
    w.sim.removeMailbox(w.adviser.id);
    const res = await w.create(appointment());
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('OPERATOR_MAILBOX_UNAVAILABLE');
    expect(res.body.remediation).toMatch(/licence|onlineMeeting/);
  });
});

describe('verify in calendar mode', () => {
  const verify = (w: ServiceWorld, emails: string[]) =>
    w.h.request
      .post('/partners/uni-x/verify')
      .set('Authorization', w.h.admin)
      .send({ operators: emails.map((email) => ({ email })) });

  test("a read of each adviser's calendar (nothing written), and no tenant-wide consent", async () => {
    const w = await calendarWorld();
    const res = await verify(w, [w.adviser.mail!, w.adviserNoPolicy.mail!]);
    expect(res.status).toBe(200);
    const byId = (id: string) => res.body.checks.find((c: { id: string }) => c.id === id);
    expect(byId('calendar:0')).toMatchObject({
      status: 'pass',
      step: expect.stringMatching(/^Exchange step/),
    });
    expect(byId('calendar:1')).toMatchObject({ status: 'fail' });
    expect(byId('calendar:1').remediation).toContain('Test-ServicePrincipalAuthorization');
    expect(byId('calendar-consent')).toMatchObject({ status: 'pass' });
    expect(w.sim.events()).toEqual([]);
    expect(received(w.sim, 'events.list').every((r) => r.method === 'GET')).toBe(true);
    expect(w.sim.requests().filter((r) => r.operation.startsWith('events.') && r.method !== 'GET')).toEqual(
      [],
    );
  });

  test('Calendars.ReadWrite consented tenant-wide: a warning saying to scope it and remove the consent', async () => {
    const w = await worlds.world({
      roles: ['OnlineMeetings.ReadWrite.All', 'User.ReadBasic.All', 'Calendars.ReadWrite'],
      partner: { meetingMode: 'calendarEvent' },
    });
    const res = await verify(w, [w.adviser.mail!]);
    const consent = res.body.checks.find((c: { id: string }) => c.id === 'calendar-consent');
    expect(consent.status).toBe('warn');
    expect(consent.remediation).toMatch(/RBAC for Applications/);
    expect(res.body.checks.find((c: { id: string }) => c.id === 'calendar:0').status).toBe('pass');
  });

  test('standalone partners get no calendar check', async () => {
    const w = await worlds.world();
    const res = await verify(w, [w.adviser.mail!]);
    expect(res.body.checks.filter((c: { id: string }) => c.id.startsWith('calendar'))).toEqual([]);
  });
});

describe('the Exchange scope script', () => {
  const script = (w: ServiceWorld, body: Record<string, unknown>, key = w.h.admin) =>
    w.h.request.post('/partners/uni-x/exchange-scope-script').set('Authorization', key).send(body);

  test("advisers by mailbox: the service principal with the token's oid, the scope, the role, a test each; unresolved as comments", async () => {
    const w = await calendarWorld();
    const res = await script(w, {
      operators: [
        { email: w.adviser.mail },
        { email: 'left.long.ago@uni.example.ac.uk' },
        { email: w.obrien.mail },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.text;
    const oid = (w.sim.requests().find((r) => r.tokenClaims)?.tokenClaims?.oid ?? '') as string;
    expect(oid).toMatch(/^[0-9a-f-]{36}$/);
    expect(text).toContain('Connect-ExchangeOnline');
    expect(text).toContain(`$AppId = '${APP_ID}'`);
    expect(text).toContain(
      'if (-not (Get-ServicePrincipal -Identity $AppId -ErrorAction SilentlyContinue)) {',
    );
    expect(text).toContain(`New-ServicePrincipal -AppId $AppId -ObjectId '${oid}'`);
    expect(text).toContain('Get-ManagementScope -Identity $ScopeName');
    expect(text).toContain(
      "New-ManagementRoleAssignment -App $AppId -Role 'Application Calendars.ReadWrite' -CustomResourceScope $ScopeName",
    );
    // O'Brien's address quoted for OPATH inside a PowerShell string: '' then doubled again.
    expect(text).toContain(
      `$Filter = 'PrimarySmtpAddress -eq ''${w.adviser.mail}'' -or PrimarySmtpAddress -eq ''liam.o''''brien@uni.example.ac.uk'''`,
    );
    expect(text).toContain(
      `Test-ServicePrincipalAuthorization -Identity $AppId -Resource '${w.adviser.mail}'`,
    );
    expect(text).toMatch(/^# {3}left\.long\.ago@uni\.example\.ac\.uk: not found$/m);
    expect(text).not.toMatch(/^[^#]*left\.long\.ago/m);
  });

  test('a group of advisers: the scope by the group, no per-mailbox test', async () => {
    const w = await calendarWorld();
    const res = await script(w, { groupId: '0b6c2f1e-4a5d-4e7f-9a1b-2c3d4e5f6a7b' });
    expect(res.status).toBe(200);
    expect(res.text).toContain("$Group = Get-Group -Identity '0b6c2f1e-4a5d-4e7f-9a1b-2c3d4e5f6a7b'");
    expect(res.text).toContain('$Filter = "MemberOfGroup -eq \'$($Group.DistinguishedName)\'"');
    expect(res.text).not.toContain('Test-ServicePrincipalAuthorization');
  });

  test("a setup link may ask for its partner's script; a partner key may not", async () => {
    const w = await calendarWorld();
    const link = await w.h.request
      .post('/partners/uni-x/setup-links')
      .set('Authorization', w.h.admin)
      .send({});
    const token = new URL(link.body.url as string).hash.slice(1);
    expect(
      (await script(w, { groupId: '0b6c2f1e-4a5d-4e7f-9a1b-2c3d4e5f6a7b' }, `Bearer ${token}`)).status,
    ).toBe(200);
    expect((await script(w, {}, `Bearer ${w.partnerKey}`)).status).toBe(403);
  });
});

describe('limits and lost answers', () => {
  test('8 creates at once for one adviser: at most 4 reach the mailbox at once, so Outlook refuses none', async () => {
    const w = await calendarWorld();
    w.sim.setLatency(60);
    const answers = await Promise.all(Array.from({ length: 8 }, () => w.create(appointment())));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(201));
    expect(w.sim.events()).toHaveLength(8);
    expect(w.sim.requests().filter((r) => r.operation.startsWith('events.') && r.status === 429)).toEqual([]);
  });

  test('a cancel whose answer Exchange lost: read back, the event is gone, so 204 and cancelled', async () => {
    const w = await calendarWorld();
    const made = await w.create(appointment({ attendees: [{ email: w.students[7]!.mail }] }));
    w.sim.injectFault({ match: { operation: 'events.cancel' }, drop: 'after', times: Infinity });
    const res = await cancel(w, made.body.appointmentId);
    expect(res.status).toBe(204);
    expect(w.sim.events()).toEqual([]);
    w.sim.clearFaults();
    const read = await readBack(w, made.body.appointmentId);
    expect(read.body.status).toBe('cancelled');
  });

  test('an attendee change whose answer Exchange lost: read back from the event, the new student is stored', async () => {
    const w = await calendarWorld();
    const [a, b] = [w.students[8]!, w.students[9]!];
    const made = await w.create(appointment({ attendees: [{ email: a.mail }] }));
    w.sim.injectFault({ match: { operation: 'events.update' }, drop: 'after', times: Infinity });
    const res = await change(w, made.body.appointmentId, { attendees: [{ email: b.mail }] });
    expect(res.status).toBe(200);
    expect(res.body.attendees).toEqual([expect.objectContaining({ id: b.id })]);
    w.sim.clearFaults();
    const read = await readBack(w, made.body.appointmentId);
    expect(read.body.attendees).toEqual([expect.objectContaining({ id: b.id })]);
    expect(read.body.calendar.sequence).toBe(1);
  });

  test('students kept off the event: an attendee change whose outcome was lost keeps the new list once settled', async () => {
    const w = await calendarWorld({ sendInvitations: false });
    const [a, b] = [w.students[10]!, w.students[11]!];
    const made = await w.create(appointment({ attendees: [{ email: a.mail }] }));
    w.sim.injectFault({ match: { operation: 'onlineMeetings.get' }, drop: 'after', times: Infinity });
    const lost = await change(w, made.body.appointmentId, { attendees: [{ email: b.mail }] });
    expect(lost.status).toBeGreaterThanOrEqual(500);
    w.sim.clearFaults();
    const read = await readBack(w, made.body.appointmentId);
    expect(read.status).toBe(200);
    expect(read.body.attendees).toEqual([expect.objectContaining({ id: b.id })]);
    expect(w.sim.events()[0]!.attendees).toEqual([]);
  });
});
