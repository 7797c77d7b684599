import type Database from 'better-sqlite3';
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
import type { WriteBatcher } from './write-batcher';

const toParams = (record: WebhookRecord) => ({
  ...record,
  events: eventFilterOf(record.events),
  enabled: record.enabled ? 1 : 0,
});

export class SqliteWebhookRepository implements WebhookRepository {
  private readonly getStmt;
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly deleteStmt;
  private readonly wantsStmt;

  constructor(private readonly db: Database.Database) {
    this.getStmt = db.prepare<[string], WebhookRow>('SELECT * FROM webhooks WHERE id = ?');
    this.insertStmt = db.prepare(`
      INSERT INTO webhooks (id, partner_id, url, events, description, enabled, disabled_reason,
        secret_ciphertext, previous_secret_ciphertext, previous_secret_expires_at, version, created_at, updated_at)
      VALUES (@id, @partnerId, @url, @events, @description, @enabled, @disabledReason, @secretCiphertext,
        @previousSecretCiphertext, @previousSecretExpiresAt, @version, @createdAt, @updatedAt)`);
    this.updateStmt = db.prepare(`
      UPDATE webhooks SET url = @url, events = @events, description = @description, enabled = @enabled,
        disabled_reason = @disabledReason, secret_ciphertext = @secretCiphertext,
        previous_secret_ciphertext = @previousSecretCiphertext,
        previous_secret_expires_at = @previousSecretExpiresAt, version = @version, updated_at = @updatedAt
      WHERE id = @id AND version = @expectedVersion`);
    this.deleteStmt = db.prepare('DELETE FROM webhooks WHERE id = ?');
    this.wantsStmt = db.prepare<{ partner: string; type: string; target: null }, { one: number }>(
      `SELECT 1 AS one FROM webhooks w WHERE ${wantingWebhooks('@partner', '@type', '@target', 'sqlite')} LIMIT 1`,
    );
  }

  async insert(record: WebhookRecord): Promise<void> {
    this.insertStmt.run(toParams(record));
  }

  async get(id: string): Promise<WebhookRecord | null> {
    const row = this.getStmt.get(id);
    return row ? webhookFromRow(row) : null;
  }

  async list(partnerId?: string | null): Promise<WebhookRecord[]> {
    const rows =
      partnerId === undefined
        ? this.db.prepare<[], WebhookRow>('SELECT * FROM webhooks ORDER BY created_at, id').all()
        : partnerId === null
          ? this.db
              .prepare<[], WebhookRow>(
                'SELECT * FROM webhooks WHERE partner_id IS NULL ORDER BY created_at, id',
              )
              .all()
          : this.db
              .prepare<[string], WebhookRow>(
                'SELECT * FROM webhooks WHERE partner_id = ? ORDER BY created_at, id',
              )
              .all(partnerId);
    return rows.map(webhookFromRow);
  }

  async update(record: WebhookRecord, expectedVersion: number): Promise<boolean> {
    return this.updateStmt.run({ ...toParams(record), expectedVersion }).changes > 0;
  }

  async delete(id: string): Promise<boolean> {
    return this.deleteStmt.run(id).changes > 0;
  }

  async wants(partnerId: string, type: string): Promise<boolean> {
    return this.wantsStmt.get({ partner: partnerId, type, target: null }) !== undefined;
  }
}

/** The outbox. Its writes go through the group commit, as the meetings' do. */
export class SqliteOutboxRepository implements OutboxRepository {
  private readonly insertEventStmt;
  private readonly insertDeliveriesStmt;
  private readonly claimStmt;
  private readonly dueStmt;
  private readonly finishStmt;
  private readonly listStmt;
  private readonly oneStmt;
  private readonly retryStmt;
  private readonly waitingStmt;
  private readonly pruneStmt;

