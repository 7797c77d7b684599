import type Database from 'better-sqlite3';
import type {
  Adviser,
  PartnerActivity,
  SetupWatchRepository,
  WatchRecord,
} from '../../domain/setup/setup-watch.port';
import { activityFromRows, jsonFromText, watchFromRow, type WatchRow } from '../rows';

type Row = WatchRow<string>;
const toRecord = (row: Row): WatchRecord => watchFromRow(row, jsonFromText);

export class SqliteSetupWatchRepository implements SetupWatchRepository {
  private readonly unscheduledStmt;
  private readonly insertStmt;
  private readonly claimStmt;
  private readonly saveStmt;
  private readonly errorStmt;
  private readonly postponeStmt;
  private readonly getStmt;
  private readonly listStmt;
  private readonly advisersStmt;
  private readonly meetingsStmt;
  private readonly waitingStmt;

  constructor(private readonly db: Database.Database) {
    this.unscheduledStmt = db.prepare<[], { id: string }>(
      'SELECT id FROM partners p WHERE NOT EXISTS (SELECT 1 FROM setup_watch w WHERE w.partner_id = p.id)',
    );
    this.insertStmt = db.prepare(
      'INSERT INTO setup_watch (partner_id, next_check_at) VALUES (?, ?) ON CONFLICT (partner_id) DO NOTHING',
    );
    this.claimStmt = db.prepare<[string, string, number], { partner_id: string }>(`
      UPDATE setup_watch SET next_check_at = ?
      WHERE partner_id IN (SELECT partner_id FROM setup_watch WHERE next_check_at <= ?
                           ORDER BY next_check_at LIMIT ?)
      RETURNING partner_id`);
    this.saveStmt = db.prepare(
      'UPDATE setup_watch SET checked_at = ?, result = ?, next_check_at = ? WHERE partner_id = ?',
    );
    this.postponeStmt = db.prepare('UPDATE setup_watch SET next_check_at = ? WHERE partner_id = ?');
    this.errorStmt = db.prepare(`
      INSERT INTO setup_watch (partner_id, next_check_at, last_error_code, last_error_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (partner_id) DO UPDATE SET last_error_code = excluded.last_error_code,
        last_error_at = excluded.last_error_at`);
    this.getStmt = db.prepare<[string], Row>('SELECT * FROM setup_watch WHERE partner_id = ?');
    this.listStmt = db.prepare<[], Row>('SELECT * FROM setup_watch');
    this.advisersStmt = db.prepare<[string, string, number], { id: string; upn: string | null }>(`
      SELECT organizer_id AS id, json_extract(data, '$.organizer.userPrincipalName') AS upn
      FROM meetings WHERE partner_id = ? AND updated_at >= ? AND organizer_id IS NOT NULL
      GROUP BY organizer_id ORDER BY MAX(updated_at) DESC LIMIT ?`);
    this.meetingsStmt = db.prepare<[string], { partner_id: string; n: number }>(`
      SELECT partner_id, COUNT(*) AS n FROM meetings
      WHERE created_at >= ? AND status IN ('scheduled', 'cancelled') GROUP BY partner_id`);
    this.waitingStmt = db.prepare<[], { partner_id: string; n: number }>(`
      SELECT e.partner_id, COUNT(*) AS n FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
      WHERE d.status = 'pending' AND e.partner_id IS NOT NULL GROUP BY e.partner_id`);
  }

  async schedule(firstCheckAt: (partnerId: string) => string): Promise<number> {
    const ids = this.unscheduledStmt.all().map((row) => row.id);
    this.db.transaction(() => {
      for (const id of ids) this.insertStmt.run(id, firstCheckAt(id));
    })();
    return ids.length;
  }

  async claimDue(now: string, claimUntil: string, limit: number): Promise<string[]> {
    return this.claimStmt.all(claimUntil, now, limit).map((row) => row.partner_id);
  }

  async saveResult(
    partnerId: string,
    checkedAt: string,
    result: unknown,
    nextCheckAt: string,
  ): Promise<void> {
    this.saveStmt.run(checkedAt, JSON.stringify(result), nextCheckAt, partnerId);
  }

  async postpone(partnerId: string, nextCheckAt: string): Promise<void> {
    this.postponeStmt.run(nextCheckAt, partnerId);
  }

  async noteError(partnerId: string, code: string, at: string, nextCheckAt: string): Promise<void> {
    this.errorStmt.run(partnerId, nextCheckAt, code, at);
  }

  async get(partnerId: string): Promise<WatchRecord | null> {
    const row = this.getStmt.get(partnerId);
    return row ? toRecord(row) : null;
  }

  async list(): Promise<WatchRecord[]> {
    return this.listStmt.all().map(toRecord);
  }

  async advisersSince(partnerId: string, since: string, limit: number): Promise<Adviser[]> {
    return this.advisersStmt
      .all(partnerId, since, limit)
      .map((row) => ({ id: row.id, userPrincipalName: row.upn ?? null }));
  }

  async activity(since: string): Promise<Map<string, PartnerActivity>> {
    return activityFromRows(this.meetingsStmt.all(since), this.waitingStmt.all());
  }
}
