import type { Queryable } from './measured-pool';
import type { ApiKeyRecord, ApiKeyRepository, KeyHolder } from '../../domain/ports';
import {
  apiKeyFromRow as toRecord,
  jsonAsParsed,
  keyHolderFromRow,
  keyHolderQuery,
  type ApiKeyRow,
  type KeyHolderRow,
} from '../rows';

const FIND_HOLDER = keyHolderQuery('$1');

export class PostgresApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly pool: Queryable) {}

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

  async findByHash(keyHash: string): Promise<KeyHolder | null> {
    const { rows } = await this.pool.query<KeyHolderRow<unknown>>(FIND_HOLDER, [keyHash]);
    return rows[0] ? keyHolderFromRow(rows[0], jsonAsParsed) : null;
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
