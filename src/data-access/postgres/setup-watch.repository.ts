import type { Queryable } from './measured-pool';
import type {
  Adviser,
  PartnerActivity,
  SetupWatchRepository,
  WatchRecord,
} from '../../domain/setup/setup-watch.port';
import { activityFromRows, jsonAsParsed, watchFromRow, type WatchRow } from '../rows';

type Row = WatchRow<unknown>;
const toRecord = (row: Row): WatchRecord => watchFromRow(row, jsonAsParsed);

export class PostgresSetupWatchRepository implements SetupWatchRepository {
  constructor(private readonly pool: Queryable) {}

  async schedule(firstCheckAt: (partnerId: string) => string): Promise<number> {
    const { rows } = await this.pool.query<{ id: string }>(
      'SELECT id FROM partners p WHERE NOT EXISTS (SELECT 1 FROM setup_watch w WHERE w.partner_id = p.id)',
    );
    if (rows.length === 0) return 0;
    const ids = rows.map((row) => row.id);
    await this.pool.query(
      `INSERT INTO setup_watch (partner_id, next_check_at)
       SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (partner_id) DO NOTHING`,
      [ids, ids.map(firstCheckAt)],
    );
    return ids.length;
  }

  async claimDue(now: string, claimUntil: string, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ partner_id: string }>(
      `UPDATE setup_watch w SET next_check_at = $1
       FROM (SELECT partner_id FROM setup_watch WHERE next_check_at <= $2
             ORDER BY next_check_at LIMIT $3 FOR UPDATE SKIP LOCKED) due
       WHERE w.partner_id = due.partner_id RETURNING w.partner_id`,
      [claimUntil, now, limit],
    );
    return rows.map((row) => row.partner_id);
  }

  async saveResult(
    partnerId: string,
    checkedAt: string,
    result: unknown,
    nextCheckAt: string,
  ): Promise<void> {
    await this.pool.query(
      'UPDATE setup_watch SET checked_at = $1, result = $2::json, next_check_at = $3 WHERE partner_id = $4',
      [checkedAt, JSON.stringify(result), nextCheckAt, partnerId],
    );
  }

  async postpone(partnerId: string, nextCheckAt: string): Promise<void> {
    await this.pool.query('UPDATE setup_watch SET next_check_at = $1 WHERE partner_id = $2', [
      nextCheckAt,
      partnerId,
    ]);
  }

  async noteError(partnerId: string, code: string, at: string, nextCheckAt: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO setup_watch (partner_id, next_check_at, last_error_code, last_error_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (partner_id) DO UPDATE SET last_error_code = excluded.last_error_code,
         last_error_at = excluded.last_error_at`,
      [partnerId, nextCheckAt, code, at],
    );
  }

  async get(partnerId: string): Promise<WatchRecord | null> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM setup_watch WHERE partner_id = $1', [
      partnerId,
    ]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async list(): Promise<WatchRecord[]> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM setup_watch');
    return rows.map(toRecord);
  }

  async advisersSince(partnerId: string, since: string, limit: number): Promise<Adviser[]> {
    const { rows } = await this.pool.query<{ id: string; upn: string | null }>(
      `SELECT organizer_id AS id, (array_agg(data->'organizer'->>'userPrincipalName' ORDER BY updated_at DESC))[1] AS upn
       FROM meetings WHERE partner_id = $1 AND updated_at >= $2 AND organizer_id IS NOT NULL
       GROUP BY organizer_id ORDER BY MAX(updated_at) DESC LIMIT $3`,
      [partnerId, since, limit],
    );
    return rows.map((row) => ({ id: row.id, userPrincipalName: row.upn ?? null }));
  }

  async activity(since: string): Promise<Map<string, PartnerActivity>> {
    const [meetings, waiting] = await Promise.all([
      this.pool.query<{ partner_id: string; n: string }>(
        `SELECT partner_id, COUNT(*) AS n FROM meetings
         WHERE created_at >= $1 AND status IN ('scheduled', 'cancelled') GROUP BY partner_id`,
        [since],
      ),
      this.pool.query<{ partner_id: string; n: string }>(
        `SELECT e.partner_id, COUNT(*) AS n FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
         WHERE d.status = 'pending' AND e.partner_id IS NOT NULL GROUP BY e.partner_id`,
      ),
    ]);
    return activityFromRows(meetings.rows, waiting.rows);
  }
}
