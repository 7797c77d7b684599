/**
 * Turning zod's verdicts into the service's VALIDATION_FAILED answer: every issue, each with the
 * field it concerns and a message a person can act on.
 */
import { z } from 'zod';
import { AppError, type FieldIssue } from '../../domain/errors';
import { GUID_PATTERN } from '../../domain/guid';

export function issuesOf(
  error: z.ZodError,
  location: 'body' | 'params' | 'query',
  input: unknown,
): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = [location, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      return { field: path, message: `Unknown field(s): ${issue.keys.join(', ')}.` };
    }
    if (issue.path.length > 0 && valueAt(input, issue.path) === undefined) {
      return { field: path, message: 'Required.' };
    }
    return { field: path, message: issue.message };
  });
}

/**
 * Text no request may carry anywhere, in values or in field names: a string that is not
 * well-formed Unicode (a lone surrogate, which two different ids would share once encoded) or
 * that holds NUL (which PostgreSQL cannot store). Checked here, before each schema, so that every
 * body, path and query is held to it alike.
 */
export function textIssues(value: unknown, path: string, issues: FieldIssue[] = [], depth = 0): FieldIssue[] {
  const problem = (text: string) =>
    !text.isWellFormed()
      ? 'must be well-formed Unicode text (it holds a lone surrogate).'
      : text.includes('\u0000')
        ? 'must not contain NUL characters.'
        : undefined;
  if (typeof value === 'string') {
    const message = problem(value);
    if (message) issues.push({ field: path, message: `${path.split('.').pop()} ${message}` });
  } else if (Array.isArray(value) && depth < 8) {
    value.forEach((item, i) => textIssues(item, `${path}.${i}`, issues, depth + 1));
  } else if (typeof value === 'object' && value !== null && depth < 8) {
    for (const [key, item] of Object.entries(value)) {
      const message = problem(key);
      if (message) issues.push({ field: path, message: `A field name ${message}` });
      else textIssues(item, `${path}.${key}`, issues, depth + 1);
    }
  }
  return issues;
}

/** Parses `value` with `schema` or throws VALIDATION_FAILED listing every issue. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  location: 'body' | 'params' | 'query',
): z.infer<S> {
  const text = textIssues(value, location);
  const result = schema.safeParse(value);
  if (result.success && text.length === 0) return result.data;
  const seen = new Set(text.map((issue) => issue.field));
  const errors = [
    ...text,
    ...(result.success ? [] : issuesOf(result.error, location, value).filter((i) => !seen.has(i.field))),
  ];
  throw new AppError('VALIDATION_FAILED', {
    detail: `The request ${location} has ${errors.length} problem${errors.length === 1 ? '' : 's'}; see errors.`,
    errors,
  });
}

/** Days in `month` (1-12) of `year`, proleptic Gregorian. */
function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * A date (`2027-06-30`) or date-time that names a real instant: a month that has that day (no
 * 30 February, shifted to March by Date.parse), hours 00-23, minutes and seconds 00-59, an offset
 * within ±23:59, and a year from 0001 to 9999 both as written and once in UTC (the form Graph,
 * the store and calendars get: `9999-12-31T20:00:00-23:59` is in year 10000 there).
 */
export function isRealDate(value: string): boolean {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2})))?$/.exec(
      value,
    );
  if (!m) return false;
  const [year, month, day, hour = 0, minute = 0, second = 0, offsetHours = 0, offsetMinutes = 0] = m
    .slice(1)
    .map((part) => (part === undefined ? undefined : Number(part)));
  if (year === undefined || month === undefined || day === undefined || year < 1) return false;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return false;
  const utcYear = new Date(Date.parse(value)).getUTCFullYear();
  return utcYear >= 1 && utcYear <= 9999;
}

export { GUID_PATTERN };

/** An id the service made (a UUID), in a path: `error` says where the caller got it. */
export function guidSchema(error: string) {
  return z.string().regex(GUID_PATTERN, { error });
}

/**
 * RFC 3339 date-time with an explicit offset (Z or ±hh:mm). No regex flags: openapi.yaml carries
 * the same pattern, and JSON Schema patterns have none.
 */
export const RFC3339_WITH_OFFSET =
  /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

export const partnerIdSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,63}$/,
    'partnerId must be 1-64 characters of lower-case letters, digits, ".", "_" or "-", starting with a letter or digit.',
  );

/** The path of everything under /partners/{partnerId}. */
export const partnerParamsSchema = z.object({ partnerId: partnerIdSchema });

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
