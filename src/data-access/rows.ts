/**
 * The tables' rows and how they map to the domain's records, shared by both engines. The only
 * difference is how a JSON column arrives: text from SQLite, already parsed from PostgreSQL.
 */
import type { Cloud, MeetingOptions, PartnerRecord, RemoteMatchField } from '../domain/partner.model';
import type { ApiKeyRecord, MeetingDetails, MeetingRecord, MeetingStatus } from '../domain/ports';

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
    meetingDefaults: json(row.meeting_defaults) as MeetingOptions,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
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
}

export function meetingFromRow<J>(row: MeetingRow<J>, json: JsonColumn<J>): MeetingRecord {
  return {
    partnerId: row.partner_id,
    appointmentId: row.appointment_id,
    status: row.status as MeetingStatus,
    requestHash: row.request_hash,
    externalId: row.external_id,
    details: row.data === null ? null : (json(row.data) as MeetingDetails),
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
