import type Database from 'better-sqlite3';
import type { PartnerRepository } from '../../domain/ports';
import type { PartnerRecord } from '../../domain/partners/partner.model';
import { jsonFromText, partnerFromRow, type PartnerRow } from '../rows';

type Row = PartnerRow<string>;
const toRecord = (row: Row): PartnerRecord => partnerFromRow(row, jsonFromText);

export class SqlitePartnerRepository implements PartnerRepository {
  private readonly getStmt;
  private readonly listStmt;
  private readonly upsertStmt;
  private readonly deleteStmt;
  private readonly expiriesStmt;

  constructor(private readonly db: Database.Database) {
    this.getStmt = db.prepare<[string], Row>('SELECT * FROM partners WHERE id = ?');
    this.listStmt = db.prepare<[], Row>('SELECT * FROM partners ORDER BY id');
    this.upsertStmt = db.prepare(`
      INSERT INTO partners (id, application_id, tenant_id, client_secret_ciphertext, client_secret_expires_at,
        operator_local_match_field, operator_remote_match_field, user_local_match_field, user_remote_match_field,
        cloud, meeting_defaults, created_at, updated_at, credential_type)
      VALUES (@id, @applicationId, @tenantId, @clientSecretCiphertext, @clientSecretExpiresAt,
        @operatorLocalMatchField, @operatorRemoteMatchField, @userLocalMatchField, @userRemoteMatchField,
        @cloud, @meetingDefaults, @createdAt, @updatedAt, @credentialType)
      ON CONFLICT (id) DO UPDATE SET
        application_id = excluded.application_id, tenant_id = excluded.tenant_id,
        client_secret_ciphertext = excluded.client_secret_ciphertext,
        client_secret_expires_at = excluded.client_secret_expires_at,
        operator_local_match_field = excluded.operator_local_match_field,
        operator_remote_match_field = excluded.operator_remote_match_field,
        user_local_match_field = excluded.user_local_match_field,
        user_remote_match_field = excluded.user_remote_match_field,
        cloud = excluded.cloud, meeting_defaults = excluded.meeting_defaults, updated_at = excluded.updated_at,
        credential_type = excluded.credential_type`);
    this.deleteStmt = db.prepare('DELETE FROM partners WHERE id = ?');
    this.expiriesStmt = db.prepare<[], { client_secret_expires_at: string | null }>(
      'SELECT client_secret_expires_at FROM partners',
    );
  }

  async get(id: string): Promise<PartnerRecord | null> {
    const row = this.getStmt.get(id);
    return row ? toRecord(row) : null;
  }

  async list(): Promise<PartnerRecord[]> {
    return this.listStmt.all().map(toRecord);
  }

  async upsert(record: PartnerRecord): Promise<{ created: boolean }> {
    const existed = this.db.transaction(() => {
      const before = this.getStmt.get(record.id);
      this.upsertStmt.run({ ...record, meetingDefaults: JSON.stringify(record.meetingDefaults) });
      return before !== undefined;
    })();
    return { created: !existed };
  }

  async delete(id: string): Promise<boolean> {
    return this.deleteStmt.run(id).changes > 0;
  }

  async expiries(): Promise<Array<string | null>> {
    return this.expiriesStmt.all().map((row) => row.client_secret_expires_at);
  }
}
