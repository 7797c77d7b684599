/**
 * Calendar invites end to end, through HTTP against the simulator: each invite parsed by an
 * independent iCalendar parser (ical.js), its bytes checked against RFC 5545's line rules, and the
 * UID and SEQUENCE followed through a reschedule, an attendee change, a replay and the cancel; and
 * the cancel's lock, seen from the simulator (PATCH before DELETE, the link leads to a locked room).
 */
import ICAL from 'ical.js';
import { makeHarness } from '../support/harness';
import {
  appointment,
  received,
  TENANT_ID,
  universityPartner,
  worldsPerTest,
  type ServiceWorld,
} from '../support/service-world';

const worlds = worldsPerTest();
const PUBLIC_BASE_URL = 'https://meetings.uni.example.ac.uk';

async function world(): Promise<ServiceWorld> {
  return worlds.world({ publicBaseUrl: PUBLIC_BASE_URL });
}

function asPartner(w: ServiceWorld) {
  const auth = `Bearer ${w.partnerKey}`;
  return {
    invite: (appointmentId: string, query = '') =>
      w.h.request
        .get(`/appointments/${encodeURIComponent(appointmentId)}/meeting.ics${query}`)
        .set('Authorization', auth)
        .buffer(true)
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done(null, Buffer.concat(chunks)));
        }),
    patch: (appointmentId: string, body: Record<string, unknown>) =>
      w.h.request
        .patch(`/appointments/${encodeURIComponent(appointmentId)}/meeting`)
        .set('Authorization', auth)
        .send(body),
    cancel: (appointmentId: string) =>
      w.h.request
        .delete(`/appointments/${encodeURIComponent(appointmentId)}/meeting`)
        .set('Authorization', auth),
    get: (appointmentId: string) =>
      w.h.request
        .get(`/appointments/${encodeURIComponent(appointmentId)}/meeting`)
        .set('Authorization', auth),
  };
}

interface Parsed {
  calendar: ICAL.Component;
  event: ICAL.Component;
  text: string;
}

/** Parses the invite with ical.js, after checking every line's length (octets) and its CRLF. */
function parse(bytes: Buffer): Parsed {
  const text = bytes.toString('utf8');
  expect(text.endsWith('\r\n')).toBe(true);
  const lines = text.slice(0, -2).split('\r\n');
  for (const line of lines) {
    expect(line).not.toMatch(/[\r\n]/);
    expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
  }
  const calendar = new ICAL.Component(ICAL.parse(text));
  const events = calendar.getAllSubcomponents('vevent');
  expect(events).toHaveLength(1);
  return { calendar, event: events[0]!, text };
}

const value = (c: ICAL.Component, name: string) => c.getFirstPropertyValue(name);
const utc = (c: ICAL.Component, name: string) => {
  const time = c.getFirstPropertyValue(name) as ICAL.Time;
  expect(time.zone?.tzid ?? 'UTC').toBe('UTC');
  return time.toJSDate().toISOString();
};

