/** A webhook of TARGETconnect's, and its deliveries: one per event it wanted. */
import type { EventType } from './event.record';

export interface WebhookRecord {
  id: string;
  /** null: an admin webhook, for every partner's events. */
  partnerId: string | null;
  url: string;
  /** The types it wants, or `['*']`. */
  events: string[];
  description: string | null;
  enabled: boolean;
  /** Why the service disabled it (a 410), for the person who looks. */
  disabledReason: string | null;
  /** `whsec_…` sealed under SECRETS_KEY with the webhook id as associated data. */
  secretCiphertext: string;
  /** The secret before the last rotation: deliveries are signed with both until it expires. */
  previousSecretCiphertext: string | null;
  previousSecretExpiresAt: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface DeliveryRecord {
  webhookId: string;
  eventId: string;
  type: EventType;
  partnerId: string | null;
  status: DeliveryStatus;
  /** Attempts made so far. */
  attempts: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  responseStatus: number | null;
  error: string | null;
  /** When the event was recorded (how long it has waited). */
  createdAt: string;
  updatedAt: string;
}

/** A delivery leased for one attempt, with what it needs to send it. */
export interface DueDelivery {
  delivery: DeliveryRecord;
  webhook: WebhookRecord;
  /** The event's body as recorded. */
  body: string;
}
