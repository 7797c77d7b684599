import type Database from 'better-sqlite3';
import type { SetupLinkRecord } from '../../domain/partners/setup-link.record';
import type { SetupLinkRepository } from '../../domain/partners/partners.port';
import type { PartnerRecord } from '../../domain/partners/partner.record';
import {
  jsonFromText,
  setupLinkFromRow,
  setupLinkHolderFromRow,
  setupLinkHolderQuery,
  type SetupLinkHolderRow,
  type SetupLinkRow,
} from '../rows';

export class SqliteSetupLinkRepository implements SetupLinkRepository {
  private readonly insertStmt;
  private readonly listStmt;
  private readonly findStmt;
  private readonly deleteStmt;

  constructor(db: Database.Database) {
    this.insertStmt = db.prepare(`INSERT INTO setup_links (id, partner_id, token_hash, created_at, expires_at)
      VALUES (@id, @partnerId, @tokenHash, @createdAt, @expiresAt)`);
    this.listStmt = db.prepare<[string], SetupLinkRow>(
      'SELECT * FROM setup_links WHERE partner_id = ? ORDER BY created_at DESC, id DESC',
    );
    this.findStmt = db.prepare<[string], SetupLinkHolderRow<string>>(setupLinkHolderQuery('?'));
    this.deleteStmt = db.prepare('DELETE FROM setup_links WHERE partner_id = ? AND id = ?');
  }

  async insert(record: SetupLinkRecord): Promise<void> {
    this.insertStmt.run(record);
  }

  async listByPartner(partnerId: string): Promise<SetupLinkRecord[]> {
    return this.listStmt.all(partnerId).map(setupLinkFromRow);
  }

  async findByHash(tokenHash: string): Promise<{ link: SetupLinkRecord; partner: PartnerRecord } | null> {
    const row = this.findStmt.get(tokenHash);
    return row ? setupLinkHolderFromRow(row, jsonFromText) : null;
  }

  async delete(partnerId: string, id: string): Promise<boolean> {
    return this.deleteStmt.run(partnerId, id).changes > 0;
  }
}
