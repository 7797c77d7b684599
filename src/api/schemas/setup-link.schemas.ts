import { z } from 'zod';
import { guidSchema, partnerIdSchema } from './common';

/** Link ids are the UUIDs that POST /partners/{partnerId}/setup-links answers. */
export const linkIdSchema = guidSchema(
  'linkId is the id (a UUID) that POST or GET /partners/{partnerId}/setup-links gave.',
);
export const linkParamsSchema = z.object({ partnerId: partnerIdSchema, linkId: linkIdSchema });
export const setupLinkCreateSchema = z.strictObject({
  expiresInHours: z
    .number({ error: 'expiresInHours must be a whole number of hours.' })
    .int('expiresInHours must be a whole number of hours.')
    .min(1, 'expiresInHours must be between 1 and 720 (30 days).')
    .max(720, 'expiresInHours must be between 1 and 720 (30 days).')
    .optional(),
});
