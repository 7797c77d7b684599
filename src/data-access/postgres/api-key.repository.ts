import type { Queryable } from './measured-pool';
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

interface Waiter {
  resolve(holder: KeyHolder | null): void;
  reject(error: unknown): void;
}

export class PostgresApiKeyRepository implements ApiKeyRepository {
  /**
   * Key reads asked for during this turn of the event loop, by hash. Every request reads its key
   * (no cache: a revocation takes effect at the next request on every instance), and under load
   * dozens arrive in one turn: they are sent as one statement when the turn ends, so that each
   * read still starts after its request arrived.
   */
  private pending: Map<string, Waiter[]> | null = null;

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
    return new Promise((resolve, reject) => {
      if (this.pending === null) {
        this.pending = new Map();
        setImmediate(() => void this.readPending());
      }
      const waiters = this.pending.get(keyHash);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(keyHash, [{ resolve, reject }]);
    });
  }

  private async readPending(): Promise<void> {
    const batch = this.pending!;
    this.pending = null;
    try {
      const { rows } = await this.pool.query<KeyHolderRow<unknown>>(FIND_HOLDERS, [[...batch.keys()]]);
      const byHash = new Map(rows.map((row) => [row.key_key_hash, row]));
      for (const [hash, waiters] of batch) {
        const row = byHash.get(hash);
        // Each request its own record, as if it had read alone.
        for (const waiter of waiters) waiter.resolve(row ? keyHolderFromRow(row, jsonAsParsed) : null);
      }
    } catch (error) {
      for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
    }
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
