import type { Queryable } from './measured-pool';
import type { MeetingRecord, PendingMeeting } from '../../domain/meetings/meeting.record';
import type { MeetingRepository } from '../../domain/meetings/meetings.port';
import { jsonAsParsed, meetingFromRow, type MeetingRow as Row } from '../rows';

/** A JSON column: pg has parsed it already. */
type MeetingRow = Row<unknown>;
const toRecord = (row: MeetingRow): MeetingRecord => meetingFromRow(row, jsonAsParsed);

/** $1…$15 in the column order of CLAIM. */
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
  ];
}

const GET = 'SELECT * FROM meetings WHERE partner_id = $1 AND appointment_id = $2';

// A concurrent INSERT of the same key waits for the other transaction, then does nothing: the
// primary key decides who claimed, across instances.
const CLAIM = `
  INSERT INTO meetings (partner_id, appointment_id, status, request_hash, external_id, organizer_id,
    graph_meeting_id, data, version, created_at, updated_at, lease_owner, lease_expires_at,
    calendar_sequence, pending_change)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8::json, $9, $10, $11, $12, $13, $14, $15::json)
  ON CONFLICT (partner_id, appointment_id) DO NOTHING
  RETURNING version`;

const UPDATE = `
  UPDATE meetings SET status = $3, request_hash = $4, organizer_id = $5, graph_meeting_id = $6,
    data = $7::json, version = $8, updated_at = $9, external_id = $11, lease_owner = $12,
    lease_expires_at = $13, calendar_sequence = $14, pending_change = $15::json
  WHERE partner_id = $1 AND appointment_id = $2 AND version = $10`;

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

  async update(record: MeetingRecord, expectedVersion: number): Promise<boolean> {
    const result = await this.pool.query(UPDATE, [
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
    ]);
    return (result.rowCount ?? 0) > 0;
  }

  async releaseClaim(partnerId: string, appointmentId: string, version: number): Promise<void> {
    await this.pool.query(RELEASE, [partnerId, appointmentId, version]);
  }
}