describe('the invite', () => {
  test('REQUEST with every field of API.md, read back by ical.js', async () => {
    const w = await world();
    const body = appointment({
      subject: 'Careers guidance; CV, cover letter \\ interview — Zoë 😀 “prep”',
      attendees: [{ email: 's0.student@uni.example.ac.uk' }, { email: 'nobody@uni.example.ac.uk' }],
    });
    const created = await w.create(body);
    expect(created.status).toBe(201);
    const meeting = created.body;
    expect(meeting.calendar).toEqual({
      uid: expect.stringMatching(/^tm1-[0-9a-f]{40}@meetings\.uni\.example\.ac\.uk$/),
      sequence: 0,
    });

    const res = await asPartner(w).invite(body.appointmentId as string);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/calendar; charset=utf-8; method=REQUEST');
    expect(res.headers['cache-control']).toBe('no-store');
    const { calendar, event } = parse(res.body as Buffer);
    expect(value(calendar, 'method')).toBe('REQUEST');
    expect(value(calendar, 'version')).toBe('2.0');
    expect(value(event, 'uid')).toBe(meeting.calendar.uid);
    expect(value(event, 'sequence')).toBe(0);
    expect(value(event, 'summary')).toBe(body.subject);
    expect(value(event, 'location')).toBe('Microsoft Teams Meeting');
    expect(value(event, 'url')).toBe(meeting.joinWebUrl);
    expect(value(event, 'x-microsoft-skypeteamsmeetingurl')).toBe(meeting.joinWebUrl);
    expect(value(event, 'status')).toBe('CONFIRMED');
    expect(utc(event, 'dtstart')).toBe('2026-12-01T10:00:00.000Z');
    expect(utc(event, 'dtend')).toBe('2026-12-01T10:30:00.000Z');
    expect(utc(event, 'dtstamp')).toBe(
      new Date(meeting.updatedAt).toISOString().replace(/\.\d{3}Z$/, '.000Z'),
    );
    const description = value(event, 'description') as string;
    expect(description).toContain(`Join: ${meeting.joinWebUrl}`);
    expect(description).toContain(`Meeting ID: ${meeting.joinMeetingId}`);
    expect(description).toContain(`Passcode: ${meeting.passcode}`);
    const organizer = event.getFirstProperty('organizer')!;
    // The adviser's mailbox (`mail`), not the UPN: the two differ here, as at many universities,
    // and a calendar shows an organizer it cannot match to a mailbox as unknown.
    // URI schemes are case-insensitive (RFC 3986 3.1); ical-generator writes MAILTO for attendees.
    expect(meeting.organizer.userPrincipalName).not.toBe('ada.adviser@uni.example.ac.uk');
    expect(String(organizer.getFirstValue()).toLowerCase()).toBe('mailto:ada.adviser@uni.example.ac.uk');
    expect(organizer.getParameter('cn')).toBe('Ada Adviser');
    // One ATTENDEE per matched student only, by mailbox too; the one not found joins by link.
    const attendees = event.getAllProperties('attendee');
    expect(attendees.map((a) => String(a.getFirstValue()).toLowerCase())).toEqual([
      'mailto:s0.student@uni.example.ac.uk',
    ]);
    expect(attendees[0]!.getParameter('rsvp')).toBe('TRUE');
    expect(attendees[0]!.getParameter('partstat')).toBe('NEEDS-ACTION');
  });

  test("?for=organizer: the adviser's own copy, PUBLISH, no RSVP", async () => {
    const w = await world();
    const body = appointment();
    const meeting = (await w.create(body)).body;
    const res = await asPartner(w).invite(body.appointmentId as string, '?for=organizer');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/calendar; charset=utf-8; method=PUBLISH');
    const { calendar, event, text } = parse(res.body as Buffer);
    expect(value(calendar, 'method')).toBe('PUBLISH');
    expect(value(event, 'uid')).toBe(meeting.calendar.uid);
    expect(event.getAllProperties('attendee')).toEqual([]);
    expect(text).not.toMatch(/RSVP/);
    expect(value(event, 'url')).toBe(meeting.joinWebUrl);
  });

  test('a long subject is folded at 75 octets and unfolds to itself', async () => {
    const w = await world();
    const subject = `${'Überprüfung der Bewerbungsunterlagen, Teil 1; '.repeat(5)}ende`.slice(0, 255);
    const body = appointment({ subject });
    await w.create(body);
    const { event, text } = parse((await asPartner(w).invite(body.appointmentId as string)).body as Buffer);
    expect(text).toMatch(/\r\n /); // folded
    expect(value(event, 'summary')).toBe(subject);
  });

  test('the same invite, byte for byte, from another instance; another partner and no meeting are 404; bad ?for is 400', async () => {
    const w = await world();
    const body = appointment();
    await w.create(body);
    const id = body.appointmentId as string;
    const first = (await asPartner(w).invite(id)).body as Buffer;
    const other = makeHarness({
      store: w.h.store,
      secretsKey: w.h.secretsKey,
      publicBaseUrl: PUBLIC_BASE_URL,
      microsoft: {
        azureAuthorityHost: worlds.sim.authorityHost,
        graphBaseUrl: worlds.sim.graphBaseUrl,
        extraCaPem: worlds.sim.caCertPem,
      },
    });
    try {
      const viaOther = await other.request
        .get(`/appointments/${id}/meeting.ics`)
        .set('Authorization', `Bearer ${w.partnerKey}`);
      expect(viaOther.status).toBe(200);
      expect(viaOther.text).toBe(first.toString('utf8'));
    } finally {
      await other.close();
    }

    expect((await asPartner(w).invite('no-such-appointment')).status).toBe(404);
    const bad = await asPartner(w).invite(id, '?for=everyone');
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);

    await w.h.request.put('/partners/uni-y').set('Authorization', w.h.admin).send(universityPartner());
    const otherKey = (await w.h.request.post('/partners/uni-y/api-keys').set('Authorization', w.h.admin)).body
      .key;
    const otherPartner = await w.h.request
      .get(`/appointments/${id}/meeting.ics`)
      .set('Authorization', `Bearer ${otherKey}`);
    expect(otherPartner.status).toBe(404);
    const admin = await w.h.request.get(`/appointments/${id}/meeting.ics`).set('Authorization', w.h.admin);
    expect(admin.status).toBe(403);
  });
});

