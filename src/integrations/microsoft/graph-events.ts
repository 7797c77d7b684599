/**
 * Graph's calendar events of an adviser (Calendars.ReadWrite, which Exchange RBAC for
 * Applications scopes to the advisers' mailboxes): create with a `transactionId` and a stamp,
 * find by the stamp, read, update (never the body), cancel with a comment. Outlook takes 4
 * requests at once per app and mailbox: this instance sends at most `perMailbox` at once to one
 * mailbox, and a 429 is waited out like any (graph-client.ts, Retry-After).
 */
import { AppError } from '../../domain/errors';
import {
  MeetingGoneError,
  type CalendarEvent,
  type CalendarEventInput,
  type CalendarEventPatch,
} from '../../domain/microsoft.port';
import type { PartnerRecord } from '../../domain/partners/partner.record';
import { calendarAccessRemediation } from '../../domain/setup/setup-guide';
import type { GraphClient, GraphRequest, GraphResponse } from './graph-client';
import { readGraphError } from './graph-errors';
import { encodeSegment } from './graph-paths';
import { isJsonObject, objectOr } from './json';
import { odataString } from './odata';

/** The single-value extended property that stamps an event as an appointment's (a GUID of ours). */
export const STAMP_PROPERTY = 'String {6f3c1f0e-8d2a-4b5e-9c7f-1a2b3c4d5e6f} Name teamsMeetingsAppointment';
/** Times in UTC both ways. */
const HEADERS = { prefer: 'outlook.timezone="UTC"' };

function eventsPath(organizerId: string): string {
  return `/users/${encodeSegment(organizerId)}/events`;
}

const outlookTime = (iso: string) => ({ dateTime: iso.replace(/\.\d+Z$|Z$/, ''), timeZone: 'UTC' });

