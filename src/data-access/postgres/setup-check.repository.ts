import type { Queryable } from './measured-pool';
import type { SetupCheckRecord, SetupCheckRepository } from '../../domain/setup/setup-check.port';

interface Row {
  partner_id: string;
  checked_at: string;
  operators: unknown;
  result: unknown;
}

export class PostgresSetupCheckRepository implements SetupCheckRepository {
  constructor(private readonly pool: Queryable) {}

  async save(record: SetupCheckRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO setup_checks (partner_id, checked_at, operators, result) VALUES ($1, $2, $3::json, $4::json)
       ON CONFLICT (partner_id) DO UPDATE SET checked_at = excluded.checked_at,
         operators = excluded.operators, result = excluded.result`,
      [record.partnerId, record.checkedAt, JSON.stringify(record.operators), JSON.stringify(record.result)],
    );
  }

  async get(partnerId: string): Promise<SetupCheckRecord | null> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM setup_checks WHERE partner_id = $1', [
      partnerId,
    ]);
    const row = rows[0];
    return row
      ? {
          partnerId: row.partner_id,
          checkedAt: row.checked_at,
          operators: row.operators as SetupCheckRecord['operators'],
          result: row.result,
        }
      : null;
  }

  async noteAccessPolicyScript(partnerId: string, at: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO setup_scripts (partner_id, access_policy_at) VALUES ($1, $2)
       ON CONFLICT (partner_id) DO UPDATE SET access_policy_at = excluded.access_policy_at`,
      [partnerId, at],
    );
  }

  async accessPolicyScriptAt(partnerId: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ access_policy_at: string }>(
      'SELECT access_policy_at FROM setup_scripts WHERE partner_id = $1',
      [partnerId],
    );
    return rows[0]?.access_policy_at ?? null;
  }
}
