/**
 * Webhook and delivery rows as both engines return them, and the SQL that matches an event to
 * the webhooks that want it (the same text on both: `{p}` becomes a placeholder).
 */
import type { EventType } from '../domain/events/event.record';
import { typesOfFilter } from '../domain/events/event.record';
import type { DeliveryRecord, DeliveryStatus, WebhookRecord } from '../domain/events/webhook.record';

export interface WebhookRow {
  id: string;
  partner_id: string | null;
  url: string;
  events: string;
  description: string | null;
  enabled: number | boolean;
  disabled_reason: string | null;
  secret_ciphertext: string;
  previous_secret_ciphertext: string | null;
  previous_secret_expires_at: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

export function webhookFromRow(row: WebhookRow): WebhookRecord {
  return {
    id: row.id,
    partnerId: row.partner_id,
    url: row.url,
    events: typesOfFilter(row.events),
    description: row.description,
    enabled: row.enabled === true || row.enabled === 1,
    disabledReason: row.disabled_reason,
    secretCiphertext: row.secret_ciphertext,
    previousSecretCiphertext: row.previous_secret_ciphertext,
    previousSecretExpiresAt: row.previous_secret_expires_at,
    version: Number(row.version),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface DeliveryRow {
  webhook_id: string;
  event_id: string;
  type: string;
  partner_id: string | null;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  response_status: number | null;
  error: string | null;
  created_at: string;
  updated_at: string;
}

export function deliveryFromRow(row: DeliveryRow): DeliveryRecord {
  return {
    webhookId: row.webhook_id,
    eventId: row.event_id,
    type: row.type as EventType,
    partnerId: row.partner_id,
    status: row.status as DeliveryStatus,
    attempts: Number(row.attempts),
    nextAttemptAt: row.next_attempt_at,
    lastAttemptAt: row.last_attempt_at,
    responseStatus: row.response_status === null ? null : Number(row.response_status),
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A delivery's columns with its event's type and partner (the event's created_at is the delivery's). */
export const DELIVERY_COLUMNS = `d.webhook_id, d.event_id, e.type, e.partner_id, d.status, d.attempts,
  d.next_attempt_at, d.last_attempt_at, d.response_status, d.error, d.created_at, d.updated_at`;

/**
 * The webhooks an event goes to: its target alone (`webhook.test`, enabled or not), or else the
 * enabled webhooks of its partner and the admin's (partner_id NULL) whose filter holds the type or
 * '*'. `partner`, `type` and `target` are the placeholders' SQL (typed, for PostgreSQL).
 */
export function wantingWebhooks(
  partner: string,
  type: string,
  target: string,
  engine: 'sqlite' | 'postgres',
) {
  const has = (needle: string) =>
    engine === 'sqlite' ? `instr(w.events, ${needle}) > 0` : `strpos(w.events, ${needle}) > 0`;
  return `(${target} IS NOT NULL AND w.id = ${target}
    OR ${target} IS NULL AND w.enabled = ${engine === 'sqlite' ? '1' : 'true'}
      AND (w.partner_id = ${partner} OR w.partner_id IS NULL)
      AND (${has(`' * '`)} OR ${has(`' ' || ${type} || ' '`)}))`;
}

/** The webhook's columns beside a delivery's, prefixed (`w_…`). */
export const WEBHOOK_AS = `w.id AS w_id, w.partner_id AS w_partner_id, w.url AS w_url, w.events AS w_events,
  w.description AS w_description, w.enabled AS w_enabled, w.disabled_reason AS w_disabled_reason,
  w.secret_ciphertext AS w_secret_ciphertext, w.previous_secret_ciphertext AS w_previous_secret_ciphertext,
  w.previous_secret_expires_at AS w_previous_secret_expires_at, w.version AS w_version,
  w.created_at AS w_created_at, w.updated_at AS w_updated_at`;

export type WebhookRowAs = { [K in keyof WebhookRow as `w_${K & string}`]: WebhookRow[K] };

export function webhookOf(row: WebhookRowAs): WebhookRecord {
  const plain = Object.fromEntries(
    Object.entries(row)
      .filter(([key]) => key.startsWith('w_'))
      .map(([key, value]) => [key.slice(2), value]),
  ) as unknown as WebhookRow;
  return webhookFromRow(plain);
}
