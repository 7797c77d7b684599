import type Database from 'better-sqlite3';
import type { ConsentStateRecord, ConsentStateRepository } from '../../domain/credentials/consent.port';

export class SqliteConsentStateRepository implements ConsentStateRepository {
  private readonly insertStmt;
  private readonly useStmt;

  constructor(db: Database.Database) {
    this.insertStmt = db.prepare(
      'INSERT INTO consent_states (id, partner_id, expires_at, used_at) VALUES (@id, @partnerId, @expiresAt, @usedAt)',
    );
    this.useStmt = db.prepare<[string, string, string], { partner_id: string }>(
      'UPDATE consent_states SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ? RETURNING partner_id',
    );
  }

  async insert(state: ConsentStateRecord): Promise<void> {
    this.insertStmt.run(state);
  }

  async use(id: string, now: string): Promise<{ partnerId: string } | null> {
    const row = this.useStmt.get(now, id, now);
    return row ? { partnerId: row.partner_id } : null;
  }
}
