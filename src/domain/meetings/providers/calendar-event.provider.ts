/**
 * Calendar-backed meetings (`calendarEvent` mode): the appointment is an event in the adviser's
 * Outlook calendar with a Teams meeting, and Exchange sends the students' invitations, updates
 * and cancellations from the adviser's mailbox (API.md "Calendar-backed meetings").
 * - One event per appointment: the create carries a `transactionId` derived from the appointment
 *   (a repeated POST answers the event already made) and a stamp (the externalId) that finds the
 *   event again after a crash.
 * - The join link: Graph may fill it a moment after the create; the event is read again, backing
 *   off, within the request's budget.
 * - The Teams meeting behind the event is found by its join link; its options (lobby, presenters,
 *   chat: no event field has them) are set there, and the cancel's lock goes there too.
 * - Updates never carry the event's body (Graph may then give it a new link, or none).
 * - `sendInvitations: false` keeps the students off the event.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../../clock';
import { remainingBudgetMs } from '../../../request-scope';
import { AppError } from '../../errors';
import {
  MeetingGoneError,
  type MeetingWarning,
  type CalendarEvent,
  type CalendarEventPatch,
  type MeetingAttendeeInput,
  type MicrosoftGateway,
  type TeamsMeeting,
} from '../../microsoft.port';
import { TEAMS_MEETING_DEFAULTS, type PartnerRecord } from '../../partners/partner.record';
import type { MeetingProvider, MeetingRef } from '../meeting-provider.port';

/** What the students' cancellation says (Exchange adds it to the mail). */
export const CANCEL_COMMENT = 'This appointment has been cancelled.';

/** Waits between reads while Graph has not filled in the join link (or indexed its meeting). */
const LINK_WAITS_MS = [200, 400, 800, 1600, 3200];

