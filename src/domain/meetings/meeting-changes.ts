/**
 * Between Teams' meeting and the record: the details kept of a Teams meeting, and the options
 * Teams does not hold yet (so that a PATCH is sent only when there is something to change).
 */
import type { TeamsMeeting } from '../microsoft.port';
import type { MeetingOptions } from '../partners/partner.model';
import { toUtc, type AttendeeOutcome, type MeetingDetails, type Organizer } from './meeting.record';

export function detailsFrom(
  meeting: TeamsMeeting,
  organizer: Organizer,
  attendees: AttendeeOutcome[],
  options: MeetingOptions,
): MeetingDetails {
  return {
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
    JSON.stringify(before.attendees) !== JSON.stringify(after.attendees)
  );
}
