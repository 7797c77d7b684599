/**
 * The simulator's Exchange, as GRAPH.md describes it: events with a Teams meeting (found by its
 * join link), `transactionId`, extended-property lookups, a join link that lags, the body-PATCH
 * pitfall, cancel with a comment, the mails per recipient, RBAC scopes, users without a mailbox,
 * and 4 requests at once per app and mailbox.
 */
import { APP_ID, simulatorPerTest, TENANT_ID, type GraphErrorBody } from '../support/simulator-world';

const s = simulatorPerTest();
const STAMP = 'String {1f0a7c52-2b6d-4b8e-9f3a-6c1d2e3f4a5b} Name teamsMeetingsAppointment';

const eventsOf = (userId: string) => `/users/${userId}/events`;
const eventPath = (userId: string, id: string) => `${eventsOf(userId)}/${encodeURIComponent(id)}`;

function eventBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subject: 'Careers appointment',
    start: { dateTime: '2027-01-12T10:00:00', timeZone: 'UTC' },
    end: { dateTime: '2027-01-12T10:30:00', timeZone: 'UTC' },
    attendees: [{ emailAddress: { address: s.world.student.mail, name: 'Sam Student' }, type: 'required' }],
    isOnlineMeeting: true,
    onlineMeetingProvider: 'teamsForBusiness',
    transactionId: 'c0ffee00-0000-4000-8000-000000000001',
    singleValueExtendedProperties: [{ id: STAMP, value: 'appt-1' }],
    ...overrides,
  };
}

beforeEach(() => s.h.sim.scopeCalendars(TENANT_ID, APP_ID, [s.world.adviser.id]));

