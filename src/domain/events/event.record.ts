/**
 * What the service tells TARGETconnect (API.md "Events to TARGETconnect"): an event, recorded in
 * the store with the change it reports, and sent to every webhook that wants it.
 */
import { randomBytes } from 'node:crypto';

export const EVENT_TYPES = [
  'meeting.created',
  'meeting.updated',
  'meeting.cancelled',
  'attendance.ready',
  'partner.setup_problem',
  'webhook.test',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface OutboundEvent {
  /** `evt_…`: the `webhook-id` of every attempt, what a receiver dedupes on. */
  id: string;
  type: EventType;
  /** null only for the test of an admin webhook (one for every partner). */
  partnerId: string | null;
  createdAt: string;
  data: unknown;
  /** Sent to this webhook only (`webhook.test`); otherwise to every webhook that wants the type. */
  webhookId?: string;
  /** An event that must exist once (an attendance report, a setup problem a day): the second is dropped. */
  dedupeKey?: string;
}

/** base64url's 64 characters in byte order, so that ids compare as they were made. */
const SORTED = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';

/**
 * `evt_` and 22 characters of base64url's alphabet: the millisecond it was made (8 characters,
 * 48 bits) and 84 random bits. Made in time order, the ids go into the indexes that hold them
 * (events, deliveries) at their end: random ids scattered every insert over the whole index,
 * 105 µs an event with its delivery at 160,000 events against 42 (docs/BENCHMARKS.md).
 */
export function newEventId(now = Date.now()): string {
  let id = '';
  for (let t = now, i = 0; i < 8; i += 1, t = Math.floor(t / 64)) id = SORTED[t % 64]! + id;
  for (const byte of randomBytes(14)) id += SORTED[byte & 63]!;
  return `evt_${id}`;
}

/** The body every attempt sends, byte for byte (it is what the signature covers). */
export function eventBody(event: OutboundEvent): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    createdAt: event.createdAt,
    partnerId: event.partnerId,
    data: event.data,
  });
}

/** The webhook's `events` as stored: space-delimited with a space at each end (one SQL match). */
export function eventFilterOf(types: readonly string[]): string {
  return ` ${types.join(' ')} `;
}

export function typesOfFilter(filter: string): string[] {
  return filter.trim().split(' ').filter(Boolean);
}
