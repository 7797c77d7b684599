import type { Queryable } from './measured-pool';
import type { ConsentStateRecord, ConsentStateRepository } from '../../domain/credentials/consent.port';

export class PostgresConsentStateRepository implements ConsentStateRepository {
  constructor(private readonly pool: Queryable) {}

  async insert(state: ConsentStateRecord): Promise<void> {
    await this.pool.query(
      'INSERT INTO consent_states (id, partner_id, expires_at, used_at) VALUES ($1, $2, $3, $4)',
      [state.id, state.partnerId, state.expiresAt, state.usedAt],
    );
  }

  async use(id: string, now: string): Promise<{ partnerId: string } | null> {
    const { rows } = await this.pool.query<{ partner_id: string }>(
      'UPDATE consent_states SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1 RETURNING partner_id',
      [now, id],
    );
    return rows[0] ? { partnerId: rows[0].partner_id } : null;
  }
}