  constructor(
    db: Database.Database,
    private readonly writes: WriteBatcher,
  ) {
    const match = wantingWebhooks('@partnerId', '@type', '@webhookId', 'sqlite');
    this.insertEventStmt = db.prepare(`
      INSERT INTO events (id, partner_id, type, dedupe_key, payload, created_at)
      SELECT @id, @partnerId, @type, @dedupeKey, @payload, @createdAt
      WHERE EXISTS (SELECT 1 FROM webhooks w WHERE ${match})
      ON CONFLICT DO NOTHING`);
    this.insertDeliveriesStmt = db.prepare(`
      INSERT INTO webhook_deliveries (webhook_id, event_id, status, attempts, next_attempt_at, created_at, updated_at)
      SELECT w.id, @id, 'pending', 0, @dueAt, @createdAt, @createdAt FROM webhooks w WHERE ${match}`);
    this.claimStmt = db.prepare<
      { now: string; owner: string; until: string; limit: number },
      { rid: number }
    >(`
      UPDATE webhook_deliveries SET lease_owner = @owner, lease_expires_at = @until
      WHERE rowid IN (
        SELECT rowid FROM webhook_deliveries
        WHERE status = 'pending' AND next_attempt_at <= @now
          AND (lease_expires_at IS NULL OR lease_expires_at <= @now)
        ORDER BY next_attempt_at LIMIT @limit)
      RETURNING rowid AS rid`);
    // The claimed rows with their events and webhooks in one statement (by rowid; one lookup per
    // row was a third of a delivery's store time).
    this.dueStmt = db.prepare<[string], DeliveryRow & WebhookRowAs & { payload: string }>(`
      SELECT ${DELIVERY_COLUMNS}, e.payload, ${WEBHOOK_AS}
      FROM webhook_deliveries d JOIN events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id
      WHERE d.rowid IN (SELECT value FROM json_each(?))`);
    this.finishStmt = db.prepare(`
      UPDATE webhook_deliveries SET status = @status, attempts = @attempts, next_attempt_at = @nextAttemptAt,
        last_attempt_at = @lastAttemptAt, response_status = @responseStatus, error = @error,
        updated_at = @updatedAt, lease_owner = NULL, lease_expires_at = NULL
      WHERE webhook_id = @webhookId AND event_id = @eventId AND lease_owner = @owner`);
    this.listStmt = db.prepare<[string, number], DeliveryRow>(`
      SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
      WHERE d.webhook_id = ? ORDER BY d.created_at DESC, e.seq DESC LIMIT ?`);
    this.oneStmt = db.prepare<[string, string], DeliveryRow>(`
      SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
      WHERE d.webhook_id = ? AND d.event_id = ?`);
    this.retryStmt = db.prepare(`
      UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = @now, updated_at = @now,
        lease_owner = NULL, lease_expires_at = NULL
      WHERE webhook_id = @webhookId AND event_id = @eventId`);
    this.waitingStmt = db.prepare<[], { count: number; oldest: string | null }>(
      "SELECT count(*) AS count, min(created_at) AS oldest FROM webhook_deliveries WHERE status = 'pending'",
    );
    this.pruneStmt = db.prepare(`
      DELETE FROM events WHERE created_at < ?
        AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = events.id AND d.status = 'pending')`);
  }

  /** Inside a write of the group commit: the event and its deliveries, or nothing. */
  recordNow(event: OutboundEvent, dueAt: string, payload: string): boolean {
    const match = {
      id: event.id,
      partnerId: event.partnerId,
      type: event.type,
      webhookId: event.webhookId ?? null,
      createdAt: event.createdAt,
    };
    const inserted = this.insertEventStmt.run({ ...match, dedupeKey: event.dedupeKey ?? null, payload });
    if (inserted.changes === 0) return false;
    this.insertDeliveriesStmt.run({ ...match, dueAt });
    return true;
  }

  async record(event: OutboundEvent, dueAt: string): Promise<boolean> {
    const payload = eventBody(event);
    return this.writes.run(() => this.recordNow(event, dueAt, payload));
  }

  async claimDue(now: string, owner: string, leaseUntil: string, limit: number): Promise<DueDelivery[]> {
    const claimed = await this.writes.run(() => this.claimStmt.all({ now, owner, until: leaseUntil, limit }));
    if (claimed.length === 0) return [];
    return this.dueStmt
      .all(JSON.stringify(claimed.map((row) => row.rid)))
      .map((row) => ({ delivery: deliveryFromRow(row), webhook: webhookOf(row), body: row.payload }));
  }

  async finish(delivery: DeliveryRecord, owner: string): Promise<boolean> {
    const params = {
      webhookId: delivery.webhookId,
      eventId: delivery.eventId,
      status: delivery.status,
      attempts: delivery.attempts,
      nextAttemptAt: delivery.nextAttemptAt,
      lastAttemptAt: delivery.lastAttemptAt,
      responseStatus: delivery.responseStatus,
      error: delivery.error,
      updatedAt: delivery.updatedAt,
      owner,
    };
    return this.writes.run(() => this.finishStmt.run(params).changes > 0);
  }

  async deliveries(webhookId: string, limit: number): Promise<DeliveryRecord[]> {
    return this.listStmt.all(webhookId, limit).map(deliveryFromRow);
  }

  async retryNow(webhookId: string, eventId: string, now: string): Promise<DeliveryRecord | null> {
    const changed = await this.writes.run(() => this.retryStmt.run({ webhookId, eventId, now }).changes);
    if (changed === 0) return null;
    const row = this.oneStmt.get(webhookId, eventId);
    return row ? deliveryFromRow(row) : null;
  }

  async waiting(): Promise<{ count: number; oldestCreatedAt: string | null }> {
    const row = this.waitingStmt.get()!;
    return { count: Number(row.count), oldestCreatedAt: row.oldest };
  }

  async prune(before: string): Promise<number> {
    return this.writes.run(() => this.pruneStmt.run(before).changes);
  }
}
