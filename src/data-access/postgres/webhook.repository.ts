import type { Queryable } from './measured-pool';
import { TurnBatch } from './turn-batch';
import { eventBody, eventFilterOf, type OutboundEvent } from '../../domain/events/event.record';
import type { OutboxRepository, WebhookRepository } from '../../domain/events/events.port';
import type { DeliveryRecord, DueDelivery, WebhookRecord } from '../../domain/events/webhook.record';
import {
  DELIVERY_COLUMNS,
  WEBHOOK_AS,
  deliveryFromRow,
  wantingWebhooks,
  webhookFromRow,
  webhookOf,
  type DeliveryRow,
  type WebhookRow,
  type WebhookRowAs,
} from '../webhook-rows';

const COLUMNS = `id, partner_id, url, events, description, enabled, disabled_reason, secret_ciphertext,
  previous_secret_ciphertext, previous_secret_expires_at, version, created_at, updated_at`;

const params = (r: WebhookRecord): unknown[] => [
  r.id,
  r.partnerId,
  r.url,
  eventFilterOf(r.events),
  r.description,
  r.enabled,
  r.disabledReason,
  r.secretCiphertext,
  r.previousSecretCiphertext,
  r.previousSecretExpiresAt,
  r.version,
  r.createdAt,
  r.updatedAt,
];

export class PostgresWebhookRepository implements WebhookRepository {
  constructor(private readonly pool: Queryable) {}

  async insert(record: WebhookRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO webhooks (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      params(record),
    );
  }

  async get(id: string): Promise<WebhookRecord | null> {
    const { rows } = await this.pool.query<WebhookRow>('SELECT * FROM webhooks WHERE id = $1', [id]);
    return rows[0] ? webhookFromRow(rows[0]) : null;
  }

  async list(partnerId?: string | null): Promise<WebhookRecord[]> {
    const { rows } =
      partnerId === undefined
        ? await this.pool.query<WebhookRow>('SELECT * FROM webhooks ORDER BY created_at, id')
        : partnerId === null
          ? await this.pool.query<WebhookRow>(
              'SELECT * FROM webhooks WHERE partner_id IS NULL ORDER BY created_at, id',
            )
          : await this.pool.query<WebhookRow>(
              'SELECT * FROM webhooks WHERE partner_id = $1 ORDER BY created_at, id',
              [partnerId],
            );
    return rows.map(webhookFromRow);
  }

