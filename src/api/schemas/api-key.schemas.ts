import { z } from 'zod';
import { guidSchema, partnerIdSchema } from './common';

/** Key ids are the UUIDs that POST /partners/{partnerId}/api-keys answers. */
export const keyIdSchema = guidSchema(
  'keyId is the id (a UUID) that POST or GET /partners/{partnerId}/api-keys gave.',
);
export const keyParamsSchema = z.object({ partnerId: partnerIdSchema, keyId: keyIdSchema });
