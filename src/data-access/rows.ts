/**
 * The tables' rows and how they map to the domain's records, shared by both engines. The only
 * difference is how a JSON column arrives: text from SQLite, already parsed from PostgreSQL.
 */
import type {
  Cloud,
  MeetingOptions,
  PartnerRecord,
  RemoteMatchField,
} from '../domain/partners/partner.record';
import type { MeetingDetails, MeetingRecord, PendingChange } from '../domain/meetings/meeting.record';
import type { CertificateRecord } from '../domain/partners/certificate.record';
import type { ApiKeyRecord } from '../domain/partners/api-key.record';
import type { KeyHolder } from '../domain/partners/partners.port';
import type { SetupLinkRecord } from '../domain/partners/setup-link.record';
import type { StoredAttendanceReport } from '../domain/meetings/attendance.record';
import type { PartnerActivity, WatchRecord } from '../domain/setup/setup-watch.port';

/** Reads a JSON column as the engine delivers it. */
export type JsonColumn<J> = (value: J) => unknown;

export const jsonFromText: JsonColumn<string> = (value) => JSON.parse(value) as unknown;
export const jsonAsParsed: JsonColumn<unknown> = (value) => value;

export interface PartnerRow<J> {
  id: string;
  application_id: string;
  tenant_id: string;
  client_secret_ciphertext: string | null;
  client_secret_expires_at: string | null;
  operator_local_match_field: string;
  operator_remote_match_field: string;
  user_local_match_field: string;
  user_remote_match_field: string;
  cloud: string;
  meeting_defaults: J;
  created_at: string;
  updated_at: string;
  credential_type: string;
  version: number;
  meeting_mode: string;
  /** 0/1 from SQLite, a boolean from PostgreSQL. */
  send_invitations: number | boolean;
  consent_status: string;
  consent_granted_at: string | null;
  consent_error: string | null;
}

export function partnerFromRow<J>(row: PartnerRow<J>, json: JsonColumn<J>): PartnerRecord {
  return {
    id: row.id,
    applicationId: row.application_id,
    tenantId: row.tenant_id,
    clientSecretCiphertext: row.client_secret_ciphertext,
    clientSecretExpiresAt: row.client_secret_expires_at,
    operatorLocalMatchField: row.operator_local_match_field,
    operatorRemoteMatchField: row.operator_remote_match_field as RemoteMatchField,
    userLocalMatchField: row.user_local_match_field,
    userRemoteMatchField: row.user_remote_match_field as RemoteMatchField,
    cloud: row.cloud as Cloud,
    credentialType:
      row.credential_type === 'certificate' || row.credential_type === 'platformApp'
        ? row.credential_type
        : 'clientSecret',
    meetingDefaults: json(row.meeting_defaults) as MeetingOptions,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: Number(row.version),
    meetingMode: row.meeting_mode === 'calendarEvent' ? 'calendarEvent' : 'onlineMeeting',
    sendInvitations: row.send_invitations === true || row.send_invitations === 1,
    consent: {
      status:
        row.consent_status === 'granted' || row.consent_status === 'denied' ? row.consent_status : 'none',
      grantedAt: row.consent_granted_at,
      error: row.consent_error,
    },
  };
}

export interface ApiKeyRow {
  id: string;
  partner_id: string;
  key_hash: string;
  key_prefix: string;
  created_at: string;
  last_used_at: string | null;
}

