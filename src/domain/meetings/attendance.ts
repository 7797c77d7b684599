/**
 * Attendance (API: "Attendance"): who joined an appointment's meeting and for how long, from
 * Teams' attendance reports, one per session. A finished session's report does not change, so
 * each is read from Graph once and kept in the store (it survives a restart and serves every
 * instance): a read asks Graph for the list of sessions, then only for the records of sessions
 * not seen before. A cancelled meeting is answered from what was kept (Teams deleted it).
 */
import type { AttendanceRecord, MicrosoftGateway } from '../microsoft.port';
import type { PartnerRecord } from '../partners/partner.record';
import type { AttendanceRepository, MeetingRepository } from './meetings.port';
import type { StoredAttendanceReport } from './attendance.record';
import type { AttendeeOutcome } from './meeting.record';
import { requireMeeting } from './meeting-lookup';
import { systemClock, type Clock } from '../../clock';

export type AttendanceState = 'not_started' | 'no_report_yet' | 'available';

interface Presence {
  attended: boolean;
  totalAttendanceInSeconds: number;
  firstJoinDateTime?: string;
  lastLeaveDateTime?: string;
}

export type AttendeeAttendance = (
  { matched: true; id: string; userPrincipalName: string } | { matched: false; value: string | null }
) &
  Presence;

export interface AttendanceView {
  appointmentId: string;
  state: AttendanceState;
  organizerAttended: boolean;
  attendees: AttendeeAttendance[];
  sessions: Array<{ meetingStartDateTime: string; meetingEndDateTime: string; participantCount: number }>;
}

export class AttendanceService {
  constructor(
    private readonly meetings: MeetingRepository,
    private readonly reports: AttendanceRepository,
    private readonly gateway: MicrosoftGateway,
    private readonly clock: Clock = systemClock,
    /** Told the outcome of every read (metrics). */
    private readonly counted: (outcome: AttendanceState | 'error') => void = () => undefined,
  ) {}

  async get(partner: PartnerRecord, appointmentId: string): Promise<AttendanceView> {
    try {
      const view = await this.read(partner, appointmentId);
      this.counted(view.state);
      return view;
    } catch (error) {
      this.counted('error');
      throw error;
    }
  }

  private async read(partner: PartnerRecord, appointmentId: string): Promise<AttendanceView> {
    const record = await requireMeeting(this.meetings, partner.id, appointmentId);
    const { details } = record;
    if (this.clock.now() < Date.parse(details.startDateTime)) {
      return summarize(appointmentId, 'not_started', details.organizer.id, details.attendees, []);
    }
    const kept = await this.reports.listByMeeting(partner.id, appointmentId, details.meetingId);
    if (record.status === 'scheduled') {
      const seen = new Set(kept.map((r) => r.reportId));
      const listed = await this.gateway.attendanceReports(partner, details.organizer.id, details.meetingId);
      for (const session of listed.filter((r) => !seen.has(r.id))) {
        const records = await this.gateway.attendanceRecords(
          partner,
          details.organizer.id,
          details.meetingId,
          session.id,
        );
        const report: StoredAttendanceReport = {
          partnerId: partner.id,
          appointmentId,
          meetingId: details.meetingId,
          reportId: session.id,
          meetingStartDateTime: session.meetingStartDateTime,
          meetingEndDateTime: session.meetingEndDateTime,
          totalParticipantCount: session.totalParticipantCount,
          records,
        };
        await this.reports.insert(report);
        kept.push(report);
      }
    }
    kept.sort((a, b) => a.meetingStartDateTime.localeCompare(b.meetingStartDateTime));
    return summarize(
      appointmentId,
      kept.length === 0 ? 'no_report_yet' : 'available',
      details.organizer.id,
      details.attendees,
      kept,
    );
  }
}

function summarize(
  appointmentId: string,
  state: AttendanceState,
  organizerId: string,
  attendees: AttendeeOutcome[],
  reports: StoredAttendanceReport[],
): AttendanceView {
  const records = reports.flatMap((r) => r.records);
  const lower = (v: string | null | undefined) => (v ?? '').toLowerCase();
  const presenceOf = (mine: AttendanceRecord[]): Presence => {
    const intervals = mine.flatMap((r) => r.intervals);
    const total = mine.reduce((sum, r) => sum + r.totalAttendanceInSeconds, 0);
    const joins = intervals
      .map((i) => i.joinDateTime)
      .filter(Boolean)
      .sort();
    const leaves = intervals
      .map((i) => i.leaveDateTime)
      .filter(Boolean)
      .sort();
    return {
      attended: total > 0 || intervals.length > 0,
      totalAttendanceInSeconds: total,
      ...(joins[0] ? { firstJoinDateTime: joins[0] } : {}),
      ...(leaves.length ? { lastLeaveDateTime: leaves[leaves.length - 1]! } : {}),
    };
  };
  return {
    appointmentId,
    state,
    organizerAttended: records.some((r) => r.objectId === organizerId),
    attendees: attendees.map((a): AttendeeAttendance => {
      if (a.matched) {
        // By object id; by email only for a record without one (a guest seen by address).
        const mine = records.filter(
          (r) =>
            r.objectId === a.id || (r.objectId === null && lower(r.email) === lower(a.userPrincipalName)),
        );
        return { matched: true, id: a.id, userPrincipalName: a.userPrincipalName, ...presenceOf(mine) };
      }
      const mine =
        a.value === null ? [] : records.filter((r) => r.email !== null && lower(r.email) === lower(a.value));
      return { matched: false, value: a.value, ...presenceOf(mine) };
    }),
    sessions: reports.map((r) => ({
      meetingStartDateTime: r.meetingStartDateTime,
      meetingEndDateTime: r.meetingEndDateTime,
      participantCount: r.totalParticipantCount,
    })),
  };
}