test('an event with a Teams meeting: 201, its join link finds the online meeting, the student is invited', async () => {
  const made = await s.graph.post(eventsOf(s.world.adviser.id), eventBody());
  expect(made.status).toBe(201);
  expect(made.data).toMatchObject({
    subject: 'Careers appointment',
    start: { dateTime: '2027-01-12T10:00:00.0000000', timeZone: 'UTC' },
    isOnlineMeeting: true,
    onlineMeeting: { joinUrl: expect.stringMatching(/^https:\/\/teams\.microsoft\.com\/l\/meetup-join\//) },
  });
  expect(made.data.id).toMatch(/[/+=]/);
  expect(made.data.iCalUId).toMatch(/^040000008200E00074C5B7101A82E008/);
  const found = await s.graph.get(`/users/${s.world.adviser.id}/onlineMeetings`, {
    params: { $filter: `JoinWebUrl eq '${made.data.onlineMeeting.joinUrl}'` },
  });
  expect(found.data.value).toHaveLength(1);
  expect(s.h.sim.mails()).toEqual([
    expect.objectContaining({ kind: 'invitation', to: s.world.student.mail, from: s.world.adviser.mail }),
  ]);
});

test('the same transactionId again answers the event already made; the stamp finds it', async () => {
  const first = await s.graph.post(eventsOf(s.world.adviser.id), eventBody());
  const again = await s.graph.post(eventsOf(s.world.adviser.id), eventBody());
  expect(again.data.id).toBe(first.data.id);
  expect(s.h.sim.events()).toHaveLength(1);
  expect(s.h.sim.mails()).toHaveLength(1);
  const byStamp = await s.graph.get(eventsOf(s.world.adviser.id), {
    params: {
      $filter: `singleValueExtendedProperties/Any(ep: ep/id eq '${STAMP}' and ep/value eq 'appt-1')`,
    },
  });
  expect(byStamp.data.value.map((e: { id: string }) => e.id)).toEqual([first.data.id]);
  const none = await s.graph.get(eventsOf(s.world.adviser.id), {
    params: { $filter: `singleValueExtendedProperties/Any(ep: ep/id eq '${STAMP}' and ep/value eq 'other')` },
  });
  expect(none.data.value).toEqual([]);
});

test('the join link can lag: null in the answer and the next read, then there', async () => {
  s.h.sim.setJoinUrlLag(2);
  const made = await s.graph.post(eventsOf(s.world.adviser.id), eventBody());
  expect(made.data.onlineMeeting).toBeNull();
  expect((await s.graph.get(eventPath(s.world.adviser.id, made.data.id))).data.onlineMeeting).toBeNull();
  const read = await s.graph.get(eventPath(s.world.adviser.id, made.data.id));
  expect(read.data.onlineMeeting.joinUrl).toMatch(/^https:/);
});

test('an update mails the change; removed attendees get a cancellation, new ones an invitation; a body gets a new link', async () => {
  const made = await s.graph.post(eventsOf(s.world.adviser.id), eventBody());
  const path = eventPath(s.world.adviser.id, made.data.id);
  const moved = await s.graph.patch(path, {
    start: { dateTime: '2027-01-13T10:00:00', timeZone: 'UTC' },
    end: { dateTime: '2027-01-13T10:30:00', timeZone: 'UTC' },
  });
  expect(moved.status).toBe(200);
  expect(moved.data.onlineMeeting.joinUrl).toBe(made.data.onlineMeeting.joinUrl);
  const swapped = await s.graph.patch(path, {
    attendees: [{ emailAddress: { address: s.world.obrien.mail } }],
  });
  expect(swapped.status).toBe(200);
  expect(s.h.sim.mails().map((m) => `${m.kind} ${m.to}`)).toEqual([
    `invitation ${s.world.student.mail}`,
    `update ${s.world.student.mail}`,
    `cancellation ${s.world.student.mail}`,
    `invitation ${s.world.obrien.mail}`,
  ]);
  const withBody = await s.graph.patch(path, { body: { contentType: 'text', content: 'Bring your CV' } });
  expect(withBody.data.onlineMeeting.joinUrl).not.toBe(made.data.onlineMeeting.joinUrl);
});

test('cancel with a comment: 202, every attendee gets it, the event and its meeting are gone', async () => {
  const made = await s.graph.post(eventsOf(s.world.adviser.id), eventBody());
  const path = eventPath(s.world.adviser.id, made.data.id);
  const cancelled = await s.graph.post(`${path}/cancel`, { comment: 'The adviser is ill.' });
  expect(cancelled.status).toBe(202);
  expect(s.h.sim.mails({ kind: 'cancellation' })).toEqual([
    expect.objectContaining({ to: s.world.student.mail, comment: 'The adviser is ill.' }),
  ]);
  const read = await s.graph.get(path);
  expect(read.status).toBe(404);
  expect((read.data as GraphErrorBody).error.code).toBe('ErrorItemNotFound');
  expect(s.h.sim.meetings()).toHaveLength(0);
});

test('outside the RBAC scope: 403 ErrorAccessDenied; without a mailbox: 404 MailboxNotEnabledForRESTAPI', async () => {
  const outside = await s.graph.post(eventsOf(s.world.student.id), eventBody());
  expect(outside.status).toBe(403);
  expect((outside.data as GraphErrorBody).error).toMatchObject({
    code: 'ErrorAccessDenied',
    message: 'Access is denied. Check credentials and try again.',
  });
  s.h.sim.removeMailbox(s.world.adviser.id);
  const noMailbox = await s.graph.post(eventsOf(s.world.adviser.id), eventBody());
  expect(noMailbox.status).toBe(404);
  expect((noMailbox.data as GraphErrorBody).error.code).toBe('MailboxNotEnabledForRESTAPI');
  expect(s.h.sim.events()).toEqual([]);
});

test('5 requests at once to one mailbox: 4 are served, the 5th is 429 with Retry-After', async () => {
  // Each request holds its mailbox slot for a second: long enough that the five overlap also on a
  // loaded machine (at 150 ms, five new TLS connections under CI's load did not always).
  s.h.sim.setLatency(1000);
  const answers = await Promise.all(
    Array.from({ length: 5 }, (_, i) =>
      s.graph.post(
        eventsOf(s.world.adviser.id),
        eventBody({ transactionId: `c0ffee00-0000-4000-8000-00000000001${i}` }),
      ),
    ),
  );
  expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 201, 201, 429]);
  const refused = answers.find((a) => a.status === 429)!;
  expect(refused.headers['retry-after']).toBe('1');
  expect(
    (
      await s.graph.post(
        eventsOf(s.world.adviser.id),
        eventBody({ transactionId: 'c0ffee00-0000-4000-8000-000000000099' }),
      )
    ).status,
  ).toBe(201);
});
