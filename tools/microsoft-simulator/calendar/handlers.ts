/**
 * `/users/{id}/events` (also `/users/{id}/calendar/events`): create with `transactionId` (a repeat
 * answers the event already made) and single-value extended properties to find it again, read,
 * list by such a property, update (a `body` in an update gives the event a new Teams link, as users
 * report of Graph), cancel with a comment and delete; the mails Exchange sends for each; what
 * Exchange enforces on the way: the calendar permission (tenant-wide consent or RBAC scope), a
 * mailbox, and opaque ids.
 */
import { graphError, graphOk } from '../responses';
import type { GraphCall, SimResponse, SimUser } from '../types';
import { MEETING_DEFAULTS } from '../graph-meetings/model';
import { newMeeting } from '../graph-meetings/render';
import type { SimEvent, SimEventAttendee, SimMailKind } from './model';

const WRITE_ROLES = ['Calendars.ReadWrite'];
const READ_ROLES = ['Calendars.Read', 'Calendars.ReadWrite', 'Calendars.ReadBasic'];
const ACCESS_DENIED = 'Access is denied. Check credentials and try again.';

type Guarded = { mailbox: SimUser } | { response: SimResponse };

/** The mailbox of the path, if the caller may use its calendar. */
export function calendarGuard(call: GraphCall, write: boolean): Guarded {
  const { answer, directory, calendar } = call.env;
  const ref = call.params['userId'] ?? '';
  const mailbox = directory.findUser(call.caller.tenantId, ref);
  if (!mailbox) {
    return {
      response: graphError(answer, 404, 'ErrorInvalidUser', `The requested user '${ref}' is invalid.`),
    };
  }
  if (!calendar.hasMailbox(mailbox.id)) {
    return {
      response: graphError(
        answer,
        404,
        'MailboxNotEnabledForRESTAPI',
        'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
      ),
    };
  }
  const roles = write ? WRITE_ROLES : READ_ROLES;
  const consented = call.caller.roles.some((r) => roles.includes(r));
  if (!consented && !calendar.inScope(call.caller.tenantId, call.caller.appId, mailbox.id)) {
    return { response: graphError(answer, 403, 'ErrorAccessDenied', ACCESS_DENIED) };
  }
  return { mailbox };
}

class BadEvent extends Error {}

