import type Database from 'better-sqlite3';
import type { AttendanceRepository } from '../../domain/meetings/meetings.port';
import type { StoredAttendanceReport } from '../../domain/meetings/attendance.record';
import { ATTENDANCE_COLUMNS, attendanceFromRow, attendanceParams, type AttendanceRow } from '../rows';

export class SqliteAttendanceRepository implements AttendanceRepository {
  private readonly listStmt;
  private readonly insertStmt;

  constructor(db: Database.Database) {
    this.listStmt = db.prepare<[string, string, string], AttendanceRow<string>>(
      `SELECT * FROM attendance_reports WHERE partner_id = ? AND appointment_id = ? AND meeting_id = ?
       ORDER BY meeting_start, report_id`,
    );
    this.insertStmt = db.prepare(`INSERT INTO attendance_reports (${ATTENDANCE_COLUMNS})
      VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (partner_id, appointment_id, report_id) DO NOTHING`);
  }

  async listByMeeting(
    partnerId: string,
    appointmentId: string,
    meetingId: string,
  ): Promise<StoredAttendanceReport[]> {
    return this.listStmt
      .all(partnerId, appointmentId, meetingId)
      .map((row) => attendanceFromRow(row, JSON.parse));
  }

  async insert(report: StoredAttendanceReport): Promise<void> {
    this.insertStmt.run(...attendanceParams(report));
  }
}
