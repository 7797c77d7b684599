import type { Queryable } from './measured-pool';
import type { PartnerRepository } from '../../domain/partners/partners.port';
import type { PartnerRecord } from '../../domain/partners/partner.record';
import { jsonAsParsed, partnerFromRow, type PartnerRow as Row } from '../rows';

/** A JSON column: pg has parsed it already. */
type PartnerRow = Row<unknown>;
const toRecord = (row: PartnerRow): PartnerRecord => partnerFromRow(row, jsonAsParsed);

const INSERT = `
  INSERT INTO partners (id, application_id, tenant_id, client_secret_ciphertext, client_secret_expires_at,
    operator_local_match_field, operator_remote_match_field, user_local_match_field, user_remote_match_field,
    cloud, meeting_defaults, updated_at, credential_type, version, meeting_mode, send_invitations,
    consent_status, consent_granted_at, consent_error, created_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::json, $12, $13, $14, $15, $16, $17, $18, $19, $20)
  ON CONFLICT (id) DO NOTHING`;

const UPDATE = `
  UPDATE partners SET application_id = $2, tenant_id = $3, client_secret_ciphertext = $4,
    client_secret_expires_at = $5, operator_local_match_field = $6, operator_remote_match_field = $7,
    user_local_match_field = $8, user_remote_match_field = $9, cloud = $10, meeting_defaults = $11::json,
    updated_at = $12, credential_type = $13, version = $14, meeting_mode = $15, send_invitations = $16,
    consent_status = $17, consent_granted_at = $18, consent_error = $19
  WHERE id = $1 AND version = $20`;

/** $1…$19 of both statements (everything but created_at, which a change never touches). */
function toParams(record: PartnerRecord): unknown[] {
  return [
    record.id,
    record.applicationId,
    record.tenantId,
    record.clientSecretCiphertext,
    record.clientSecretExpiresAt,
    record.operatorLocalMatchField,
    record.operatorRemoteMatchField,
    record.userLocalMatchField,
    record.userRemoteMatchField,
    record.cloud,
    JSON.stringify(record.meetingDefaults),
    record.updatedAt,
    record.credentialType,
    record.version,
    record.meetingMode,
    record.sendInvitations,
    record.consent.status,
    record.consent.grantedAt,
    record.consent.error,
  ];
}

export class PostgresPartnerRepository implements PartnerRepository {
  constructor(private readonly pool: Queryable) {}

  async get(id: string): Promise<PartnerRecord | null> {
    const { rows } = await this.pool.query<PartnerRow>('SELECT * FROM partners WHERE id = $1', [id]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async list(): Promise<PartnerRecord[]> {
    // COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
    const { rows } = await this.pool.query<PartnerRow>('SELECT * FROM partners ORDER BY id COLLATE "C"');
    return rows.map(toRecord);
  }

  async insert(record: PartnerRecord): Promise<boolean> {
    const result = await this.pool.query(INSERT, [...toParams(record), record.createdAt]);
    return (result.rowCount ?? 0) > 0;
  }

  async update(record: PartnerRecord, expectedVersion: number): Promise<boolean> {
    const result = await this.pool.query(UPDATE, [...toParams(record), expectedVersion]);
    return (result.rowCount ?? 0) > 0;
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM partners WHERE id = $1', [id]);
    return (result.rowCount ?? 0) > 0;
  }

  async expiries(): Promise<Array<string | null>> {
    const { rows } = await this.pool.query<{ client_secret_expires_at: string | null }>(
      'SELECT client_secret_expires_at FROM partners',
    );
    return rows.map((row) => row.client_secret_expires_at);
  }
}
