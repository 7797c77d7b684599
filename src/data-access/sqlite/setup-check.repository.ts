import type Database from 'better-sqlite3';
import type { SetupCheckRecord, SetupCheckRepository } from '../../domain/setup/setup-check.port';

interface Row {
  partner_id: string;
  checked_at: string;
  operators: string;
  result: string;
}

export class SqliteSetupCheckRepository implements SetupCheckRepository {
  private readonly saveStmt;
  private readonly getStmt;
  private readonly noteStmt;
  private readonly scriptStmt;

  constructor(db: Database.Database) {
    this.saveStmt = db.prepare(`
      INSERT INTO setup_checks (partner_id, checked_at, operators, result)
      VALUES (@partnerId, @checkedAt, @operators, @result)
      ON CONFLICT (partner_id) DO UPDATE SET checked_at = excluded.checked_at,
        operators = excluded.operators, result = excluded.result`);
    this.getStmt = db.prepare<[string], Row>('SELECT * FROM setup_checks WHERE partner_id = ?');
    this.noteStmt = db.prepare(`
      INSERT INTO setup_scripts (partner_id, access_policy_at) VALUES (?, ?)
      ON CONFLICT (partner_id) DO UPDATE SET access_policy_at = excluded.access_policy_at`);
    this.scriptStmt = db.prepare<[string], { access_policy_at: string }>(
      'SELECT access_policy_at FROM setup_scripts WHERE partner_id = ?',
    );
  }

  async save(record: SetupCheckRecord): Promise<void> {
    this.saveStmt.run({
      partnerId: record.partnerId,
      checkedAt: record.checkedAt,
      operators: JSON.stringify(record.operators),
      result: JSON.stringify(record.result),
    });
  }

  async get(partnerId: string): Promise<SetupCheckRecord | null> {
    const row = this.getStmt.get(partnerId);
    return row
      ? {
          partnerId: row.partner_id,
          checkedAt: row.checked_at,
          operators: JSON.parse(row.operators) as SetupCheckRecord['operators'],
          result: JSON.parse(row.result) as unknown,
        }
      : null;
  }

  async noteAccessPolicyScript(partnerId: string, at: string): Promise<void> {
    this.noteStmt.run(partnerId, at);
  }

  async accessPolicyScriptAt(partnerId: string): Promise<string | null> {
    return this.scriptStmt.get(partnerId)?.access_policy_at ?? null;
  }
}