describe('SEQUENCE follows what an invite carries', () => {
  test('same UID; higher after a reschedule, a subject and an attendee change, the cancel; not after a replay or an options change', async () => {
    const w = await world();
    const body = appointment();
    const id = body.appointmentId as string;
    const partner = asPartner(w);
    const invite = async () => parse((await partner.invite(id)).body as Buffer).event;
    const created = (await w.create(body)).body;
    const uid = created.calendar.uid as string;

    expect((await w.create(body)).status).toBe(200); // a replay
    expect(value(await invite(), 'sequence')).toBe(0);

    expect(
      (await partner.patch(id, { options: { allowMeetingChat: 'limited' } })).body.calendar.sequence,
    ).toBe(0);
    const moved = await partner.patch(id, {
      startDateTime: '2026-12-02T14:00:00Z',
      endDateTime: '2026-12-02T14:45:00Z',
    });
    expect(moved.body.calendar).toEqual({ uid, sequence: 1 });
    let event = await invite();
    expect(value(event, 'sequence')).toBe(1);
    expect(utc(event, 'dtstart')).toBe('2026-12-02T14:00:00.000Z');

    expect((await partner.patch(id, { subject: 'Mock interview' })).body.calendar.sequence).toBe(2);
    // The same subject again changes nothing a calendar shows.
    expect((await partner.patch(id, { subject: 'Mock interview' })).body.calendar.sequence).toBe(2);
    const withOthers = await partner.patch(id, { attendees: [{ email: 's2.student@uni.example.ac.uk' }] });
    expect(withOthers.body.calendar.sequence).toBe(3);
    event = await invite();
    expect(value(event, 'uid')).toBe(uid);
    expect(value(event, 'summary')).toBe('Mock interview');
    expect(event.getAllProperties('attendee').map((a) => String(a.getFirstValue()).toLowerCase())).toEqual([
      'mailto:s2.student@uni.example.ac.uk',
    ]);

    expect((await partner.cancel(id)).status).toBe(204);
    const res = await partner.invite(id);
    expect(res.headers['content-type']).toBe('text/calendar; charset=utf-8; method=CANCEL');
    const { calendar, event: cancelled } = parse(res.body as Buffer);
    expect(value(calendar, 'method')).toBe('CANCEL');
    expect(value(cancelled, 'status')).toBe('CANCELLED');
    expect(value(cancelled, 'uid')).toBe(uid);
    expect(value(cancelled, 'sequence')).toBe(4);
    // No way in is left in a cancellation: no link, no meeting ID, no passcode.
    expect(value(cancelled, 'description')).toBe('This appointment has been cancelled.');
    expect(cancelled.getFirstProperty('url')).toBeNull();
    expect(res.text ?? (res.body as Buffer).toString()).not.toContain('teams.microsoft.com');
    expect((await partner.get(id)).body.calendar).toEqual({ uid, sequence: 4 });
    // Cancelling again is harmless and raises nothing.
    expect((await partner.cancel(id)).status).toBe(204);
    expect((await partner.get(id)).body.calendar.sequence).toBe(4);
    const organizerCopy = await partner.invite(id, '?for=organizer');
    expect(organizerCopy.headers['content-type']).toBe('text/calendar; charset=utf-8; method=CANCEL');
  });

  test('a meeting Teams lost, made anew by the create: same UID, higher SEQUENCE, the new link', async () => {
    const w = await world();
    const body = appointment();
    const id = body.appointmentId as string;
    const first = (await w.create(body)).body;
    w.sim.deleteMeetingInTeams(first.meetingId);
    expect((await asPartner(w).patch(id, { subject: 'Anything' })).status).toBe(404);
    const again = await w.create(body);
    expect(again.status).toBe(201);
    expect(again.body.joinWebUrl).not.toBe(first.joinWebUrl);
    expect(again.body.calendar).toEqual({ uid: first.calendar.uid, sequence: 1 });
    const { event } = parse((await asPartner(w).invite(id)).body as Buffer);
    expect(value(event, 'url')).toBe(again.body.joinWebUrl);
  });
  test('a failed create after Teams lost the meeting keeps the raised SEQUENCE for the next one', async () => {
    const w = await world();
    const body = appointment();
    const first = (await w.create(body)).body;
    w.sim.deleteMeetingInTeams(first.meetingId);
    expect((await asPartner(w).patch(body.appointmentId as string, { subject: 'Anything' })).status).toBe(
      404,
    );
    w.sim.injectFault({ match: { operation: 'onlineMeetings.createOrGet' }, status: 400 });
    expect((await w.create(body)).status).toBe(502);
    w.sim.clearRequests();
    const again = await w.create(body);
    expect(again.status).toBe(201);
    expect(again.body.calendar).toEqual({ uid: first.calendar.uid, sequence: 1 });
    // The same externalId as the failed attempt: a meeting it may have made is found, not doubled.
    const [createOrGet] = received(w.sim, 'onlineMeetings.createOrGet');
    expect((createOrGet!.body as { externalId: string }).externalId).toMatch(/\.2$/);
  });
});