  async update(r: WebhookRecord, expectedVersion: number): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE webhooks SET url = $2, events = $3, description = $4, enabled = $5, disabled_reason = $6,
         secret_ciphertext = $7, previous_secret_ciphertext = $8, previous_secret_expires_at = $9,
         version = $10, updated_at = $11
       WHERE id = $1 AND version = $12`,
      [
        r.id,
        r.url,
        eventFilterOf(r.events),
        r.description,
        r.enabled,
        r.disabledReason,
        r.secretCiphertext,
        r.previousSecretCiphertext,
        r.previousSecretExpiresAt,
        r.version,
        r.updatedAt,
        expectedVersion,
      ],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM webhooks WHERE id = $1', [id]);
    return (result.rowCount ?? 0) > 0;
  }

  async wants(partnerId: string, type: string): Promise<boolean> {
    const { rows } = await this.pool.query(
      `SELECT 1 FROM webhooks w WHERE ${wantingWebhooks('$1::text', '$2::text', 'NULL::text', 'postgres')} LIMIT 1`,
      [partnerId, type],
    );
    return rows.length > 0;
  }
}

/**
 * The event and its deliveries after the placeholders `from` … `from + 6` (id, partner, type,
 * target, dedupe key, payload, created at) and the due time at `from + 7`, as two CTEs named
 * `e` and `d`; `guard` is a condition the event's insert also needs (a meeting's update happened).
 */
export function recordEventCtes(from: number, guard = 'true'): string {
  const p = (offset: number) => `$${from + offset}`;
  const match = wantingWebhooks(`${p(1)}::text`, `${p(2)}::text`, `${p(3)}::text`, 'postgres');
  return `e AS (
      INSERT INTO events (id, partner_id, type, dedupe_key, payload, created_at)
      SELECT ${p(0)}, ${p(1)}, ${p(2)}, ${p(4)}, ${p(5)}, ${p(6)}
      WHERE ${guard} AND EXISTS (SELECT 1 FROM webhooks w WHERE ${match})
      ON CONFLICT DO NOTHING
      RETURNING id),
    d AS (
      INSERT INTO webhook_deliveries (webhook_id, event_id, status, attempts, next_attempt_at, created_at, updated_at)
      SELECT w.id, e.id, 'pending', 0, ${p(7)}, ${p(6)}, ${p(6)} FROM e CROSS JOIN webhooks w WHERE ${match})`;
}

export function eventParams(event: OutboundEvent, dueAt: string): unknown[] {
  return [
    event.id,
    event.partnerId,
    event.type,
    event.webhookId ?? null,
    event.dedupeKey ?? null,
    eventBody(event),
    event.createdAt,
    dueAt,
  ];
}

const RECORD = `WITH ${recordEventCtes(1)} SELECT count(*)::int AS recorded FROM e`;

const CLAIM = `
  WITH due AS (
    SELECT webhook_id, event_id FROM webhook_deliveries
    WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_expires_at IS NULL OR lease_expires_at <= $1)
    ORDER BY next_attempt_at LIMIT $4
    FOR UPDATE SKIP LOCKED),
  claimed AS (
    UPDATE webhook_deliveries d SET lease_owner = $2, lease_expires_at = $3
    FROM due WHERE d.webhook_id = due.webhook_id AND d.event_id = due.event_id
    RETURNING d.*)
  SELECT ${DELIVERY_COLUMNS}, e.payload, ${WEBHOOK_AS}
  FROM claimed d JOIN events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id`;

/** Outcomes written together: one row of arrays per column, matched on the delivery and its lease. */
const FINISH = `
  UPDATE webhook_deliveries d SET status = f.status, attempts = f.attempts, next_attempt_at = f.next_attempt_at,
    last_attempt_at = f.last_attempt_at, response_status = f.response_status, error = f.error,
    updated_at = f.updated_at, lease_owner = NULL, lease_expires_at = NULL
  FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::int[], $8::text[],
    $9::text[], $10::text[])
    AS f(webhook_id, event_id, status, attempts, next_attempt_at, last_attempt_at, response_status, error,
      updated_at, owner)
  WHERE d.webhook_id = f.webhook_id AND d.event_id = f.event_id AND d.lease_owner = f.owner
  RETURNING d.webhook_id, d.event_id`;

export class PostgresOutboxRepository implements OutboxRepository {
  /**
   * Outcomes written during this turn of the event loop, as one statement when it ends: a
   * delivery's outcome is one row of a few dozen answered in the same turn at this rate, and a
   * statement each took a pool connection each. Each resolves once its row is written.
   */
  private readonly finishes = new TurnBatch<{ delivery: DeliveryRecord; owner: string }, boolean>(
    async (items) => {
      const column = <T>(of: (d: DeliveryRecord, owner: string) => T) =>
        items.map(({ delivery, owner }) => of(delivery, owner));
      const { rows } = await this.pool.query<{ webhook_id: string; event_id: string }>(FINISH, [
        column((d) => d.webhookId),
        column((d) => d.eventId),
        column((d) => d.status),
        column((d) => d.attempts),
        column((d) => d.nextAttemptAt),
        column((d) => d.lastAttemptAt),
        column((d) => d.responseStatus),
        column((d) => d.error),
        column((d) => d.updatedAt),
        column((_, owner) => owner),
      ]);
      const written = new Set(rows.map((row) => `${row.webhook_id} ${row.event_id}`));
      return items.map(({ delivery }) => written.has(`${delivery.webhookId} ${delivery.eventId}`));
    },
  );

  constructor(private readonly pool: Queryable) {}

  async record(event: OutboundEvent, dueAt: string): Promise<boolean> {
    const { rows } = await this.pool.query<{ recorded: number }>(RECORD, eventParams(event, dueAt));
    return (rows[0]?.recorded ?? 0) > 0;
  }

  async claimDue(now: string, owner: string, leaseUntil: string, limit: number): Promise<DueDelivery[]> {
    const { rows } = await this.pool.query<DeliveryRow & WebhookRowAs & { payload: string }>(CLAIM, [
      now,
      owner,
      leaseUntil,
      limit,
    ]);
    return rows.map((row) => ({
      delivery: deliveryFromRow(row),
      webhook: webhookOf(row),
      body: row.payload,
    }));
  }

  async finish(delivery: DeliveryRecord, owner: string): Promise<boolean> {
    return this.finishes.ask({ delivery, owner });
  }

  async deliveries(webhookId: string, limit: number): Promise<DeliveryRecord[]> {
    const { rows } = await this.pool.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
       WHERE d.webhook_id = $1 ORDER BY d.created_at DESC, e.seq DESC LIMIT $2`,
      [webhookId, limit],
    );
    return rows.map(deliveryFromRow);
  }

  async retryNow(webhookId: string, eventId: string, now: string): Promise<DeliveryRecord | null> {
    const { rows } = await this.pool.query<DeliveryRow>(
      `WITH d AS (
         UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3, updated_at = $3,
           lease_owner = NULL, lease_expires_at = NULL
         WHERE webhook_id = $1 AND event_id = $2 RETURNING *)
       SELECT ${DELIVERY_COLUMNS} FROM d JOIN events e ON e.id = d.event_id`,
      [webhookId, eventId, now],
    );
    return rows[0] ? deliveryFromRow(rows[0]) : null;
  }

  async waiting(): Promise<{ count: number; oldestCreatedAt: string | null }> {
    const { rows } = await this.pool.query<{ count: number; oldest: string | null }>(
      "SELECT count(*)::int AS count, min(created_at) AS oldest FROM webhook_deliveries WHERE status = 'pending'",
    );
    return { count: Number(rows[0]?.count ?? 0), oldestCreatedAt: rows[0]?.oldest ?? null };
  }

  async prune(before: string): Promise<number> {
    const result = await this.pool.query(
      `DELETE FROM events WHERE created_at < $1
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = events.id AND d.status = 'pending')`,
      [before],
    );
    return result.rowCount ?? 0;
  }
}
