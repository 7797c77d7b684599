import type { Queryable } from './measured-pool';
import type { PartnerRepository } from '../../domain/ports';
import type { PartnerRecord } from '../../domain/partners/partner.model';
import { jsonAsParsed, partnerFromRow, type PartnerRow as Row } from '../rows';

/** A JSON column: pg has parsed it already. */
type PartnerRow = Row<unknown>;
const toRecord = (row: PartnerRow): PartnerRecord => partnerFromRow(row, jsonAsParsed);

// xmax is 0 on a freshly inserted row version and set on one written by DO UPDATE: one statement
// tells insert from update, with no read-then-write race between instances.
const UPSERT = `
  INSERT INTO partners (id, application_id, tenant_id, client_secret_ciphertext, client_secret_expires_at,
    operator_local_match_field, operator_remote_match_field, user_local_match_field, user_remote_match_field,
    cloud, meeting_defaults, created_at, updated_at, credential_type)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::json, $12, $13, $14)
  ON CONFLICT (id) DO UPDATE SET
    application_id = excluded.application_id, tenant_id = excluded.tenant_id,
    client_secret_ciphertext = excluded.client_secret_ciphertext,
    client_secret_expires_at = excluded.client_secret_expires_at,
    operator_local_match_field = excluded.operator_local_match_field,
    operator_remote_match_field = excluded.operator_remote_match_field,
    user_local_match_field = excluded.user_local_match_field,
    user_remote_match_field = excluded.user_remote_match_field,
    cloud = excluded.cloud, meeting_defaults = excluded.meeting_defaults, updated_at = excluded.updated_at,
    credential_type = excluded.credential_type
  RETURNING (xmax = 0) AS inserted`;

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

  async upsert(record: PartnerRecord): Promise<{ created: boolean }> {
    const { rows } = await this.pool.query<{ inserted: boolean }>(UPSERT, [
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
      record.createdAt,
      record.updatedAt,
      record.credentialType,
    ]);
    return { created: rows[0]?.inserted === true };
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
