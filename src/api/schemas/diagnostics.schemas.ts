import { z } from 'zod';
import { GUID_PATTERN } from './common';

const identity = z
  .record(
    z.string().max(64, 'Identity field names are at most 64 characters.'),
    z
      .string({ error: 'Identity values must be strings.' })
      .max(1024, 'Identity values are at most 1024 characters.'),
    { error: 'Each operator must be an object of identity fields, e.g. { "email": "..." }.' },
  )
  .refine(
    (v) => Object.keys(v).length >= 1 && Object.keys(v).length <= 50,
    'An operator has 1 to 50 identity fields.',
  );

const operators = z
  .array(identity, { error: 'operators must be an array.' })
  .max(50, 'At most 50 operators at once.');

/**
 * Body of access-policy-script: the advisers to grant, and/or an Entra security group of advisers
 * (`groupId`, its object id) with the grant's `rank`.
 */
export const accessPolicyScriptBodySchema = z
  .strictObject({
    operators: operators.optional(),
    groupId: z
      .string({ error: 'groupId must be a string.' })
      .regex(GUID_PATTERN, {
        error: "groupId must be the group's Object ID (a GUID) from Entra ID > Groups.",
      })
      .optional(),
    rank: z
      .number({ error: 'rank must be a whole number.' })
      .int('rank must be a whole number.')
      .min(1, 'rank is at least 1 (1 wins over other group grants).')
      .max(1000, 'rank is at most 1000.')
      .optional(),
  })
  .optional()
  .transform((body) => ({
    operators: body?.operators ?? [],
    group: body?.groupId === undefined ? undefined : { groupId: body.groupId, rank: body.rank ?? 1 },
  }));

/** Body of verify: optional; without `operators` the advisers of the last check are checked again. */
export const verifyBodySchema = z
  .strictObject({
    operators: z
      .array(identity, { error: 'operators must be an array.' })
      .max(50, 'At most 50 operators at once.')
      .optional(),
  })
  .optional()
  .transform((body) => body?.operators);
