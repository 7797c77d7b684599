/**
 * The calendar invite of an appointment's meeting (API: "Calendar invites"): an RFC 5545 calendar
 * with one VEVENT, made by ical-generator (it folds at 75 octets, ends lines in CRLF and escapes
 * text). Everything in it comes from the stored meeting, so every instance answers the same text
 * for the same record: DTSTAMP is the record's updatedAt, UID and SEQUENCE are the record's.
 */
import ical, {
  ICalAttendeeRole,
  ICalAttendeeStatus,
  ICalCalendarMethod,
  ICalEventBusyStatus,
  ICalEventStatus,
} from 'ical-generator';
import type { MeetingView } from '../domain/meetings/meeting.record';

export type InviteCopy = 'attendees' | 'organizer';

export interface CalendarInvite {
  method: 'REQUEST' | 'PUBLISH' | 'CANCEL';
  text: string;
}

const LOCATION = 'Microsoft Teams Meeting';

/**
 * The students' invite (`REQUEST`, one ATTENDEE with RSVP per matched student) or the adviser's
 * own copy (`PUBLISH`, no attendees: RFC 5546 has none in a published event); `CANCEL` once the
 * meeting is cancelled, with the same UID and a higher SEQUENCE.
 */
export function calendarInvite(meeting: MeetingView, copy: InviteCopy): CalendarInvite {
  const cancelled = meeting.status === 'cancelled';
  const method = cancelled ? 'CANCEL' : copy === 'organizer' ? 'PUBLISH' : 'REQUEST';
  const calendar = ical({
    prodId: { company: 'TARGETconnect', product: 'Teams meetings', language: 'EN' },
    method: ICalCalendarMethod[method],
  });
  const { organizer } = meeting;
  const event = calendar.createEvent({
    id: meeting.calendar.uid,
    sequence: meeting.calendar.sequence,
    stamp: new Date(meeting.updatedAt),
    start: new Date(meeting.startDateTime),
    end: new Date(meeting.endDateTime),
    summary: meeting.subject,
    location: LOCATION,
    // A cancellation carries no way in: the meeting is locked and deleted, the link is no use.
    url: cancelled ? null : meeting.joinWebUrl,
    description: descriptionOf(meeting),
    // The mailbox address: a calendar matches the organizer (and "you") by it, not by the UPN.
    organizer: {
      name: organizer.displayName ?? organizer.userPrincipalName,
      email: organizer.mail ?? organizer.userPrincipalName,
    },
    status: cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    busystatus: cancelled ? ICalEventBusyStatus.FREE : ICalEventBusyStatus.BUSY,
    x: cancelled ? [] : [['X-MICROSOFT-SKYPETEAMSMEETINGURL', meeting.joinWebUrl]],
  });
  if (copy === 'attendees') {
    for (const attendee of meeting.attendees) {
      if (!attendee.matched) continue;
      event.createAttendee({
        email: attendee.mail ?? attendee.userPrincipalName,
        role: ICalAttendeeRole.REQ,
        status: ICalAttendeeStatus.NEEDSACTION,
        rsvp: !cancelled,
      });
    }
  }
  // RFC 5545 3.1: every content line ends in CRLF, the last one too (ical-generator leaves it off).
  return { method, text: `${calendar.toString()}\r\n` };
}

/** What Outlook's own Teams invites say, in plain text: the link, the meeting ID, the passcode. */
function descriptionOf(meeting: MeetingView): string {
  if (meeting.status === 'cancelled') return 'This appointment has been cancelled.';
  const lines = ['Microsoft Teams meeting', `Join: ${meeting.joinWebUrl}`];
  if (meeting.joinMeetingId) lines.push(`Meeting ID: ${meeting.joinMeetingId}`);
  if (meeting.passcode) lines.push(`Passcode: ${meeting.passcode}`);
  return lines.join('\n');
}
