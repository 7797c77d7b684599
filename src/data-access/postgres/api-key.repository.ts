import type { Pool } from 'pg';
import type { ApiKeyRecord, ApiKeyRepository } from '../../domain/ports';
import { apiKeyFromRow as toRecord, type ApiKeyRow } from '../rows';

export class PostgresApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly pool: Pool) {}

  async insert(record: ApiKeyRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO api_keys (id, partner_id, key_hash, key_prefix, created_at, last_used_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [record.id, record.partnerId, record.keyHash, record.keyPrefix, record.createdAt, record.lastUsedAt],
    );
  }

  async listByPartner(partnerId: string): Promise<ApiKeyRecord[]> {
    const { rows } = await this.pool.query<ApiKeyRow>(
      'SELECT * FROM api_keys WHERE partner_id = $1 ORDER BY created_at COLLATE "C", id COLLATE "C"',
      [partnerId],
    );
    return rows.map(toRecord);
  }

  async findByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const { rows } = await this.pool.query<ApiKeyRow>('SELECT * FROM api_keys WHERE key_hash = $1', [
      keyHash,
    ]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async delete(partnerId: string, keyId: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM api_keys WHERE partner_id = $1 AND id = $2', [
      partnerId,
      keyId,
    ]);
    return (result.rowCount ?? 0) > 0;
  }

  async touch(keyId: string, at: string): Promise<void> {
    await this.pool.query('UPDATE api_keys SET last_used_at = $1 WHERE id = $2', [at, keyId]);
  }
}
