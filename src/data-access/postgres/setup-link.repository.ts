import type { Queryable } from './measured-pool';
import type { SetupLinkRecord } from '../../domain/partners/setup-link.record';
import type { SetupLinkRepository } from '../../domain/partners/partners.port';
import type { PartnerRecord } from '../../domain/partners/partner.record';
import {
  jsonAsParsed,
  setupLinkFromRow,
  setupLinkHolderFromRow,
  setupLinkHolderQuery,
  type SetupLinkHolderRow,
  type SetupLinkRow,
} from '../rows';

export class PostgresSetupLinkRepository implements SetupLinkRepository {
  constructor(private readonly pool: Queryable) {}

  async insert(r: SetupLinkRecord): Promise<void> {
    await this.pool.query(
      'INSERT INTO setup_links (id, partner_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)',
      [r.id, r.partnerId, r.tokenHash, r.createdAt, r.expiresAt],
    );
  }

  async listByPartner(partnerId: string): Promise<SetupLinkRecord[]> {
    const { rows } = await this.pool.query<SetupLinkRow>(
      'SELECT * FROM setup_links WHERE partner_id = $1 ORDER BY created_at DESC, id DESC',
      [partnerId],
    );
    return rows.map(setupLinkFromRow);
  }

  async findByHash(tokenHash: string): Promise<{ link: SetupLinkRecord; partner: PartnerRecord } | null> {
    const { rows } = await this.pool.query<SetupLinkHolderRow<unknown>>(setupLinkHolderQuery('$1'), [
      tokenHash,
    ]);
    return rows[0] ? setupLinkHolderFromRow(rows[0], jsonAsParsed) : null;
  }

  async delete(partnerId: string, id: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM setup_links WHERE partner_id = $1 AND id = $2', [
      partnerId,
      id,
    ]);
    return (result.rowCount ?? 0) > 0;
  }
}
