/**
 * What the events capability needs from storage: webhooks, and the outbox of events with their
 * deliveries. Recording an event writes its deliveries in the same transaction, so that a crash
 * after the change it reports loses none.
 */
import type { OutboundEvent } from './event.record';
import type { DeliveryRecord, DueDelivery, WebhookRecord } from './webhook.record';

export interface WebhookRepository {
  insert(record: WebhookRecord): Promise<void>;
  get(id: string): Promise<WebhookRecord | null>;
  /** `partnerId` undefined: every webhook; null: the admin's (every partner's); else that partner's. */
  list(partnerId?: string | null): Promise<WebhookRecord[]>;
  /** Writes `record` if the stored version is still `expectedVersion`. */
  update(record: WebhookRecord, expectedVersion: number): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  /** Whether an enabled webhook wants this partner's events of this type. */
  wants(partnerId: string, type: string): Promise<boolean>;
}

export interface OutboxRepository {
  /**
   * Records the event with one pending delivery, due `dueAt`, per enabled webhook that wants it
   * (or only its target). false when none wants it, or an event of its dedupe key exists.
   */
  record(event: OutboundEvent, dueAt: string): Promise<boolean>;
  /** Leases up to `limit` due deliveries to `owner` until `leaseUntil` (one instance sends each attempt). */
  claimDue(now: string, owner: string, leaseUntil: string, limit: number): Promise<DueDelivery[]>;
  /** Writes an attempt's outcome and gives the lease back, if `owner` still holds it. */
  finish(delivery: DeliveryRecord, owner: string): Promise<boolean>;
  /** The webhook's deliveries, newest event first. */
  deliveries(webhookId: string, limit: number): Promise<DeliveryRecord[]>;
  /** Makes a delivery due now again (also a succeeded or failed one); null when there is none. */
  retryNow(webhookId: string, eventId: string, now: string): Promise<DeliveryRecord | null>;
  /** Pending deliveries, and when the oldest one's event was recorded. */
  waiting(): Promise<{ count: number; oldestCreatedAt: string | null }>;
  /** Forgets events (and their deliveries) recorded before `before` that nothing waits for. */
  prune(before: string): Promise<number>;
}
