import type { AttendanceRecord } from '../microsoft.port';

/** A session's attendance report as read once from Graph: a finished session's report does not change. */
export interface StoredAttendanceReport {
  partnerId: string;
  appointmentId: string;
  meetingId: string;
  reportId: string;
  meetingStartDateTime: string;
  meetingEndDateTime: string;
  totalParticipantCount: number;
  records: AttendanceRecord[];
}
