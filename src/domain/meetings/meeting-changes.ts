/**
 * Between Teams' meeting and the record: the details kept of a Teams meeting, and the options
 * Teams does not hold yet (so that a PATCH is sent only when there is something to change).
 */
import type { TeamsMeeting } from '../microsoft.port';
import type { MeetingRef } from './meeting-provider.port';
import type { MeetingOptions } from '../partners/partner.record';
import { toUtc, type AttendeeOutcome, type MeetingDetails, type Organizer } from './meeting.record';

export function detailsFrom(
  meeting: TeamsMeeting,
  organizer: Organizer,
  attendees: AttendeeOutcome[],
  options: MeetingOptions,
): MeetingDetails {
  return {
    ...(meeting.event ? { eventId: meeting.event.id, iCalUId: meeting.event.iCalUId } : {}),
    ...(meeting.warnings && meeting.warnings.length > 0 ? { warnings: meeting.warnings } : {}),
    meetingId: meeting.id,
    joinWebUrl: meeting.joinWebUrl,
    joinMeetingId: meeting.joinMeetingId,
    passcode: meeting.passcode,
    subject: meeting.subject,
    startDateTime: toUtc(meeting.startDateTime),
    endDateTime: toUtc(meeting.endDateTime),
    organizer,
    attendees,
    options,
  };
}

/** Which meeting a provider works on: the Teams meeting, and in calendar mode its event. */
export function refOf(
  details: Pick<MeetingDetails, 'meetingId' | 'eventId' | 'iCalUId' | 'joinWebUrl'>,
): MeetingRef {
  return {
    meetingId: details.meetingId,
    ...(details.eventId
      ? { eventId: details.eventId, iCalUId: details.iCalUId, joinWebUrl: details.joinWebUrl }
      : {}),
  };
}

/** The same, for a meeting as a provider answered it. */
export function refOfMeeting(meeting: TeamsMeeting): MeetingRef {
  return {
    meetingId: meeting.id,
    ...(meeting.event
      ? { eventId: meeting.event.id, iCalUId: meeting.event.iCalUId, joinWebUrl: meeting.joinWebUrl }
      : {}),
  };
}

/** The wanted options that Teams does not already hold. */
export function optionDifferences(current: Required<MeetingOptions>, wanted: MeetingOptions): MeetingOptions {
  const changes: MeetingOptions = {};
  for (const key of Object.keys(wanted) as Array<keyof MeetingOptions>) {
    if (wanted[key] !== undefined && wanted[key] !== current[key]) {
      (changes as Record<string, unknown>)[key] = wanted[key];
    }
  }
  return changes;
}

/** Whether a change is one that calendar invites carry (time, subject, attendees): SEQUENCE goes up. */
export function changesInvite(before: MeetingDetails, after: MeetingDetails): boolean {
  return (
    before.subject !== after.subject ||
    before.startDateTime !== after.startDateTime ||
    before.endDateTime !== after.endDateTime ||
    whoIsInvited(before.attendees) !== whoIsInvited(after.attendees)
  );
}

/** The attendees as an invite names them: who, not what else is kept of them (a record's age). */
function whoIsInvited(attendees: MeetingDetails['attendees']): string {
  return JSON.stringify(attendees.map((a) => (a.matched ? a.id : [a.reason, a.value])));
}
