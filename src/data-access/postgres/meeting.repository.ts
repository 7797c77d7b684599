import type { Queryable } from './measured-pool';
import type { MeetingRecord, PendingMeeting, ScheduledMeeting } from '../../domain/meetings/meeting.record';
import type { OutboundEvent } from '../../domain/events/event.record';
import { eventParams, recordEventCtes } from './webhook.repository';
import type { MeetingRepository } from '../../domain/meetings/meetings.port';
import { jsonAsParsed, meetingFromRow, type MeetingRow as Row } from '../rows';
import { wantingWebhooks } from '../webhook-rows';

/** A JSON column: pg has parsed it already. */
type MeetingRow = Row<unknown>;
const toRecord = (row: MeetingRow): MeetingRecord => meetingFromRow(row, jsonAsParsed);

/** $1…$18 in the column order of CLAIM. */
function toParams(record: MeetingRecord): unknown[] {
  return [
    record.partnerId,
    record.appointmentId,
    record.status,
    record.requestHash,
    record.externalId,
    record.details?.organizer.id ?? null,
    record.details?.meetingId ?? null,
    record.details === null ? null : JSON.stringify(record.details),
    record.version,
    record.createdAt,
    record.updatedAt,
    record.lease?.owner ?? null,
    record.lease?.expiresAt ?? null,
    record.calendarSequence,
    record.pendingChange === null ? null : JSON.stringify(record.pendingChange),
    record.attendance?.dueAt ?? null,
    record.attendance?.checks ?? 0,
    record.attendance?.forEnd ?? null,
  ];
}

const GET = 'SELECT * FROM meetings WHERE partner_id = $1 AND appointment_id = $2';

// A concurrent INSERT of the same key waits for the other transaction, then does nothing: the
// primary key decides who claimed, across instances.
const CLAIM = `
  INSERT INTO meetings (partner_id, appointment_id, status, request_hash, external_id, organizer_id,
    graph_meeting_id, data, version, created_at, updated_at, lease_owner, lease_expires_at,
    calendar_sequence, pending_change, attendance_due_at, attendance_checks, attendance_for_end)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8::json, $9, $10, $11, $12, $13, $14, $15::json, $16, $17, $18)
  ON CONFLICT (partner_id, appointment_id) DO NOTHING
  RETURNING version`;

// The attendance look is kept only while a webhook wants the partner's attendance.ready.
const UPDATE_SET = `
  UPDATE meetings SET status = $3, request_hash = $4, organizer_id = $5, graph_meeting_id = $6,
    data = $7::json, version = $8, updated_at = $9, external_id = $11, lease_owner = $12,
    lease_expires_at = $13, calendar_sequence = $14, pending_change = $15::json,
    attendance_due_at = CASE WHEN $16::text IS NOT NULL AND EXISTS (
      SELECT 1 FROM webhooks w WHERE ${wantingWebhooks('$1', "'attendance.ready'", 'NULL::text', 'postgres')})
      THEN $16::text END,
    attendance_checks = $17, attendance_for_end = $18
  WHERE partner_id = $1 AND appointment_id = $2 AND version = $10`;

const UPDATE = UPDATE_SET;

// The change and the event it reports in one statement (one round trip, one transaction): the
// event and its deliveries are written only when the update was.
const UPDATE_WITH_EVENT = `
  WITH u AS (${UPDATE_SET} RETURNING 1),
  ${recordEventCtes(19, 'EXISTS (SELECT 1 FROM u)')}
  SELECT count(*)::int AS updated FROM u`;

const ATTENDANCE_DUE = `
  SELECT * FROM meetings WHERE attendance_due_at IS NOT NULL AND attendance_due_at <= $1
    AND status = 'scheduled' ORDER BY attendance_due_at LIMIT $2`;

const RELEASE = `
  DELETE FROM meetings WHERE partner_id = $1 AND appointment_id = $2 AND version = $3 AND status = 'pending'`;

/** A claim that keeps finding a row that then vanishes is a bug or a storm; stop rather than spin. */
const MAX_CLAIM_ATTEMPTS = 5;

export class PostgresMeetingRepository implements MeetingRepository {
  constructor(private readonly pool: Queryable) {}

  async get(partnerId: string, appointmentId: string): Promise<MeetingRecord | null> {
    const { rows } = await this.pool.query<MeetingRow>(GET, [partnerId, appointmentId]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async claim(
    record: PendingMeeting,
  ): Promise<{ claimed: true } | { claimed: false; existing: MeetingRecord }> {
    for (let attempt = 1; attempt <= MAX_CLAIM_ATTEMPTS; attempt++) {
      const inserted = await this.pool.query(CLAIM, toParams(record));
      if ((inserted.rowCount ?? 0) > 0) return { claimed: true };
      const { rows } = await this.pool.query<MeetingRow>(GET, [record.partnerId, record.appointmentId]);
      // The row was there a moment ago; if it vanished (a released claim), claim again.
      if (rows[0]) return { claimed: false, existing: toRecord(rows[0]) };
    }
    throw new Error(
      `claim of ${record.partnerId}/${record.appointmentId} kept racing with releases (${MAX_CLAIM_ATTEMPTS} attempts)`,
    );
  }

  async update(record: MeetingRecord, expectedVersion: number, event?: OutboundEvent): Promise<boolean> {
    const values = [
      record.partnerId,
      record.appointmentId,
      record.status,
      record.requestHash,
      record.details?.organizer.id ?? null,
      record.details?.meetingId ?? null,
      record.details === null ? null : JSON.stringify(record.details),
      record.version,
      record.updatedAt,
      expectedVersion,
      record.externalId,
      record.lease?.owner ?? null,
      record.lease?.expiresAt ?? null,
      record.calendarSequence,
      record.pendingChange === null ? null : JSON.stringify(record.pendingChange),
      record.attendance?.dueAt ?? null,
      record.attendance?.checks ?? 0,
      record.attendance?.forEnd ?? null,
    ];
    if (event === undefined) {
      const result = await this.pool.query(UPDATE, values);
      return (result.rowCount ?? 0) > 0;
    }
    const { rows } = await this.pool.query<{ updated: number }>(UPDATE_WITH_EVENT, [
      ...values,
      ...eventParams(event, event.createdAt),
    ]);
    return (rows[0]?.updated ?? 0) > 0;
  }

  async attendanceDue(now: string, limit: number): Promise<ScheduledMeeting[]> {
    const { rows } = await this.pool.query<MeetingRow>(ATTENDANCE_DUE, [now, limit]);
    return rows.map(toRecord) as ScheduledMeeting[];
  }

  async releaseClaim(partnerId: string, appointmentId: string, version: number): Promise<void> {
    await this.pool.query(RELEASE, [partnerId, appointmentId, version]);
  }
}