function utcOf(value: unknown): string | undefined {
  const v = objectOr(value);
  const dateTime = v['dateTime'];
  if (typeof dateTime !== 'string' || (v['timeZone'] !== 'UTC' && v['timeZone'] !== undefined))
    return undefined;
  const ms = Date.parse(/[zZ]$/.test(dateTime) ? dateTime : `${dateTime}Z`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** The fields the service keeps of an event; undefined when Graph's answer lacks them. */
export function toCalendarEvent(raw: unknown): CalendarEvent | undefined {
  if (!isJsonObject(raw)) return undefined;
  const { id, iCalUId, subject } = raw;
  const startDateTime = utcOf(raw['start']);
  const endDateTime = utcOf(raw['end']);
  if (typeof id !== 'string' || id === '' || typeof iCalUId !== 'string' || !startDateTime || !endDateTime) {
    return undefined;
  }
  const joinUrl = objectOr(raw['onlineMeeting'])['joinUrl'];
  const attendees = Array.isArray(raw['attendees']) ? raw['attendees'] : [];
  return {
    id,
    iCalUId,
    joinUrl: typeof joinUrl === 'string' && joinUrl !== '' ? joinUrl : null,
    subject: typeof subject === 'string' ? subject : '',
    startDateTime,
    endDateTime,
    attendees: attendees.flatMap((a) => {
      const address = objectOr(objectOr(a)['emailAddress'])['address'];
      return typeof address === 'string' ? [address.toLowerCase()] : [];
    }),
  };
}

function patchBody(patch: CalendarEventPatch): Record<string, unknown> {
  return {
    ...(patch.subject === undefined ? {} : { subject: patch.subject }),
    ...(patch.startDateTime === undefined ? {} : { start: outlookTime(patch.startDateTime) }),
    ...(patch.endDateTime === undefined ? {} : { end: outlookTime(patch.endDateTime) }),
    ...(patch.attendees === undefined
      ? {}
      : {
          attendees: patch.attendees.map((a) => ({
            emailAddress: { address: a.address, ...(a.name ? { name: a.name } : {}) },
            type: 'required',
          })),
        }),
  };
}

/** At most `limit` calls at once per key; the rest wait their turn, first come first served. */
class KeyedGate {
  private readonly running = new Map<string, { count: number; waiting: Array<() => void> }>();

  constructor(private readonly limit: number) {}

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    let slot = this.running.get(key);
    if (!slot) {
      slot = { count: 0, waiting: [] };
      this.running.set(key, slot);
    }
    if (slot.count >= this.limit) await new Promise<void>((resolve) => slot!.waiting.push(resolve));
    else slot.count += 1;
    try {
      return await work();
    } finally {
      const next = slot.waiting.shift();
      if (next) next();
      else if ((slot.count -= 1) === 0) this.running.delete(key);
    }
  }
}

export class GraphEvents {
  private readonly gate: KeyedGate;

  constructor(
    private readonly graph: GraphClient,
    perMailbox = 4,
  ) {
    this.gate = new KeyedGate(perMailbox);
  }

  async create(
    partner: PartnerRecord,
    organizerId: string,
    input: CalendarEventInput,
    keys: { transactionId: string; stamp: string },
  ): Promise<CalendarEvent> {
    const operation = 'events.create';
    const response = await this.send(partner, organizerId, {
      operation,
      method: 'POST',
      path: eventsPath(organizerId),
      body: {
        ...patchBody(input),
        isOnlineMeeting: true,
        onlineMeetingProvider: 'teamsForBusiness',
        allowNewTimeProposals: false,
        responseRequested: true,
        transactionId: keys.transactionId,
        singleValueExtendedProperties: [{ id: STAMP_PROPERTY, value: keys.stamp }],
      },
      // The transactionId makes a repeat answer the event already made: safe to send again.
      retry: 'safe',
    });
    if (response.status === 201 || response.status === 200) return this.eventOf(operation, response);
    throw this.failure(partner, organizerId, operation, response);
  }

  async find(partner: PartnerRecord, organizerId: string, stamp: string): Promise<CalendarEvent[]> {
    const operation = 'events.list';
    const response = await this.send(partner, organizerId, {
      operation,
      method: 'GET',
      path: eventsPath(organizerId),
      query: {
        $filter: `singleValueExtendedProperties/Any(ep: ep/id eq ${odataString(STAMP_PROPERTY)} and ep/value eq ${odataString(stamp)})`,
      },
      retry: 'safe',
    });
    if (response.status !== 200) throw this.failure(partner, organizerId, operation, response);
    const value = objectOr(response.data)['value'];
    if (!Array.isArray(value)) throw this.graph.unexpected({ operation }, response, 'no event list');
    return value.map((item) => {
      const event = toCalendarEvent(item);
      if (!event) throw this.graph.unexpected({ operation }, response, 'an unreadable event');
      return event;
    });
  }

  /** One read of the calendar (an event id at most): whether Exchange lets the app use it. */
  async probe(partner: PartnerRecord, organizerId: string): Promise<void> {
    const operation = 'events.list';
    const response = await this.send(partner, organizerId, {
      operation,
      method: 'GET',
      path: eventsPath(organizerId),
      query: { $top: '1', $select: 'id' },
      retry: 'safe',
    });
    if (response.status !== 200) throw this.failure(partner, organizerId, operation, response);
  }

  async get(partner: PartnerRecord, organizerId: string, eventId: string): Promise<CalendarEvent | null> {
    const operation = 'events.get';
    const response = await this.send(partner, organizerId, {
      operation,
      method: 'GET',
      path: `${eventsPath(organizerId)}/${encodeSegment(eventId)}`,
      retry: 'safe',
    });
    if (response.status === 404 && isItemNotFound(response.data)) return null;
    if (response.status !== 200) throw this.failure(partner, organizerId, operation, response);
    const event = this.eventOf(operation, response);
    return event;
  }

  async update(
    partner: PartnerRecord,
    organizerId: string,
    eventId: string,
    patch: CalendarEventPatch,
  ): Promise<CalendarEvent> {
    const operation = 'events.update';
    const response = await this.send(partner, organizerId, {
      operation,
      method: 'PATCH',
      path: `${eventsPath(organizerId)}/${encodeSegment(eventId)}`,
      body: patchBody(patch),
      // Full values only: sending it twice changes nothing more (Exchange mails an update once more at worst).
      retry: 'safe',
    });
    if (response.status === 200) return this.eventOf(operation, response);
    if (response.status === 404 && isItemNotFound(response.data)) throw new MeetingGoneError();
    throw this.failure(partner, organizerId, operation, response);
  }

  async cancel(
    partner: PartnerRecord,
    organizerId: string,
    eventId: string,
    comment: string,
  ): Promise<'cancelled' | 'gone'> {
    const operation = 'events.cancel';
    const response = await this.send(partner, organizerId, {
      operation,
      method: 'POST',
      path: `${eventsPath(organizerId)}/${encodeSegment(eventId)}/cancel`,
      body: { comment },
      // A repeat finds the event gone: answered 'gone', nothing sent twice.
      retry: 'safe',
    });
    if (response.status === 202 || response.status === 200 || response.status === 204) return 'cancelled';
    if (response.status === 404 && isItemNotFound(response.data)) return 'gone';
    throw this.failure(partner, organizerId, operation, response);
  }

  /** One call to a mailbox, in its turn among this instance's calls to the same mailbox. */
  private send(
    partner: PartnerRecord,
    organizerId: string,
    request: Omit<GraphRequest, 'partner' | 'organizerId' | 'headers'>,
  ): Promise<GraphResponse> {
    return this.gate.run(`${partner.tenantId}|${organizerId.toLowerCase()}`, () =>
      this.graph.request({ ...request, partner, organizerId, headers: HEADERS }),
    );
  }

  private eventOf(operation: string, response: GraphResponse): CalendarEvent {
    const event = toCalendarEvent(response.data);
    if (!event) throw this.graph.unexpected({ operation }, response, 'no readable event');
    return event;
  }

  /** Exchange's refusals in the setup guide's terms; anything else as for every Graph call. */
  private failure(
    partner: PartnerRecord,
    organizerId: string,
    operation: string,
    response: GraphResponse,
  ): AppError {
    const { code } = readGraphError(response.data, response.headers);
    if (response.status === 403 && code === 'ErrorAccessDenied') {
      return new AppError('CALENDAR_ACCESS_DENIED', {
        detail: `Exchange Online refused application ${partner.applicationId} the calendar of adviser ${organizerId} (${operation}: 403 ErrorAccessDenied): the mailbox is outside the application's RBAC for Applications scope.`,
        remediation: calendarAccessRemediation(partner.applicationId, organizerId),
      });
    }
    if (response.status === 404 && code === 'MailboxNotEnabledForRESTAPI') {
      return new AppError('OPERATOR_MAILBOX_UNAVAILABLE', {
        detail: `Adviser ${organizerId} has no Exchange Online mailbox (unlicensed, or hosted on-premises): a calendar-backed meeting needs one.`,
        remediation:
          "Give the adviser an Exchange Online licence (Microsoft 365 admin center > Users), or use meetingMode 'onlineMeeting' for this partner: a standalone Teams meeting needs no mailbox.",
      });
    }
    return this.graph.fail({ partner, operation, organizerId }, response);
  }
}

function isItemNotFound(body: unknown): boolean {
  return readGraphError(body).code === 'ErrorItemNotFound';
}
