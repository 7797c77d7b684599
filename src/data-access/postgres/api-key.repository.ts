import type { Queryable } from './measured-pool';
import { TurnBatch } from './turn-batch';
import type { ApiKeyRecord } from '../../domain/partners/api-key.record';
import type { ApiKeyRepository, KeyHolder } from '../../domain/partners/partners.port';
import {
  apiKeyFromRow as toRecord,
  jsonAsParsed,
  keyHolderFromRow,
  keyHolderQuery,
  type ApiKeyRow,
  type KeyHolderRow,
} from '../rows';

const FIND_HOLDERS = keyHolderQuery('ANY($1)');

export class PostgresApiKeyRepository implements ApiKeyRepository {
  /**
   * Key reads asked for during this turn of the event loop. Every request reads its key (no cache:
   * a revocation takes effect at the next request on every instance), and under load dozens
   * arrive in one turn: they are read with one statement when the turn ends.
   */
  private readonly reads = new TurnBatch<string, KeyHolder | null>(async (hashes) => {
    const { rows } = await this.pool.query<KeyHolderRow<unknown>>(FIND_HOLDERS, [[...new Set(hashes)]]);
    const byHash = new Map(rows.map((row) => [row.key_key_hash, row]));
    // Each request its own record, as if it had read alone.
    return hashes.map((hash) => {
      const row = byHash.get(hash);
      return row ? keyHolderFromRow(row, jsonAsParsed) : null;
    });
  });

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

  findByHash(keyHash: string): Promise<KeyHolder | null> {
    return this.reads.ask(keyHash);
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
