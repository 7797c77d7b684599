import { z } from 'zod';
import { EVENT_TYPES } from '../../domain/events/event.record';
import { partnerIdSchema } from './common';

const eventType = z.enum([...EVENT_TYPES, '*'], {
  error: `each event must be one of ${[...EVENT_TYPES, '*'].join(', ')}`,
});

const url = z
  .string({ error: 'url must be a string' })
  .min(1, 'url must not be empty')
  .max(2000, 'url must be at most 2000 characters');

const events = z
  .array(eventType, { error: 'events must be a list of event types, or ["*"]' })
  .min(1, 'events must name at least one event type, or "*"')
  .max(EVENT_TYPES.length + 1);

const description = z.string().max(500, 'description must be at most 500 characters');

export const webhookCreateSchema = z.strictObject({
  url,
  events,
  description: description.optional(),
  partnerId: partnerIdSchema.optional(),
});

export const webhookPatchSchema = z
  .strictObject({
    url: url.optional(),
    events: events.optional(),
    description: description.nullable().optional(),
    enabled: z.boolean({ error: 'enabled must be true or false' }).optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, {
    message: 'Send at least one of url, events, description, enabled.',
  });

/** Webhook ids are the `wh_…` ids that POST /webhooks answers. */
export const webhookIdSchema = z
  .string()
  .regex(/^wh_[A-Za-z0-9_-]{16}$/, 'webhookId is the id (wh_…) that POST or GET /webhooks gave.');
export const eventIdSchema = z
  .string()
  .regex(/^evt_[A-Za-z0-9_-]{22}$/, 'eventId is the id (evt_…) of an event, as the deliveries list it.');

export const webhookParamsSchema = z.object({ webhookId: webhookIdSchema });
export const deliveryParamsSchema = z.object({ webhookId: webhookIdSchema, eventId: eventIdSchema });
export const webhookListQuerySchema = z.strictObject({ partnerId: partnerIdSchema.optional() });
export const deliveriesQuerySchema = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'limit must be a whole number from 1 to 100')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 100, 'limit must be a whole number from 1 to 100')
    .optional(),
});
