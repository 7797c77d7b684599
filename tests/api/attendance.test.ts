/**
 * Attendance through HTTP against the simulator's attendance reports: states, time summed over
 * sessions, no-shows, anonymous joiners, paged records, Graph's 50-report window, the optional
 * permission and the access policy, and the economy of reading each finished session once.
 */
import {
  APP_ID,
  appointment,
  received,
  ROLES,
  TENANT_ID,
  worldsPerTest,
  type ServiceWorld,
} from '../support/service-world';

const worlds = worldsPerTest();
const WITH_ATTENDANCE = [...ROLES, 'OnlineMeetingArtifact.Read.All'];

async function meeting(w: ServiceWorld, overrides: Record<string, unknown> = {}) {
  const body = appointment({
    startDateTime: '2026-11-20T10:00:00Z',
    endDateTime: '2026-11-20T10:30:00Z',
    ...overrides,
  });
  const res = await w.create(body);
  expect(res.status).toBe(201);
  return { appointmentId: body.appointmentId as string, meetingId: res.body.meetingId as string };
}

function read(w: ServiceWorld, appointmentId: string) {
  return w.h.request
    .get(`/appointments/${encodeURIComponent(appointmentId)}/attendance`)
    .set('Authorization', `Bearer ${w.partnerKey}`);
}

const at = (minute: number, day = '2026-11-20') => `${day}T10:${String(minute).padStart(2, '0')}:00Z`;

function session(
  w: ServiceWorld,
  day: string,
  people: Array<{ userId?: string; email?: string; from: number; to: number }>,
) {
  return {
    start: at(0, day),
    end: at(30, day),
    participants: people.map((p) => ({
      ...(p.userId ? { userId: p.userId } : {}),
      ...(p.email ? { email: p.email } : {}),
      intervals: [{ join: at(p.from, day), leave: at(p.to, day) }],
    })),
  };
}

const graphCalls = (w: ServiceWorld) =>
  w.sim
    .requests()
    .filter((r) => r.kind === 'graph')
    .map((r) => r.operation);

test('before the meeting starts: not_started, and Graph is not asked', async () => {
  const w = await worlds.world({ roles: WITH_ATTENDANCE });
  const { appointmentId } = await meeting(w, {
    startDateTime: '2027-03-01T10:00:00Z',
    endDateTime: '2027-03-01T10:30:00Z',
  });
  w.sim.clearRequests();
  const res = await read(w, appointmentId);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ state: 'not_started', organizerAttended: false, sessions: [] });
  expect(res.body.attendees.every((a: { attended: boolean }) => !a.attended)).toBe(true);
  expect(graphCalls(w)).toEqual([]);
});

test('started but no report yet: no_report_yet from one list call', async () => {
  const w = await worlds.world({ roles: WITH_ATTENDANCE });
  const { appointmentId } = await meeting(w);
  w.sim.clearRequests();
  const res = await read(w, appointmentId);
  expect(res.body.state).toBe('no_report_yet');
  expect(graphCalls(w)).toEqual(['attendanceReports.list']);
});