/** A GUID-shaped `transactionId` of the appointment: the same on every instance and retry. */
export function transactionIdOf(externalId: string): string {
  const hex = createHash('sha256').update(`event\n${externalId}`, 'utf8').digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function addressOf(attendee: MeetingAttendeeInput): string {
  return attendee.mail ?? attendee.userPrincipalName;
}

export function calendarEventProvider(gateway: MicrosoftGateway, clock: Clock): MeetingProvider {
  /** The students Exchange invites: none when the partner keeps them off the event. */
  const invited = (partner: PartnerRecord, attendees: MeetingAttendeeInput[]) =>
    partner.sendInvitations ? attendees.map((a) => ({ address: addressOf(a), name: null })) : [];

  /** Waits before the next look while the budget allows; false when it does not. */
  const pause = async (round: number): Promise<boolean> => {
    const wait = LINK_WAITS_MS[round];
    if (wait === undefined || remainingBudgetMs() < wait + 1000) return false;
    await clock.sleep(wait);
    return true;
  };

  /** The event once Graph has given it its Teams link. */
  async function withLink(
    partner: PartnerRecord,
    organizerId: string,
    event: CalendarEvent,
  ): Promise<CalendarEvent & { joinUrl: string }> {
    let current = event;
    for (let round = 0; current.joinUrl === null; round += 1) {
      if (!(await pause(round))) {
        throw new AppError('GRAPH_UNAVAILABLE', {
          detail: `The adviser's event was made, but Microsoft Graph has not given it its Teams link yet; send the create again (it finds the same event).`,
          retryAfterSeconds: 5,
        });
      }
      current = (await gateway.getEvent(partner, organizerId, event.id)) ?? current;
    }
    return current as CalendarEvent & { joinUrl: string };
  }

  /**
   * The event's Teams meeting, found by its link (Graph's index can lag a few seconds); what
   * stopped it instead (the access policy missing, Graph not finding it in time) as a warning:
   * the event exists, and the students have their invitations, whatever this step does.
   */
  async function meetingOf(
    partner: PartnerRecord,
    organizerId: string,
    joinUrl: string,
  ): Promise<TeamsMeeting | MeetingWarning> {
    try {
      for (let round = 0; ; round += 1) {
        const meeting = await gateway.findMeetingByJoinUrl(partner, organizerId, joinUrl);
        if (meeting) return meeting;
        if (!(await pause(round))) {
          return {
            code: 'GRAPH_UNAVAILABLE',
            detail:
              "Microsoft Graph did not find the Teams meeting of the adviser's event in time, so its options are not set yet. The next change tries again.",
          };
        }
      }
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return {
        code: error.code,
        detail: `The event exists and the students are invited, but its Teams meeting could not be read, so its options are not set yet (${error.detail}) The next change tries again.`,
        ...(error.remediation ? { remediation: error.remediation } : {}),
      };
    }
  }

  /** What is known of the Teams meeting while it has not been found: the event's link, Teams' defaults. */
  function unknownMeeting(event: CalendarEvent, joinUrl: string, warning: MeetingWarning): TeamsMeeting {
    return {
      id: '',
      joinWebUrl: joinUrl,
      joinMeetingId: null,
      passcode: null,
      subject: event.subject,
      startDateTime: event.startDateTime,
      endDateTime: event.endDateTime,
      attendeeIds: [],
      options: TEAMS_MEETING_DEFAULTS,
      warnings: [warning],
    };
  }

  /** The Teams meeting of a ref: by its id, or (not found at the create) by the event's link. */
  async function teamsMeetingOf(
    partner: PartnerRecord,
    organizerId: string,
    ref: MeetingRef,
  ): Promise<TeamsMeeting | MeetingWarning | null> {
    if (ref.meetingId !== '') return gateway.getMeeting(partner, organizerId, ref.meetingId);
    return ref.joinWebUrl ? meetingOf(partner, organizerId, ref.joinWebUrl) : null;
  }

  /** What the use cases keep: the Teams meeting's ids and options, the event's time, subject and people. */
  function merged(
    event: CalendarEvent,
    meeting: TeamsMeeting,
    attendees: MeetingAttendeeInput[] | undefined,
  ): TeamsMeeting {
    const onEvent = new Set(event.attendees);
    return {
      ...meeting,
      joinWebUrl: event.joinUrl ?? meeting.joinWebUrl,
      subject: event.subject,
      startDateTime: event.startDateTime,
      endDateTime: event.endDateTime,
      // Who the event holds, as the object ids the use cases compare (by their addresses).
      attendeeIds: (attendees ?? []).filter((a) => onEvent.has(addressOf(a).toLowerCase())).map((a) => a.id),
      event: { id: event.id, iCalUId: event.iCalUId, attendees: event.attendees },
    };
  }

  const eventIdOf = (ref: MeetingRef): string => {
    if (ref.eventId === undefined) throw new MeetingGoneError();
    return ref.eventId;
  };

  return {
    async createOrGet(partner, organizerId, externalId, input, hints) {
      const existing = hints.mayExist
        ? (await gateway.findEvents(partner, organizerId, externalId))[0]
        : undefined;
      const made =
        existing ??
        (await gateway.createEvent(
          partner,
          organizerId,
          {
            subject: input.subject,
            startDateTime: input.startDateTime,
            endDateTime: input.endDateTime,
            attendees: invited(partner, input.attendees),
          },
          { transactionId: transactionIdOf(externalId), stamp: externalId },
        ));
      const event = await withLink(partner, organizerId, made);
      const found = await meetingOf(partner, organizerId, event.joinUrl);
      const meeting = 'id' in found ? found : unknownMeeting(event, event.joinUrl, found);
      const attendees = partner.sendInvitations ? input.attendees : [];
      const result = merged(event, meeting, attendees);
      // Kept off the event on purpose: nothing to reconcile about who is on it.
      if (!partner.sendInvitations) result.attendeeIds = input.attendees.map((a) => a.id);
      return { created: existing === undefined, meeting: result };
    },

    async get(partner, organizerId, ref) {
      const event = await gateway.getEvent(partner, organizerId, eventIdOf(ref));
      if (event === null) return null;
      const found = await teamsMeetingOf(partner, organizerId, ref);
      if (found === null) return null;
      const link = event.joinUrl ?? ref.joinWebUrl ?? '';
      const meeting = 'id' in found ? found : unknownMeeting(event, link, found);
      return { ...merged(event, meeting, undefined), attendeeIds: meeting.attendeeIds };
    },

    async update(partner, organizerId, ref, patch) {
      const eventId = eventIdOf(ref);
      const change: CalendarEventPatch = {
        ...(patch.subject === undefined ? {} : { subject: patch.subject }),
        ...(patch.startDateTime === undefined ? {} : { startDateTime: patch.startDateTime }),
        ...(patch.endDateTime === undefined ? {} : { endDateTime: patch.endDateTime }),
        ...(patch.attendees === undefined || !partner.sendInvitations
          ? {}
          : { attendees: invited(partner, patch.attendees) }),
      };
      if (Object.keys(change).length === 0 && ref.meetingId !== '') {
        // Options only (the lock before a cancel too): they live on the Teams meeting, no event field has them.
        const meeting = await gateway.updateMeeting(partner, organizerId, ref.meetingId, {
          options: patch.options ?? {},
        });
        return { ...meeting, event: { id: eventId, iCalUId: ref.iCalUId ?? '' } };
      }
      const event =
        Object.keys(change).length > 0
          ? await gateway.updateEvent(partner, organizerId, eventId, change)
          : await gateway.getEvent(partner, organizerId, eventId);
      if (event === null) throw new MeetingGoneError();
      // Options live on the Teams meeting only; one not found at the create is looked for again now.
      const found = await teamsMeetingOf(partner, organizerId, ref);
      if (found === null) throw new MeetingGoneError();
      const meeting = !('id' in found)
        ? unknownMeeting(event, event.joinUrl ?? ref.joinWebUrl ?? '', found)
        : patch.options === undefined
          ? found
          : await gateway.updateMeeting(partner, organizerId, found.id, { options: patch.options });
      const result = merged(event, meeting, patch.attendees);
      if (!partner.sendInvitations && patch.attendees) result.attendeeIds = patch.attendees.map((a) => a.id);
      return result;
    },

    async remove(partner, organizerId, ref) {
      const outcome = await gateway.cancelEvent(partner, organizerId, eventIdOf(ref), CANCEL_COMMENT);
      return outcome === 'cancelled' ? 'deleted' : 'gone';
    },
  };
}
