/**
 * What the service keeps of an appointment's meeting: a record that is pending while its create
 * runs, then scheduled, then cancelled. Once Teams has the meeting the record holds its details,
 * so the type says when they are there.
 */
import { createHash } from 'node:crypto';
import type { MeetingOptions } from '../partners/partner.record';
import type { MeetingWarning } from '../microsoft.port';

export type AttendeeOutcome =
  /** `mail`: the mailbox address (it can differ from the UPN); null without a mailbox, absent in records kept before it was. */
  | { matched: true; id: string; userPrincipalName: string; mail?: string | null }
  | { matched: false; reason: 'not_found' | 'ambiguous' | 'missing_field'; value: string | null };

export interface Organizer {
  id: string;
  userPrincipalName: string;
  displayName: string | null;
  /** The adviser's mailbox address (it can differ from the UPN); null without one, absent in older records. */
  mail?: string | null;
}

/** What is kept of a meeting once Teams has it. */
export interface MeetingDetails {
  /** Calendar mode: the adviser's Outlook event (absent for a standalone meeting). */
  eventId?: string;
  /** Calendar mode: the event's UID, which every calendar (and meeting.ics) uses. */
  iCalUId?: string;
  meetingId: string;
  joinWebUrl: string;
  joinMeetingId: string | null;
  passcode: string | null;
  subject: string;
  startDateTime: string;
  endDateTime: string;
  organizer: Organizer;
  attendees: AttendeeOutcome[];
  options: MeetingOptions;
  /**
   * Calendar mode: steps not done after the event existed (its Teams meeting not found yet, its
   * options not applied), answered as `warnings` and tried again on the next change.
   */
  warnings?: MeetingWarning[];
  /** The options still to apply (with `warnings`): the next change applies them. */
  wantedOptions?: MeetingOptions;
}

/** The request working on a record, and until when; only after that may another take it over. */
export interface Lease {
  owner: string;
  expiresAt: string;
}

/**
 * A change asked of Teams whose outcome is not known yet: what the record becomes if it took
 * effect (unsettled-changes.ts). Written with the lease, cleared with the result.
 */
export type PendingChange = { kind: 'update'; details: MeetingDetails } | { kind: 'cancel' };

interface RecordFields {
  partnerId: string;
  appointmentId: string;
  /** Hash of the create request's details: the same again is a replay, other details a conflict. */
  requestHash: string;
  externalId: string;
  /** Optimistic concurrency: bumped by every update. */
  version: number;
  createdAt: string;
  updatedAt: string;
  lease: Lease | null;
  /**
   * The calendar invite's SEQUENCE: 0 when made, one higher after each change of time, subject or
   * attendees, after a new meeting replaced one Teams lost, and after the cancel.
   */
  calendarSequence: number;
  /** Set while a change or cancel is sent to Teams; left set when its outcome was lost. */
  pendingChange: PendingChange | null;
  /** When the worker looks for the attendance report next (absent: never scheduled). */
  attendance?: AttendanceSchedule;
}

/**
 * The looks for a meeting's attendance report (ATTENDANCE_CHECK_DELAYS after its end): `forEnd`
 * is the end they were planned from (a reschedule plans them again), `dueAt` null when done.
 */
export interface AttendanceSchedule {
  dueAt: string | null;
  checks: number;
  forEnd: string | null;
}

/** Claimed by a create that has not finished (or that died). */
export interface PendingMeeting extends RecordFields {
  status: 'pending';
  details: null;
}

export interface ScheduledMeeting extends RecordFields {
  status: 'scheduled';
  details: MeetingDetails;
}

/** Removed from Teams; kept so that a repeated cancel, a GET or a replay answer the truth. */
export interface CancelledMeeting extends RecordFields {
  status: 'cancelled';
  details: MeetingDetails;
}

/** Teams no longer has the meeting (deleted there, not here): a create may make a new one. */
export interface GoneMeeting extends RecordFields {
  status: 'gone';
  details: MeetingDetails;
}

export type MeetingRecord = PendingMeeting | ScheduledMeeting | CancelledMeeting | GoneMeeting;
export type MeetingStatus = MeetingRecord['status'];
/** A record whose meeting Teams has (or had). */
export type SettledMeeting = ScheduledMeeting | CancelledMeeting;

/** The meeting as the API answers it: what is kept of it, and the record's own fields. */
export type MeetingView = MeetingDetails & {
  appointmentId: string;
  /** Where the meeting lives: a standalone Teams meeting, or an event in the adviser's calendar. */
  mode: 'onlineMeeting' | 'calendarEvent';
  status: 'scheduled' | 'cancelled';
  /** The calendar event: a new invite is due whenever `sequence` went up. */
  calendar: { uid: string; sequence: number };
  createdAt: string;
  updatedAt: string;
};

/**
 * The calendar UID of an appointment: the same for every change of it, on every instance, and
 * for the meeting that replaces one Teams lost (RFC 5545 3.8.4.7: unique, with a domain).
 */
export function calendarUidOf(partnerId: string, appointmentId: string, domain: string): string {
  const digest = createHash('sha256').update(`${partnerId}\n${appointmentId}`, 'utf8').digest('hex');
  return `tm1-${digest.slice(0, 40)}@${domain}`;
}

export function toView(record: SettledMeeting, calendarDomain: string): MeetingView {
  const d = record.details;
  return {
    appointmentId: record.appointmentId,
    mode: d.eventId === undefined ? 'onlineMeeting' : 'calendarEvent',
    ...(d.eventId === undefined ? {} : { eventId: d.eventId, iCalUId: d.iCalUId }),
    meetingId: d.meetingId,
    joinWebUrl: d.joinWebUrl,
    joinMeetingId: d.joinMeetingId,
    passcode: d.passcode,
    subject: d.subject,
    startDateTime: d.startDateTime,
    endDateTime: d.endDateTime,
    status: record.status,
    organizer: d.organizer,
    attendees: d.attendees,
    options: d.options,
    ...(d.warnings && d.warnings.length > 0 ? { warnings: d.warnings } : {}),
    calendar: {
      // Calendar mode: the event's own UID, so that a calendar that gets both keeps one entry.
      uid: d.iCalUId ?? calendarUidOf(record.partnerId, record.appointmentId, calendarDomain),
      sequence: record.calendarSequence,
    },
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/** The UTC form the service answers with: `2026-05-01T09:00:00Z`. */
export function toUtc(value: string): string {
  return new Date(value).toISOString().replace('.000Z', 'Z');
}

/** Graph's externalId for an appointment: stable, opaque, and the same on every instance. */
export function externalIdOf(partnerId: string, appointmentId: string): string {
  return `tm1-${createHash('sha256').update(`${partnerId}\n${appointmentId}`, 'utf8').digest('base64url')}`;
}

/** The externalId of the appointment's next meeting once Teams lost the last one: `<base>.2`, `.3`… */
export function nextExternalId(previous: string): string {
  const match = /^(.*)\.(\d+)$/.exec(previous);
  return match ? `${match[1]}.${Number(match[2]) + 1}` : `${previous}.2`;
}
