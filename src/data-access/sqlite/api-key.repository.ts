import type Database from 'better-sqlite3';
import type { ApiKeyRecord } from '../../domain/partners/api-key.record';
import type { ApiKeyRepository, KeyHolder } from '../../domain/partners/partners.port';
import {
  apiKeyFromRow as toRecord,
  jsonFromText,
  partnerFromRow,
  type ApiKeyRow,
  type PartnerRow,
} from '../rows';

export class SqliteApiKeyRepository implements ApiKeyRepository {
  private readonly insertStmt;
  private readonly listStmt;
  private readonly findStmt;
  private readonly partnerStmt;
  private readonly deleteStmt;
  private readonly touchStmt;

  constructor(db: Database.Database) {
    this.insertStmt =
      db.prepare(`INSERT INTO api_keys (id, partner_id, key_hash, key_prefix, created_at, last_used_at)
      VALUES (@id, @partnerId, @keyHash, @keyPrefix, @createdAt, @lastUsedAt)`);
    this.listStmt = db.prepare<[string], ApiKeyRow>(
      'SELECT * FROM api_keys WHERE partner_id = ? ORDER BY created_at, id',
    );
    // Two point reads, not the join PostgreSQL uses: SQLite runs the join in 16 µs and the two
    // reads in 7 (docs/BENCHMARKS.md), and this is every request's first read. A partner deleted
    // between them (its keys go with it) reads as an unknown key, which it then is.
    this.findStmt = db.prepare<[string], ApiKeyRow>('SELECT * FROM api_keys WHERE key_hash = ?');
    this.partnerStmt = db.prepare<[string], PartnerRow<string>>('SELECT * FROM partners WHERE id = ?');
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
    const key = this.findStmt.get(keyHash);
    const partner = key && this.partnerStmt.get(key.partner_id);
    return partner ? { key: toRecord(key), partner: partnerFromRow(partner, jsonFromText) } : null;
  }

  async delete(partnerId: string, keyId: string): Promise<boolean> {
    return this.deleteStmt.run(partnerId, keyId).changes > 0;
  }

  async touch(keyId: string, at: string): Promise<void> {
    this.touchStmt.run(at, keyId);
  }
}