function object(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** `{ dateTime, timeZone: 'UTC' }` → ISO in UTC; the simulator speaks UTC only. */
function readTime(value: unknown, name: string): string {
  const v = object(value);
  const dateTime = v['dateTime'];
  const zone = v['timeZone'];
  if (typeof dateTime !== 'string') throw new BadEvent(`${name}.dateTime is required.`);
  if (zone !== 'UTC' && zone !== 'Etc/UTC')
    throw new BadEvent(`${name}.timeZone: the simulator takes UTC only.`);
  const ms = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(dateTime) ? dateTime : `${dateTime}Z`);
  if (Number.isNaN(ms)) throw new BadEvent(`${name}.dateTime is not a date and time.`);
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function readAttendees(value: unknown): SimEventAttendee[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new BadEvent('attendees must be a collection.');
  return value.map((item) => {
    const email = object(object(item)['emailAddress']);
    const address = email['address'];
    if (typeof address !== 'string' || !address.includes('@'))
      throw new BadEvent('An attendee has no emailAddress.address.');
    const type = object(item)['type'];
    return {
      address,
      name: typeof email['name'] === 'string' ? email['name'] : null,
      type: type === 'optional' || type === 'resource' ? type : 'required',
    };
  });
}

function readProperties(value: unknown): Array<{ id: string; value: string }> {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new BadEvent('singleValueExtendedProperties must be a collection.');
  return value.map((item) => {
    const { id, value: v } = object(item);
    if (typeof id !== 'string' || typeof v !== 'string')
      throw new BadEvent('An extended property needs id and value.');
    return { id, value: v };
  });
}

const outlookTime = (iso: string) => ({
  dateTime: iso.replace(/Z$/, '').replace(/(\.\d+)?$/, '.0000000'),
  timeZone: 'UTC',
});

function joinUrlOf(call: GraphCall, event: SimEvent): string | null {
  if (!event.meetingId) return null;
  return call.env.directory.meeting(event.meetingId)?.joinWebUrl ?? null;
}

/** The event as Graph answers it; a new event's join link shows only after a few reads (lag). */
function render(call: GraphCall, event: SimEvent, mailbox: SimUser): Record<string, unknown> {
  const lagging = event.joinUrlLag > 0;
  if (lagging) event.joinUrlLag -= 1;
  const joinUrl = joinUrlOf(call, event);
  return {
    id: event.id,
    createdDateTime: event.createdDateTime,
    lastModifiedDateTime: event.lastModifiedDateTime,
    iCalUId: event.iCalUId,
    transactionId: event.transactionId,
    subject: event.subject,
    start: outlookTime(event.start),
    end: outlookTime(event.end),
    isCancelled: event.isCancelled,
    isOnlineMeeting: event.isOnlineMeeting,
    onlineMeetingProvider: event.isOnlineMeeting ? 'teamsForBusiness' : 'unknown',
    onlineMeeting: event.isOnlineMeeting && !lagging && joinUrl ? { joinUrl } : null,
    organizer: {
      emailAddress: { name: mailbox.displayName, address: mailbox.mail ?? mailbox.userPrincipalName },
    },
    attendees: event.attendees.map((a) => ({
      type: a.type,
      status: { response: 'none', time: '0001-01-01T00:00:00Z' },
      emailAddress: { name: a.name ?? a.address, address: a.address },
    })),
    webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(event.id)}&exvsurl=1&path=/calendar/item`,
    body: { contentType: 'html', content: event.bodyContent ?? '' },
  };
}

function mailAll(
  call: GraphCall,
  event: SimEvent,
  mailbox: SimUser,
  kind: SimMailKind,
  recipients: SimEventAttendee[],
  comment: string | null = null,
): void {
  for (const recipient of recipients) {
    call.env.calendar.send({
      kind,
      from: mailbox.mail ?? mailbox.userPrincipalName,
      to: recipient.address,
      eventId: event.id,
      iCalUId: event.iCalUId,
      subject: event.subject,
      start: event.start,
      end: event.end,
      joinUrl: joinUrlOf(call, event),
      comment,
    });
  }
}

function respond(call: GraphCall, work: () => SimResponse): SimResponse {
  try {
    return work();
  } catch (error) {
    if (error instanceof BadEvent)
      return graphError(call.env.answer, 400, 'ErrorInvalidRequest', error.message);
    throw error;
  }
}

function notFound(call: GraphCall): SimResponse {
  return graphError(
    call.env.answer,
    404,
    'ErrorItemNotFound',
    'The specified object was not found in the store.',
  );
}

/** A Teams meeting behind an event: an online meeting of its organizer, findable by its join link. */
function teamsMeetingFor(
  call: GraphCall,
  mailbox: SimUser,
  event: Pick<SimEvent, 'subject' | 'start' | 'end'>,
): string {
  const meeting = newMeeting(call, mailbox, {
    externalId: null,
    subject: event.subject,
    startDateTime: event.start,
    endDateTime: event.end,
    attendees: [],
    options: MEETING_DEFAULTS,
  });
  call.env.directory.saveMeeting(meeting);
  return meeting.id;
}

/** `POST /users/{id}/events` → 201; a repeat with the same `transactionId` answers the same event. */
export function createEvent(call: GraphCall): SimResponse {
  const guarded = calendarGuard(call, true);
  if ('response' in guarded) return guarded.response;
  const { mailbox } = guarded;
  return respond(call, () => {
    const body = object(call.req.body);
    const transactionId = typeof body['transactionId'] === 'string' ? body['transactionId'] : null;
    if (transactionId) {
      const made = call.env.calendar.byTransactionId(mailbox.id, transactionId);
      if (made) return graphOk(call.env.answer, 201, render(call, made, mailbox));
    }
    const subject = typeof body['subject'] === 'string' ? body['subject'] : '';
    const start = readTime(body['start'], 'start');
    const end = readTime(body['end'], 'end');
    if (Date.parse(end) < Date.parse(start)) throw new BadEvent('The end of the event is before its start.');
    const isOnlineMeeting = body['isOnlineMeeting'] === true;
    if (
      isOnlineMeeting &&
      body['onlineMeetingProvider'] !== undefined &&
      body['onlineMeetingProvider'] !== 'teamsForBusiness'
    ) {
      throw new BadEvent('onlineMeetingProvider: only teamsForBusiness is simulated.');
    }
    const attendees = readAttendees(body['attendees']);
    const meetingId = isOnlineMeeting ? teamsMeetingFor(call, mailbox, { subject, start, end }) : null;
    const event = call.env.calendar.newEvent({
      tenantId: call.caller.tenantId,
      mailboxId: mailbox.id,
      appId: call.caller.appId,
      transactionId,
      subject,
      start,
      end,
      attendees,
      isOnlineMeeting,
      meetingId,
      joinUrlLag: call.env.calendar.joinUrlLag,
      extendedProperties: readProperties(body['singleValueExtendedProperties']),
      bodyContent:
        typeof object(body['body'])['content'] === 'string'
          ? (object(body['body'])['content'] as string)
          : null,
    });
    mailAll(call, event, mailbox, 'invitation', attendees);
    return graphOk(call.env.answer, 201, render(call, event, mailbox));
  });
}

/** `GET /users/{id}/events/{eventId}`. */
export function getEvent(call: GraphCall): SimResponse {
  const guarded = calendarGuard(call, false);
  if ('response' in guarded) return guarded.response;
  const event = call.env.calendar.event(guarded.mailbox.id, call.params['eventId'] ?? '');
  if (!event) return notFound(call);
  return graphOk(call.env.answer, 200, render(call, event, guarded.mailbox));
}

const PROPERTY_FILTER =
  /^singleValueExtendedProperties\/Any\(ep: ?ep\/id eq '((?:[^']|'')*)' and ep\/value eq '((?:[^']|'')*)'\)$/;

/** `GET /users/{id}/events?$filter=singleValueExtendedProperties/Any(…)`: the events with that property. */
export function listEvents(call: GraphCall): SimResponse {
  const guarded = calendarGuard(call, false);
  if ('response' in guarded) return guarded.response;
  const filter = call.req.query['$filter'];
  const match = filter === undefined ? null : PROPERTY_FILTER.exec(filter.trim());
  if (filter !== undefined && !match) {
    return graphError(
      call.env.answer,
      400,
      'ErrorInvalidUrlQueryFilter',
      'The simulator filters events by one extended property only.',
    );
  }
  const events = match
    ? call.env.calendar.withProperty(
        guarded.mailbox.id,
        match[1]!.replaceAll("''", "'"),
        match[2]!.replaceAll("''", "'"),
      )
    : call.env.calendar.all({ mailboxId: guarded.mailbox.id });
  return graphOk(call.env.answer, 200, { value: events.map((e) => render(call, e, guarded.mailbox)) });
}

/** `PATCH /users/{id}/events/{eventId}`: Exchange mails the updates, invitations and cancellations. */
export function updateEvent(call: GraphCall): SimResponse {
  const guarded = calendarGuard(call, true);
  if ('response' in guarded) return guarded.response;
  const { mailbox } = guarded;
  const event = call.env.calendar.event(mailbox.id, call.params['eventId'] ?? '');
  if (!event) return notFound(call);
  return respond(call, () => {
    const body = object(call.req.body);
    const before = { subject: event.subject, start: event.start, end: event.end };
    if (typeof body['subject'] === 'string') event.subject = body['subject'];
    if (body['start'] !== undefined) event.start = readTime(body['start'], 'start');
    if (body['end'] !== undefined) event.end = readTime(body['end'], 'end');
    const previous = event.attendees;
    if (body['attendees'] !== undefined) event.attendees = readAttendees(body['attendees']);
    if (body['body'] !== undefined && event.isOnlineMeeting) {
      // The pitfall: an update carrying `body` gets the event a new Teams meeting (a new link).
      if (event.meetingId) call.env.directory.deleteMeeting(event.meetingId);
      event.meetingId = teamsMeetingFor(call, mailbox, event);
      event.bodyContent =
        typeof object(body['body'])['content'] === 'string'
          ? (object(body['body'])['content'] as string)
          : '';
    }
    const meeting = event.meetingId ? call.env.directory.meeting(event.meetingId) : undefined;
    if (meeting) {
      call.env.directory.saveMeeting({
        ...meeting,
        subject: event.subject,
        startDateTime: event.start,
        endDateTime: event.end,
      });
    }
    event.lastModifiedDateTime = new Date().toISOString();
    const same = (a: SimEventAttendee) => (b: SimEventAttendee) =>
      a.address.toLowerCase() === b.address.toLowerCase();
    const removed = previous.filter((a) => !event.attendees.some(same(a)));
    const added = event.attendees.filter((a) => !previous.some(same(a)));
    const kept = event.attendees.filter((a) => previous.some(same(a)));
    const moved =
      before.subject !== event.subject || before.start !== event.start || before.end !== event.end;
    mailAll(call, event, mailbox, 'cancellation', removed);
    mailAll(call, event, mailbox, 'invitation', added);
    if (moved) mailAll(call, event, mailbox, 'update', kept);
    return graphOk(call.env.answer, 200, render(call, event, mailbox));
  });
}

function endEvent(call: GraphCall, event: SimEvent, mailbox: SimUser, comment: string | null): void {
  event.isCancelled = true;
  event.lastModifiedDateTime = new Date().toISOString();
  mailAll(call, event, mailbox, 'cancellation', event.attendees, comment);
  // The event's Teams meeting goes with it (its link may stay joinable, as for any deleted meeting).
  if (event.meetingId) call.env.directory.deleteMeeting(event.meetingId);
}

/** `POST /users/{id}/events/{eventId}/cancel` `{ comment }` → 202; the attendees get the comment. */
export function cancelEvent(call: GraphCall): SimResponse {
  const guarded = calendarGuard(call, true);
  if ('response' in guarded) return guarded.response;
  const event = call.env.calendar.event(guarded.mailbox.id, call.params['eventId'] ?? '');
  if (!event) return notFound(call);
  const comment = object(call.req.body)['comment'];
  endEvent(call, event, guarded.mailbox, typeof comment === 'string' ? comment : null);
  return graphOk(call.env.answer, 202);
}

/** `DELETE /users/{id}/events/{eventId}` → 204; the attendees get a cancellation. */
export function deleteEvent(call: GraphCall): SimResponse {
  const guarded = calendarGuard(call, true);
  if ('response' in guarded) return guarded.response;
  const event = call.env.calendar.event(guarded.mailbox.id, call.params['eventId'] ?? '');
  if (!event) return notFound(call);
  endEvent(call, event, guarded.mailbox, null);
  return graphOk(call.env.answer, 204);
}
