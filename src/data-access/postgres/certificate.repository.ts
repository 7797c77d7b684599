import type { Queryable } from './measured-pool';
import type { CertificateRecord } from '../../domain/partners/certificate.record';
import type { CertificateRepository } from '../../domain/partners/partners.port';
import { CERTIFICATE_COLUMNS, certificateFromRow, certificateParams, type CertificateRow } from '../rows';

export class PostgresCertificateRepository implements CertificateRepository {
  constructor(private readonly pool: Queryable) {}

  async insertOnce(record: CertificateRecord): Promise<{ created: boolean; record: CertificateRecord }> {
    const inserted = await this.pool.query(
      `INSERT INTO partner_certificates (${CERTIFICATE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (partner_id, thumbprint_sha256) DO NOTHING`,
      certificateParams(record),
    );
    if ((inserted.rowCount ?? 0) > 0) return { created: true, record };
    const { rows } = await this.pool.query<CertificateRow>(
      'SELECT * FROM partner_certificates WHERE partner_id = $1 AND thumbprint_sha256 = $2',
      [record.partnerId, record.thumbprintSha256],
    );
    return { created: false, record: certificateFromRow(rows[0]!) };
  }

  async listByPartner(partnerId: string): Promise<CertificateRecord[]> {
    const { rows } = await this.pool.query<CertificateRow>(
      'SELECT * FROM partner_certificates WHERE partner_id = $1 ORDER BY created_at DESC, id DESC',
      [partnerId],
    );
    return rows.map(certificateFromRow);
  }

  async get(partnerId: string, id: string): Promise<CertificateRecord | null> {
    const { rows } = await this.pool.query<CertificateRow>(
      'SELECT * FROM partner_certificates WHERE partner_id = $1 AND id = $2',
      [partnerId, id],
    );
    return rows[0] ? certificateFromRow(rows[0]) : null;
  }

  async delete(partnerId: string, id: string): Promise<boolean> {
    const result = await this.pool.query(
      'DELETE FROM partner_certificates WHERE partner_id = $1 AND id = $2',
      [partnerId, id],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async inUseExpiries(): Promise<Array<string | null>> {
    const { rows } = await this.pool.query<{ expires: string | null }>(`
      SELECT MAX(c.not_after) AS expires FROM partners p
      LEFT JOIN partner_certificates c ON c.partner_id = p.id
      WHERE p.credential_type = 'certificate' GROUP BY p.id`);
    return rows.map((row) => row.expires);
  }
}