describe('the cancel locks the meeting before deleting it', () => {
  test('one PATCH (lobby and presenters: organizer; chat off) reaches Teams before the DELETE; the link leads to a locked room', async () => {
    const w = await world();
    const body = appointment({ options: { lobbyBypassScope: 'everyone', allowedPresenters: 'everyone' } });
    const meeting = (await w.create(body)).body;
    expect(w.sim.joinByLink(meeting.joinWebUrl)?.meeting.lobbyBypassSettings.scope).toBe('everyone');
    w.sim.clearRequests();

    expect((await asPartner(w).cancel(body.appointmentId as string)).status).toBe(204);
    const calls = w.sim
      .requests()
      .filter((r) => r.kind === 'graph')
      .map((r) => `${r.method} ${r.operation}`);
    expect(calls).toEqual(['PATCH onlineMeetings.update', 'DELETE onlineMeetings.delete']);
    expect(received(w.sim, 'onlineMeetings.update')[0]!.body).toEqual({
      lobbyBypassSettings: { scope: 'organizer' },
      allowedPresenters: 'organizer',
      allowMeetingChat: 'disabled',
    });
    const link = w.sim.joinByLink(meeting.joinWebUrl)!;
    expect(link.deleted).toBe(true);
    expect(link.meeting.lobbyBypassSettings.scope).toBe('organizer');
    expect(link.meeting.allowedPresenters).toBe('organizer');
    expect(link.meeting.allowMeetingChat).toBe('disabled');
  });

  test('a lock that fails (Graph 400) does not stop the delete, and is logged', async () => {
    const w = await world();
    const body = appointment();
    const meeting = (await w.create(body)).body;
    w.sim.injectFault({ match: { operation: 'onlineMeetings.update' }, status: 400 });
    expect((await asPartner(w).cancel(body.appointmentId as string)).status).toBe(204);
    expect(w.sim.joinByLink(meeting.joinWebUrl)!.deleted).toBe(true);
    expect((await asPartner(w).get(body.appointmentId as string)).body.status).toBe('cancelled');
    expect(w.h.logs.entries().some((l) => l['msg'] === 'meeting deleted without being locked first')).toBe(
      true,
    );
  });

  test('a cancel of a meeting Teams already lost answers 204 and calls no DELETE', async () => {
    const w = await world();
    const body = appointment();
    const meeting = (await w.create(body)).body;
    w.sim.deleteMeetingInTeams(meeting.meetingId);
    w.sim.clearRequests();
    expect((await asPartner(w).cancel(body.appointmentId as string)).status).toBe(204);
    expect(received(w.sim, 'onlineMeetings.delete')).toHaveLength(0);
    expect((await asPartner(w).get(body.appointmentId as string)).body.status).toBe('cancelled');
  });
});

test('a user without a mailbox is named by UPN in the invite, and a record kept before mail was stored too', async () => {
  const w = await worlds.world();
  const noMail = w.sim.addUser({
    tenantId: TENANT_ID,
    userPrincipalName: 'no.mailbox@uni.example.ac.uk',
    mail: null,
    displayName: 'No Mailbox',
  });
  const body = appointment({ attendees: [{ email: noMail.userPrincipalName }] });
  await w.h.request
    .patch('/partners/uni-x')
    .set('Authorization', w.h.admin)
    .send({ userRemoteMatchField: 'userPrincipalName' });
  expect((await w.create(body)).status).toBe(201);
  const record = (await w.h.store.meetings.get('uni-x', body.appointmentId as string))!;
  if (record.status !== 'scheduled') throw new Error('expected a scheduled record');
  // As a record written before `mail` was kept: no mail for the organizer.
  const { mail: _mail, ...organizer } = record.details.organizer;
  await w.h.store.meetings.update(
    { ...record, details: { ...record.details, organizer }, version: record.version + 1 },
    record.version,
  );
  const text = ((await asPartner(w).invite(body.appointmentId as string)).body as Buffer).toString();
  expect(text).toMatch(/^ORGANIZER;CN="?Ada Adviser"?:mailto:aadviser@uni\.example\.ac\.uk\r$/im);
  expect(text.replace(/\r\n /g, '')).toMatch(/ATTENDEE;.*:MAILTO:no\.mailbox@uni\.example\.ac\.uk/i);
});
