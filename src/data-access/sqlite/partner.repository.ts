import type Database from 'better-sqlite3';
import type { PartnerRepository } from '../../domain/partners/partners.port';
import type { PartnerRecord } from '../../domain/partners/partner.record';
import { jsonFromText, partnerFromRow, type PartnerRow } from '../rows';

type Row = PartnerRow<string>;
const toRecord = (row: Row): PartnerRecord => partnerFromRow(row, jsonFromText);
const toParams = ({ consent, ...record }: PartnerRecord) => ({
  ...record,
  consentStatus: consent.status,
  consentGrantedAt: consent.grantedAt,
  consentError: consent.error,
  meetingDefaults: JSON.stringify(record.meetingDefaults),
  sendInvitations: record.sendInvitations ? 1 : 0,
});

export class SqlitePartnerRepository implements PartnerRepository {
  private readonly getStmt;
  private readonly listStmt;
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly deleteStmt;
  private readonly expiriesStmt;

  constructor(private readonly db: Database.Database) {
    this.getStmt = db.prepare<[string], Row>('SELECT * FROM partners WHERE id = ?');
    this.listStmt = db.prepare<[], Row>('SELECT * FROM partners ORDER BY id');
    this.insertStmt = db.prepare(`
      INSERT INTO partners (id, application_id, tenant_id, client_secret_ciphertext, client_secret_expires_at,
        operator_local_match_field, operator_remote_match_field, user_local_match_field, user_remote_match_field,
        cloud, meeting_defaults, created_at, updated_at, credential_type, version, meeting_mode, send_invitations,
        consent_status, consent_granted_at, consent_error)
      VALUES (@id, @applicationId, @tenantId, @clientSecretCiphertext, @clientSecretExpiresAt,
        @operatorLocalMatchField, @operatorRemoteMatchField, @userLocalMatchField, @userRemoteMatchField,
        @cloud, @meetingDefaults, @createdAt, @updatedAt, @credentialType, @version, @meetingMode, @sendInvitations,
        @consentStatus, @consentGrantedAt, @consentError)
      ON CONFLICT (id) DO NOTHING`);
    this.updateStmt = db.prepare(`
      UPDATE partners SET application_id = @applicationId, tenant_id = @tenantId,
        client_secret_ciphertext = @clientSecretCiphertext, client_secret_expires_at = @clientSecretExpiresAt,
        operator_local_match_field = @operatorLocalMatchField, operator_remote_match_field = @operatorRemoteMatchField,
        user_local_match_field = @userLocalMatchField, user_remote_match_field = @userRemoteMatchField,
        cloud = @cloud, meeting_defaults = @meetingDefaults, updated_at = @updatedAt,
        credential_type = @credentialType, version = @version, meeting_mode = @meetingMode,
        send_invitations = @sendInvitations, consent_status = @consentStatus,
        consent_granted_at = @consentGrantedAt, consent_error = @consentError
      WHERE id = @id AND version = @expectedVersion`);
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

  async insert(record: PartnerRecord): Promise<boolean> {
    return this.insertStmt.run(toParams(record)).changes > 0;
  }

  async update(record: PartnerRecord, expectedVersion: number): Promise<boolean> {
    return this.updateStmt.run({ ...toParams(record), expectedVersion }).changes > 0;
  }

  async delete(id: string): Promise<boolean> {
    return this.deleteStmt.run(id).changes > 0;
  }

  async expiries(): Promise<Array<string | null>> {
    return this.expiriesStmt.all().map((row) => row.client_secret_expires_at);
  }
}
