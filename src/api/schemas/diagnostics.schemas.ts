import { z } from 'zod';

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

/** Body of verify and access-policy-script: optional, with the operators to check or grant. */
export const operatorsBodySchema = z
  .strictObject({
    operators: z
      .array(identity, { error: 'operators must be an array.' })
      .max(50, 'At most 50 operators at once.')
      .optional(),
  })
  .optional()
  .transform((body) => body?.operators ?? []);