export function apiKeyFromRow(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    partnerId: row.partner_id,
    keyHash: row.key_hash,
    keyPrefix: row.key_prefix,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

export interface MeetingRow<J> {
  partner_id: string;
  appointment_id: string;
  status: string;
  request_hash: string;
  external_id: string;
  organizer_id: string | null;
  graph_meeting_id: string | null;
  data: J | null;
  version: number;
  created_at: string;
  updated_at: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
  calendar_sequence: number;
  pending_change: J | null;
  attendance_due_at: string | null;
  attendance_checks: number;
  attendance_for_end: string | null;
}

export function meetingFromRow<J>(row: MeetingRow<J>, json: JsonColumn<J>): MeetingRecord {
  const fields = {
    partnerId: row.partner_id,
    appointmentId: row.appointment_id,
    requestHash: row.request_hash,
    externalId: row.external_id,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lease:
      row.lease_owner === null || row.lease_expires_at === null
        ? null
        : { owner: row.lease_owner, expiresAt: row.lease_expires_at },
    calendarSequence: Number(row.calendar_sequence),
    pendingChange: row.pending_change === null ? null : (json(row.pending_change) as PendingChange),
    ...(row.attendance_for_end === null && row.attendance_due_at === null
      ? {}
      : {
          attendance: {
            dueAt: row.attendance_due_at,
            checks: Number(row.attendance_checks),
            forEnd: row.attendance_for_end,
          },
        }),
  };
  if (row.status === 'pending') return { ...fields, status: 'pending', details: null };
  if (
    (row.status !== 'scheduled' && row.status !== 'cancelled' && row.status !== 'gone') ||
    row.data === null
  ) {
    // Only the service writes these rows; anything else is a damaged store, not a request error.
    throw new Error(
      `meeting ${row.partner_id}/${row.appointment_id}: status ${row.status} without its details`,
    );
  }
  return { ...fields, status: row.status, details: json(row.data) as MeetingDetails };
}

/**
 * A key and its partner in one query. The key's columns are aliased (`key_…`), the partner's
 * keep their names; `placeholder` is the engine's (`?` or `$1`).
 */
export function keyHolderQuery(placeholder: string): string {
  return `SELECT k.id AS key_id, k.partner_id AS key_partner_id, k.key_hash AS key_key_hash,
      k.key_prefix AS key_key_prefix, k.created_at AS key_created_at, k.last_used_at AS key_last_used_at, p.*
    FROM api_keys k JOIN partners p ON p.id = k.partner_id
    WHERE k.key_hash = ${placeholder}`;
}

export type KeyHolderRow<J> = PartnerRow<J> & {
  key_id: string;
  key_partner_id: string;
  key_key_hash: string;
  key_key_prefix: string;
  key_created_at: string;
  key_last_used_at: string | null;
};

export function keyHolderFromRow<J>(row: KeyHolderRow<J>, json: JsonColumn<J>): KeyHolder {
  return {
    key: apiKeyFromRow({
      id: row.key_id,
      partner_id: row.key_partner_id,
      key_hash: row.key_key_hash,
      key_prefix: row.key_key_prefix,
      created_at: row.key_created_at,
      last_used_at: row.key_last_used_at,
    }),
    partner: partnerFromRow(row, json),
  };
}

export interface CertificateRow {
  id: string;
  partner_id: string;
  thumbprint: string;
  thumbprint_sha256: string;
  subject: string;
  not_before: string;
  not_after: string;
  source: string;
  certificate_pem: string;
  private_key_ciphertext: string;
  created_at: string;
}

export function certificateFromRow(row: CertificateRow): CertificateRecord {
  return {
    id: row.id,
    partnerId: row.partner_id,
    thumbprint: row.thumbprint,
    thumbprintSha256: row.thumbprint_sha256,
    subject: row.subject,
    notBefore: row.not_before,
    notAfter: row.not_after,
    source: row.source === 'imported' ? 'imported' : 'generated',
    certificatePem: row.certificate_pem,
    privateKeyCiphertext: row.private_key_ciphertext,
    createdAt: row.created_at,
  };
}

/** A certificate record's columns, in CERTIFICATE_COLUMNS order. */
export function certificateParams(r: CertificateRecord): unknown[] {
  return [
    r.id,
    r.partnerId,
    r.thumbprint,
    r.thumbprintSha256,
    r.subject,
    r.notBefore,
    r.notAfter,
    r.source,
    r.certificatePem,
    r.privateKeyCiphertext,
    r.createdAt,
  ];
}

export const CERTIFICATE_COLUMNS =
  'id, partner_id, thumbprint, thumbprint_sha256, subject, not_before, not_after, source, certificate_pem, private_key_ciphertext, created_at';

export interface SetupLinkRow {
  id: string;
  partner_id: string;
  token_hash: string;
  created_at: string;
  expires_at: string;
}

export function setupLinkFromRow(row: SetupLinkRow): SetupLinkRecord {
  return {
    id: row.id,
    partnerId: row.partner_id,
    tokenHash: row.token_hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

/** A setup link and its partner in one query; the link's columns are aliased (`link_…`). */
export function setupLinkHolderQuery(placeholder: string): string {
  return `SELECT l.id AS link_id, l.partner_id AS link_partner_id, l.token_hash AS link_token_hash,
      l.created_at AS link_created_at, l.expires_at AS link_expires_at, p.*
    FROM setup_links l JOIN partners p ON p.id = l.partner_id
    WHERE l.token_hash = ${placeholder}`;
}

export type SetupLinkHolderRow<J> = PartnerRow<J> & {
  link_id: string;
  link_partner_id: string;
  link_token_hash: string;
  link_created_at: string;
  link_expires_at: string;
};

export function setupLinkHolderFromRow<J>(
  row: SetupLinkHolderRow<J>,
  json: JsonColumn<J>,
): { link: SetupLinkRecord; partner: PartnerRecord } {
  return {
    link: setupLinkFromRow({
      id: row.link_id,
      partner_id: row.link_partner_id,
      token_hash: row.link_token_hash,
      created_at: row.link_created_at,
      expires_at: row.link_expires_at,
    }),
    partner: partnerFromRow(row, json),
  };
}

export interface AttendanceRow<J> {
  partner_id: string;
  appointment_id: string;
  report_id: string;
  meeting_id: string;
  meeting_start: string;
  meeting_end: string;
  participant_count: number;
  records: J;
}

export function attendanceFromRow<J>(row: AttendanceRow<J>, json: JsonColumn<J>): StoredAttendanceReport {
  return {
    partnerId: row.partner_id,
    appointmentId: row.appointment_id,
    reportId: row.report_id,
    meetingId: row.meeting_id,
    meetingStartDateTime: row.meeting_start,
    meetingEndDateTime: row.meeting_end,
    totalParticipantCount: Number(row.participant_count),
    records: json(row.records) as StoredAttendanceReport['records'],
  };
}

/** An attendance report's columns, in the order of both engines' INSERT. */
export const ATTENDANCE_COLUMNS =
  'partner_id, appointment_id, report_id, meeting_id, meeting_start, meeting_end, participant_count, records';

export function attendanceParams(r: StoredAttendanceReport): unknown[] {
  return [
    r.partnerId,
    r.appointmentId,
    r.reportId,
    r.meetingId,
    r.meetingStartDateTime,
    r.meetingEndDateTime,
    r.totalParticipantCount,
    JSON.stringify(r.records),
  ];
}

export interface WatchRow<J> {
  partner_id: string;
  next_check_at: string;
  checked_at: string | null;
  result: J | null;
  last_error_code: string | null;
  last_error_at: string | null;
}

export function watchFromRow<J>(row: WatchRow<J>, json: JsonColumn<J>): WatchRecord {
  return {
    partnerId: row.partner_id,
    nextCheckAt: row.next_check_at,
    checkedAt: row.checked_at,
    result: row.result === null ? null : json(row.result),
    lastErrorCode: row.last_error_code,
    lastErrorAt: row.last_error_at,
  };
}

/** The two per-partner counts of the fleet view, from their queries' rows (counts as numbers or text). */
export function activityFromRows(
  meetings: Array<{ partner_id: string; n: number | string }>,
  waiting: Array<{ partner_id: string; n: number | string }>,
): Map<string, PartnerActivity> {
  const result = new Map<string, PartnerActivity>();
  const of = (id: string) => {
    let entry = result.get(id);
    if (!entry) result.set(id, (entry = { meetings: 0, eventsWaiting: 0 }));
    return entry;
  };
  for (const row of meetings) of(row.partner_id).meetings = Number(row.n);
  for (const row of waiting) of(row.partner_id).eventsWaiting = Number(row.n);
  return result;
}