test('two sessions: time summed, first join and last leave, a no-show, an anonymous joiner counted not named; the second read asks only for the list', async () => {
  const w = await worlds.world({ roles: WITH_ATTENDANCE });
  const { appointmentId, meetingId } = await meeting(w);
  const [s0, s1] = w.students;
  w.sim.addAttendanceSession(
    meetingId,
    session(w, '2026-11-20', [
      { userId: w.adviser.id, from: 0, to: 30 },
      { userId: s0!.id, from: 2, to: 12 },
      { email: 'visitor@elsewhere.example', from: 5, to: 6 },
    ]),
  );
  w.sim.addAttendanceSession(
    meetingId,
    session(w, '2026-11-21', [
      { userId: w.adviser.id, from: 0, to: 30 },
      { userId: s0!.id, from: 20, to: 25 },
    ]),
  );
  w.sim.clearRequests();
  const first = await read(w, appointmentId);
  expect(first.status).toBe(200);
  expect(graphCalls(w)).toEqual([
    'attendanceReports.list',
    'attendanceRecords.list',
    'attendanceRecords.list',
  ]);
  expect(first.body.state).toBe('available');
  expect(first.body.organizerAttended).toBe(true);
  expect(first.body.sessions).toEqual([
    { meetingStartDateTime: at(0), meetingEndDateTime: at(30), participantCount: 3 },
    {
      meetingStartDateTime: at(0, '2026-11-21'),
      meetingEndDateTime: at(30, '2026-11-21'),
      participantCount: 2,
    },
  ]);
  expect(first.body.attendees).toEqual([
    {
      matched: true,
      id: s0!.id,
      userPrincipalName: s0!.userPrincipalName,
      attended: true,
      totalAttendanceInSeconds: 15 * 60,
      firstJoinDateTime: at(2),
      lastLeaveDateTime: at(25, '2026-11-21'),
    },
    {
      matched: true,
      id: s1!.id,
      userPrincipalName: s1!.userPrincipalName,
      attended: false,
      totalAttendanceInSeconds: 0,
    },
  ]);
  expect(JSON.stringify(first.body)).not.toContain('visitor@elsewhere.example');

  w.sim.clearRequests();
  const second = await read(w, appointmentId);
  expect(second.body).toEqual(first.body);
  expect(graphCalls(w)).toEqual(['attendanceReports.list']);
  // A third session: only its records are read.
  w.sim.addAttendanceSession(meetingId, session(w, '2026-11-22', [{ userId: s1!.id, from: 0, to: 1 }]));
  w.sim.clearRequests();
  const third = await read(w, appointmentId);
  expect(graphCalls(w)).toEqual(['attendanceReports.list', 'attendanceRecords.list']);
  expect(third.body.attendees[1]).toMatchObject({ attended: true, totalAttendanceInSeconds: 60 });
  expect(third.body.sessions).toHaveLength(3);
});

test('records over several pages are all read (nextLink followed)', async () => {
  const w = await worlds.world({ roles: WITH_ATTENDANCE });
  const { appointmentId, meetingId } = await meeting(w, {
    attendees: w.students.slice(0, 5).map((s) => ({ email: s.mail })),
  });
  w.sim.setAttendancePageSize(2);
  w.sim.addAttendanceSession(
    meetingId,
    session(
      w,
      '2026-11-20',
      w.students.slice(0, 5).map((s, i) => ({ userId: s.id, from: i, to: i + 10 })),
    ),
  );
  w.sim.clearRequests();
  const res = await read(w, appointmentId);
  expect(received(w.sim, 'attendanceRecords.list')).toHaveLength(3);
  expect(
    res.body.attendees.map((a: { totalAttendanceInSeconds: number }) => a.totalAttendanceInSeconds),
  ).toEqual([600, 600, 600, 600, 600]);
});

test("more than 50 sessions: Graph's 50 most recent are read, and every later one is added", async () => {
  const w = await worlds.world({ roles: WITH_ATTENDANCE });
  const { appointmentId, meetingId } = await meeting(w);
  const s0 = w.students[0]!;
  for (let day = 1; day <= 55; day += 1) {
    const date = new Date(Date.UTC(2026, 8, day)).toISOString().slice(0, 10);
    w.sim.addAttendanceSession(meetingId, session(w, date, [{ userId: s0.id, from: 0, to: 1 }]));
  }
  w.sim.clearRequests();
  const res = await read(w, appointmentId);
  expect(res.body.sessions).toHaveLength(50);
  expect(res.body.sessions[0].meetingStartDateTime).toBe(at(0, '2026-09-06'));
  expect(res.body.attendees[0].totalAttendanceInSeconds).toBe(50 * 60);
  expect(received(w.sim, 'attendanceRecords.list')).toHaveLength(50);
  w.sim.addAttendanceSession(meetingId, session(w, '2026-11-25', [{ userId: s0.id, from: 0, to: 1 }]));
  const later = await read(w, appointmentId);
  expect(later.body.sessions).toHaveLength(51);
});

test('without OnlineMeetingArtifact.Read.All: 424 PERMISSION_MISSING naming it and where to add it', async () => {
  const w = await worlds.world();
  const { appointmentId } = await meeting(w);
  const res = await read(w, appointmentId);
  expect(res.status).toBe(424);
  expect(res.body.code).toBe('PERMISSION_MISSING');
  expect(res.body.detail).toContain('OnlineMeetingArtifact.Read.All');
  expect(res.body.remediation).toContain('API permissions');
  expect(res.body.remediation).toContain(APP_ID);
});

