/**
 * What the meetings capability needs from storage: the appointments' meeting records and the
 * attendance reports read for them. Every method is async (SQLite and PostgreSQL alike).
 */
import type { StoredAttendanceReport } from './attendance.record';
import type { OutboundEvent } from '../events/event.record';
import type { MeetingRecord, PendingMeeting, ScheduledMeeting } from './meeting.record';

export interface MeetingRepository {
  get(partnerId: string, appointmentId: string): Promise<MeetingRecord | null>;
  /**
   * Inserts a `pending` record unless one exists for that partner and appointment (a database
   * constraint, so it holds across instances). Returns the existing record when there is one.
   */
  claim(record: PendingMeeting): Promise<{ claimed: true } | { claimed: false; existing: MeetingRecord }>;
  /**
   * Writes `record` if the stored version is still `expectedVersion`; false when someone else won.
   * With `event`, the event is recorded in the same transaction (the outbox): both or neither.
   * The record's attendance look (`attendance.dueAt`) is kept only while an enabled webhook wants
   * the partner's `attendance.ready` (else it is stored as null: nothing to look for).
   */
  update(record: MeetingRecord, expectedVersion: number, event?: OutboundEvent): Promise<boolean>;
  /** Scheduled meetings whose attendance look is due at `now`, the longest due first. */
  attendanceDue(now: string, limit: number): Promise<ScheduledMeeting[]>;
  /** Removes a `pending` claim whose creation failed, so that a corrected request may try again. */
  releaseClaim(partnerId: string, appointmentId: string, version: number): Promise<void>;
}
export interface AttendanceRepository {
  /** The reports kept for this appointment's meeting, oldest session first. */
  listByMeeting(
    partnerId: string,
    appointmentId: string,
    meetingId: string,
  ): Promise<StoredAttendanceReport[]>;
  /** Keeps a report unless it is kept already (two readers at once store it once). */
  insert(report: StoredAttendanceReport): Promise<void>;
}
