/**
 * `POST /partners/{partnerId}/certificates`: `{}` or `{ validityDays }` makes a certificate here;
 * `{ certificatePem, privateKeyPem, privateKeyPassphrase? }` imports one.
 */
import { z } from 'zod';
import { guidSchema, partnerIdSchema } from './common';

const PEM_MAX = 20_000;

export const certificateCreateSchema = z
  .strictObject({
    validityDays: z
      .number({ error: 'validityDays must be a whole number of days.' })
      .int('validityDays must be a whole number of days.')
      .min(30, 'validityDays is at least 30.')
      .max(730, 'validityDays is at most 730 (two years).'),
    certificatePem: z
      .string({ error: 'certificatePem must be a string.' })
      .min(1, 'certificatePem must not be empty.')
      .max(PEM_MAX, `certificatePem is at most ${PEM_MAX} characters.`),
    privateKeyPem: z
      .string({ error: 'privateKeyPem must be a string.' })
      .min(1, 'privateKeyPem must not be empty.')
      .max(PEM_MAX, `privateKeyPem is at most ${PEM_MAX} characters.`),
    privateKeyPassphrase: z
      .string({ error: 'privateKeyPassphrase must be a string.' })
      .max(1024, 'privateKeyPassphrase is at most 1024 characters.'),
  })
  .partial()
  .superRefine((value, ctx) => {
    const importing = value.certificatePem !== undefined || value.privateKeyPem !== undefined;
    if (importing && (value.certificatePem === undefined || value.privateKeyPem === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [value.certificatePem === undefined ? 'certificatePem' : 'privateKeyPem'],
        message: 'An import needs both certificatePem and privateKeyPem.',
      });
    }
    if (importing && value.validityDays !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['validityDays'],
        message: 'validityDays is for a certificate made here; an imported one keeps its own dates.',
      });
    }
    if (!importing && value.privateKeyPassphrase !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['privateKeyPassphrase'],
        message: 'privateKeyPassphrase goes with privateKeyPem.',
      });
    }
  });

export const certificateIdSchema = guidSchema(
  'certificateId is the id (a UUID) that POST or GET /partners/{partnerId}/certificates gave.',
);
export const certificateParamsSchema = z.object({
  partnerId: partnerIdSchema,
  certificateId: certificateIdSchema,
});
