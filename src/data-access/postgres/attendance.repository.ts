import type { Queryable } from './measured-pool';
import type { AttendanceRepository } from '../../domain/meetings/meetings.port';
import type { StoredAttendanceReport } from '../../domain/meetings/attendance.record';
import { ATTENDANCE_COLUMNS, attendanceFromRow, attendanceParams, type AttendanceRow } from '../rows';

export class PostgresAttendanceRepository implements AttendanceRepository {
  constructor(private readonly pool: Queryable) {}

  async listByMeeting(
    partnerId: string,
    appointmentId: string,
    meetingId: string,
  ): Promise<StoredAttendanceReport[]> {
    const { rows } = await this.pool.query<AttendanceRow<string>>(
      `SELECT * FROM attendance_reports WHERE partner_id = $1 AND appointment_id = $2 AND meeting_id = $3
       ORDER BY meeting_start, report_id`,
      [partnerId, appointmentId, meetingId],
    );
    return rows.map((row) => attendanceFromRow(row, JSON.parse));
  }

  async insert(report: StoredAttendanceReport): Promise<void> {
    await this.pool.query(
      `INSERT INTO attendance_reports (${ATTENDANCE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (partner_id, appointment_id, report_id) DO NOTHING`,
      attendanceParams(report),
    );
  }
}
