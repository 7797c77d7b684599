import type Database from 'better-sqlite3';
import type { ApiKeyRecord, ApiKeyRepository, KeyHolder } from '../../domain/ports';
import {
  apiKeyFromRow as toRecord,
  jsonFromText,
  keyHolderFromRow,
  keyHolderQuery,
  type ApiKeyRow,
  type KeyHolderRow,
} from '../rows';

export class SqliteApiKeyRepository implements ApiKeyRepository {
  private readonly insertStmt;
  private readonly listStmt;
  private readonly findStmt;
  private readonly deleteStmt;
  private readonly touchStmt;

  constructor(db: Database.Database) {
    this.insertStmt =
      db.prepare(`INSERT INTO api_keys (id, partner_id, key_hash, key_prefix, created_at, last_used_at)
      VALUES (@id, @partnerId, @keyHash, @keyPrefix, @createdAt, @lastUsedAt)`);
    this.listStmt = db.prepare<[string], ApiKeyRow>(
      'SELECT * FROM api_keys WHERE partner_id = ? ORDER BY created_at, id',
    );
    this.findStmt = db.prepare<[string], KeyHolderRow<string>>(keyHolderQuery('?'));
    this.deleteStmt = db.prepare('DELETE FROM api_keys WHERE partner_id = ? AND id = ?');
    this.touchStmt = db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?');
  }

  async insert(record: ApiKeyRecord): Promise<void> {
    this.insertStmt.run(record);
  }

  async listByPartner(partnerId: string): Promise<ApiKeyRecord[]> {
    return this.listStmt.all(partnerId).map(toRecord);
  }

  async findByHash(keyHash: string): Promise<KeyHolder | null> {
    const row = this.findStmt.get(keyHash);
    return row ? keyHolderFromRow(row, jsonFromText) : null;
  }

  async delete(partnerId: string, keyId: string): Promise<boolean> {
    return this.deleteStmt.run(partnerId, keyId).changes > 0;
  }

  async touch(keyId: string, at: string): Promise<void> {
    this.touchStmt.run(at, keyId);
  }
}
