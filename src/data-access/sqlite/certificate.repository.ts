import type Database from 'better-sqlite3';
import type { CertificateRecord } from '../../domain/partners/certificate.record';
import type { CertificateRepository } from '../../domain/partners/partners.port';
import { CERTIFICATE_COLUMNS, certificateFromRow, certificateParams, type CertificateRow } from '../rows';

export class SqliteCertificateRepository implements CertificateRepository {
  private readonly insertStmt;
  private readonly byThumbprintStmt;
  private readonly listStmt;
  private readonly getStmt;
  private readonly deleteStmt;
  private readonly expiriesStmt;

  constructor(db: Database.Database) {
    this.insertStmt = db.prepare(
      `INSERT INTO partner_certificates (${CERTIFICATE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (partner_id, thumbprint_sha256) DO NOTHING`,
    );
    this.byThumbprintStmt = db.prepare<[string, string], CertificateRow>(
      'SELECT * FROM partner_certificates WHERE partner_id = ? AND thumbprint_sha256 = ?',
    );
    this.listStmt = db.prepare<[string], CertificateRow>(
      'SELECT * FROM partner_certificates WHERE partner_id = ? ORDER BY created_at DESC, id DESC',
    );
    this.getStmt = db.prepare<[string, string], CertificateRow>(
      'SELECT * FROM partner_certificates WHERE partner_id = ? AND id = ?',
    );
    this.deleteStmt = db.prepare('DELETE FROM partner_certificates WHERE partner_id = ? AND id = ?');
    this.expiriesStmt = db.prepare<[], { expires: string | null }>(`
      SELECT MAX(c.not_after) AS expires FROM partners p
      LEFT JOIN partner_certificates c ON c.partner_id = p.id
      WHERE p.credential_type = 'certificate' GROUP BY p.id`);
  }

  async insertOnce(record: CertificateRecord): Promise<{ created: boolean; record: CertificateRecord }> {
    if (this.insertStmt.run(...certificateParams(record)).changes > 0) return { created: true, record };
    return {
      created: false,
      record: certificateFromRow(this.byThumbprintStmt.get(record.partnerId, record.thumbprintSha256)!),
    };
  }

  async listByPartner(partnerId: string): Promise<CertificateRecord[]> {
    return this.listStmt.all(partnerId).map(certificateFromRow);
  }

  async get(partnerId: string, id: string): Promise<CertificateRecord | null> {
    const row = this.getStmt.get(partnerId, id);
    return row ? certificateFromRow(row) : null;
  }

  async delete(partnerId: string, id: string): Promise<boolean> {
    return this.deleteStmt.run(partnerId, id).changes > 0;
  }

  async inUseExpiries(): Promise<Array<string | null>> {
    return this.expiriesStmt.all().map((row) => row.expires);
  }
}