test('without the access policy: 424 ACCESS_POLICY_MISSING with the Grant line', async () => {
  const w = await worlds.world({ roles: WITH_ATTENDANCE });
  const { appointmentId } = await meeting(w);
  w.sim.revokePolicy(TENANT_ID, w.adviser.id, APP_ID);
  const res = await read(w, appointmentId);
  expect(res.status).toBe(424);
  expect(res.body.code).toBe('ACCESS_POLICY_MISSING');
  expect(res.body.remediation).toContain('Grant-CsApplicationAccessPolicy');
});

test('a cancelled meeting answers from what was kept, without Graph; another partner gets 404; metrics count reads', async () => {
  const w = await worlds.world({ roles: WITH_ATTENDANCE });
  const { appointmentId, meetingId } = await meeting(w);
  w.sim.addAttendanceSession(
    meetingId,
    session(w, '2026-11-20', [{ userId: w.students[0]!.id, from: 0, to: 5 }]),
  );
  expect((await read(w, appointmentId)).body.state).toBe('available');
  await w.h.request
    .delete(`/appointments/${appointmentId}/meeting`)
    .set('Authorization', `Bearer ${w.partnerKey}`);
  w.sim.clearRequests();
  const after = await read(w, appointmentId);
  expect(after.body).toMatchObject({
    state: 'available',
    attendees: [{ attended: true, totalAttendanceInSeconds: 300 }, { attended: false }],
  });
  expect(graphCalls(w)).toEqual([]);
  expect((await read(w, 'no-such-appointment')).status).toBe(404);
  const metrics = await w.h.request.get('/metrics').set('Authorization', w.h.admin);
  expect(metrics.text).toMatch(/teams_meetings_attendance_reads_total\{outcome="available"\} 2/);
  expect(metrics.text).toMatch(/teams_meetings_attendance_reads_total\{outcome="error"\} 1/);
});

describe('a malformed answer from Graph is 502 GRAPH_ERROR, never a no-show', () => {
  const lists: Array<[string, unknown]> = [
    ['no value', {}],
    ['value not a list', { value: 'nope' }],
    ['a report without an id', { value: [{ meetingStartDateTime: at(0), meetingEndDateTime: at(30) }] }],
    ['a report without its times', { value: [{ id: 'r1', totalParticipantCount: 2 }] }],
    ['not JSON', 'not json'],
  ];
  test.each(lists)('attendance reports with %s', async (_label, body) => {
    const w = await worlds.world({ roles: WITH_ATTENDANCE });
    const { appointmentId } = await meeting(w);
    w.sim.injectFault({ match: { operation: 'attendanceReports.list' }, status: 200, body });
    const res = await read(w, appointmentId);
    expect(res.status).toBe(502);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('GRAPH_ERROR');
  });

  const records: Array<[string, unknown]> = [
    ['no value', {}],
    ['value not a list', { value: {} }],
    ['a record without its seconds', { value: [{ identity: { id: 'x' }, attendanceIntervals: [] }] }],
    [
      'a record whose intervals are not a list',
      { value: [{ identity: { id: 'x' }, totalAttendanceInSeconds: 60, attendanceIntervals: 'x' }] },
    ],
  ];
  test.each(records)('attendance records with %s', async (_label, body) => {
    const w = await worlds.world({ roles: WITH_ATTENDANCE });
    const { appointmentId, meetingId } = await meeting(w);
    w.sim.addAttendanceSession(
      meetingId,
      session(w, '2026-11-20', [{ userId: w.adviser.id, from: 0, to: 30 }]),
    );
    w.sim.injectFault({ match: { operation: 'attendanceRecords.list' }, status: 200, body });
    const res = await read(w, appointmentId);
    expect(res.status).toBe(502);
    expect(res.body.code).toBe('GRAPH_ERROR');
    // Nothing half-read is kept: once Graph answers properly, the session is read whole.
    w.sim.clearFaults();
    const again = await read(w, appointmentId);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ state: 'available', organizerAttended: true });
  });
});
