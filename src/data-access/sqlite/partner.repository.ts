import type Database from 'better-sqlite3';
import type { PartnerRepository } from '../../domain/ports';
import type { Cloud, MeetingOptions, PartnerRecord, RemoteMatchField } from '../../domain/partner.model';

interface PartnerRow {
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
  meeting_defaults: string;
  created_at: string;
  updated_at: string;
}

function toRecord(row: PartnerRow): PartnerRecord {
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
    meetingDefaults: JSON.parse(row.meeting_defaults) as MeetingOptions,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class SqlitePartnerRepository implements PartnerRepository {
  private readonly getStmt;
  private readonly listStmt;
  private readonly upsertStmt;
  private readonly deleteStmt;
  private readonly expiriesStmt;

  constructor(private readonly db: Database.Database) {
    this.getStmt = db.prepare<[string], PartnerRow>('SELECT * FROM partners WHERE id = ?');
    this.listStmt = db.prepare<[], PartnerRow>('SELECT * FROM partners ORDER BY id');
    this.upsertStmt = db.prepare(`
      INSERT INTO partners (id, application_id, tenant_id, client_secret_ciphertext, client_secret_expires_at,
        operator_local_match_field, operator_remote_match_field, user_local_match_field, user_remote_match_field,
        cloud, meeting_defaults, created_at, updated_at)
      VALUES (@id, @applicationId, @tenantId, @clientSecretCiphertext, @clientSecretExpiresAt,
        @operatorLocalMatchField, @operatorRemoteMatchField, @userLocalMatchField, @userRemoteMatchField,
        @cloud, @meetingDefaults, @createdAt, @updatedAt)
      ON CONFLICT (id) DO UPDATE SET
        application_id = excluded.application_id, tenant_id = excluded.tenant_id,
        client_secret_ciphertext = excluded.client_secret_ciphertext,
        client_secret_expires_at = excluded.client_secret_expires_at,
        operator_local_match_field = excluded.operator_local_match_field,
        operator_remote_match_field = excluded.operator_remote_match_field,
        user_local_match_field = excluded.user_local_match_field,
        user_remote_match_field = excluded.user_remote_match_field,
        cloud = excluded.cloud, meeting_defaults = excluded.meeting_defaults, updated_at = excluded.updated_at`);
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
