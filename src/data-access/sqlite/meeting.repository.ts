import type Database from 'better-sqlite3';
import type { MeetingRecord, PendingMeeting, ScheduledMeeting } from '../../domain/meetings/meeting.record';
import { eventBody, type OutboundEvent } from '../../domain/events/event.record';
import type { SqliteOutboxRepository } from './webhook.repository';
import type { MeetingRepository } from '../../domain/meetings/meetings.port';
import { jsonFromText, meetingFromRow, type MeetingRow as Row } from '../rows';
import { wantingWebhooks } from '../webhook-rows';
import type { WriteBatcher } from './write-batcher';

type MeetingRow = Row<string>;

/**
 * The attendance look is kept only while a webhook wants the partner's attendance.ready: for
 * everyone else there is nothing to look for (and no Graph call, no write, to make).
 */
const ATTENDANCE_DUE_IF_WANTED = `CASE WHEN @attendanceDueAt IS NOT NULL AND EXISTS (
  SELECT 1 FROM webhooks w WHERE ${wantingWebhooks('@partnerId', "'attendance.ready'", 'NULL', 'sqlite')})
  THEN @attendanceDueAt END`;
const toRecord = (row: MeetingRow): MeetingRecord => meetingFromRow(row, jsonFromText);

function toParams(record: MeetingRecord) {
  return {
    partnerId: record.partnerId,
    appointmentId: record.appointmentId,
    status: record.status,
    requestHash: record.requestHash,
    externalId: record.externalId,
    organizerId: record.details?.organizer.id ?? null,
    graphMeetingId: record.details?.meetingId ?? null,
    data: record.details === null ? null : JSON.stringify(record.details),
    version: record.version,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    leaseOwner: record.lease?.owner ?? null,
    leaseExpiresAt: record.lease?.expiresAt ?? null,
    calendarSequence: record.calendarSequence,
    pendingChange: record.pendingChange === null ? null : JSON.stringify(record.pendingChange),
    attendanceDueAt: record.attendance?.dueAt ?? null,
    attendanceChecks: record.attendance?.checks ?? 0,
    attendanceForEnd: record.attendance?.forEnd ?? null,
  };
}

export class SqliteMeetingRepository implements MeetingRepository {
  private readonly getStmt;
  private readonly claimStmt;
  private readonly updateStmt;
  private readonly releaseStmt;
  private readonly attendanceDueStmt;

  /** Writes go through `writes`: several requests' writes share one commit (write-batcher.ts). */
  constructor(
    db: Database.Database,
    private readonly writes: WriteBatcher,
    private readonly outbox: SqliteOutboxRepository,
  ) {
    this.getStmt = db.prepare<[string, string], MeetingRow>(
      'SELECT * FROM meetings WHERE partner_id = ? AND appointment_id = ?',
    );
    this.claimStmt = db.prepare(`
      INSERT INTO meetings (partner_id, appointment_id, status, request_hash, external_id, organizer_id,
        graph_meeting_id, data, version, created_at, updated_at, lease_owner, lease_expires_at,
        calendar_sequence, pending_change, attendance_due_at, attendance_checks, attendance_for_end)
      VALUES (@partnerId, @appointmentId, @status, @requestHash, @externalId, @organizerId,
        @graphMeetingId, @data, @version, @createdAt, @updatedAt, @leaseOwner, @leaseExpiresAt,
        @calendarSequence, @pendingChange, @attendanceDueAt, @attendanceChecks, @attendanceForEnd)
      ON CONFLICT (partner_id, appointment_id) DO NOTHING`);
    this.updateStmt = db.prepare(`
      UPDATE meetings SET status = @status, request_hash = @requestHash, external_id = @externalId,
        organizer_id = @organizerId, graph_meeting_id = @graphMeetingId, data = @data, version = @version,
        updated_at = @updatedAt, lease_owner = @leaseOwner, lease_expires_at = @leaseExpiresAt,
        calendar_sequence = @calendarSequence, pending_change = @pendingChange,
        attendance_due_at = ${ATTENDANCE_DUE_IF_WANTED}, attendance_checks = @attendanceChecks,
        attendance_for_end = @attendanceForEnd
      WHERE partner_id = @partnerId AND appointment_id = @appointmentId AND version = @expectedVersion`);
    this.attendanceDueStmt = db.prepare<[string, number], MeetingRow>(`
      SELECT * FROM meetings WHERE attendance_due_at IS NOT NULL AND attendance_due_at <= ?
        AND status = 'scheduled' ORDER BY attendance_due_at LIMIT ?`);
    this.releaseStmt = db.prepare(
      "DELETE FROM meetings WHERE partner_id = ? AND appointment_id = ? AND version = ? AND status = 'pending'",
    );
  }

  async get(partnerId: string, appointmentId: string): Promise<MeetingRecord | null> {
    const row = this.getStmt.get(partnerId, appointmentId);
    return row ? toRecord(row) : null;
  }

  async claim(
    record: PendingMeeting,
  ): Promise<{ claimed: true } | { claimed: false; existing: MeetingRecord }> {
    const params = toParams(record);
    // In one transaction, so the record found on a conflict is the one that won.
    const existing = await this.writes.run(() =>
      this.claimStmt.run(params).changes > 0
        ? null
        : this.getStmt.get(record.partnerId, record.appointmentId)!,
    );
    return existing === null ? { claimed: true } : { claimed: false, existing: toRecord(existing) };
  }

  async update(record: MeetingRecord, expectedVersion: number, event?: OutboundEvent): Promise<boolean> {
    const params = { ...toParams(record), expectedVersion };
    const payload = event === undefined ? '' : eventBody(event);
    return this.writes.run(() => {
      if (this.updateStmt.run(params).changes === 0) return false;
      if (event !== undefined) this.outbox.recordNow(event, event.createdAt, payload);
      return true;
    });
  }

  async attendanceDue(now: string, limit: number): Promise<ScheduledMeeting[]> {
    return this.attendanceDueStmt.all(now, limit).map(toRecord) as ScheduledMeeting[];
  }

  async releaseClaim(partnerId: string, appointmentId: string, version: number): Promise<void> {
    await this.writes.run(() => this.releaseStmt.run(partnerId, appointmentId, version));
  }
}
