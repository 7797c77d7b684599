/**
 * The meeting endpoints' bodies as TARGETconnect sends them.
 */
import { z } from 'zod';
import { isRealDate, RFC3339_WITH_OFFSET } from './common';
import { meetingOptionsSchema } from './partner.schemas';

const MAX_MEETING_MS = 24 * 60 * 60_000;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export const appointmentIdSchema = z
  .string({ error: 'appointmentId must be a string.' })
  .min(1, 'appointmentId must not be empty.')
  .max(200, 'appointmentId is at most 200 characters.')
  .refine((v) => !CONTROL_CHARACTERS.test(v), 'appointmentId must not contain control characters.');

// `abort`: a failed check ends the field's checks, so one problem gives one message.
const subject = z
  .string({ error: 'subject must be a string.' })
  .min(1, { error: 'subject must not be empty.', abort: true })
  .max(255, 'subject is at most 255 characters.')
  .regex(/\S/, 'subject must not be empty.');

const dateTime = (name: string) => {
  const message = `${name} must be an RFC 3339 date-time with an offset, e.g. 2026-05-01T10:00:00+01:00 or 2026-05-01T09:00:00Z.`;
  return z
    .string({ error: `${name} must be a string.` })
    .regex(RFC3339_WITH_OFFSET, { error: message, abort: true })
    .refine(
      isRealDate,
      `${name} is not a real date and time (check the day of the month, hours 00-23, minutes 00-59, and a year from 0001 to 9999 once in UTC).`,
    );
};

const identity = (name: string) =>
  z
    .record(
      z.string().max(64, `${name} field names are at most 64 characters.`),
      z
        .string({ error: `${name} values must be strings.` })
        .max(1024, `${name} values are at most 1024 characters.`),
      { error: `${name} must be an object of identity fields, e.g. { "email": "..." }.` },
    )
    .refine((v) => Object.keys(v).length >= 1, `${name} needs at least one identity field.`)
    .refine((v) => Object.keys(v).length <= 50, `${name} has more than 50 fields.`);

const attendees = z
  .array(identity('attendee'), { error: 'attendees must be an array.' })
  .max(50, 'attendees holds at most 50 people.');

function checkTimes(
  value: { startDateTime?: string | undefined; endDateTime?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if (value.startDateTime === undefined || value.endDateTime === undefined) return;
  const start = Date.parse(value.startDateTime);
  const end = Date.parse(value.endDateTime);
  if (Number.isNaN(start) || Number.isNaN(end)) return;
  if (end <= start) {
    ctx.addIssue({
      code: 'custom',
      path: ['endDateTime'],
      message: 'endDateTime must be after startDateTime.',
    });
  } else if (end - start > MAX_MEETING_MS) {
    ctx.addIssue({ code: 'custom', path: ['endDateTime'], message: 'A meeting lasts at most 24 hours.' });
  }
}

export const createMeetingSchema = z
  .strictObject({
    appointmentId: appointmentIdSchema,
    subject,
    startDateTime: dateTime('startDateTime'),
    endDateTime: dateTime('endDateTime'),
    operator: identity('operator'),
    attendees: attendees.optional(),
    options: meetingOptionsSchema.optional(),
  })
  .superRefine(checkTimes);

export const updateMeetingSchema = z
  .strictObject({
    subject: subject.optional(),
    startDateTime: dateTime('startDateTime').optional(),
    endDateTime: dateTime('endDateTime').optional(),
    attendees: attendees.optional(),
    options: meetingOptionsSchema.optional(),
  })
  .superRefine((value, ctx) => {
    if (Object.keys(value).length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'Send at least one of subject, startDateTime+endDateTime, attendees, options.',
      });
    }
    if ((value.startDateTime === undefined) !== (value.endDateTime === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [value.startDateTime === undefined ? 'startDateTime' : 'endDateTime'],
        message: 'startDateTime and endDateTime change together: send both.',
      });
    }
    checkTimes(value, ctx);
  });

export const appointmentParamsSchema = z.object({ appointmentId: appointmentIdSchema });

/** `?for=organizer`: the adviser's own copy; the students' invite otherwise. Other parameters are ignored. */
export const inviteQuerySchema = z.object({
  for: z
    .enum(['attendees', 'organizer'], {
      error:
        "for must be 'organizer' (the adviser's own copy) or 'attendees' (the students' invite, the default).",
    })
    .default('attendees'),
});
