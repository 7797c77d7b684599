/**
 * Turning zod's verdicts into the service's VALIDATION_FAILED answer: every issue, each with the
 * field it concerns and a message a person can act on.
 */
import { z } from 'zod';
import { AppError, type FieldIssue } from '../../domain/errors';

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

/** Parses `value` with `schema` or throws VALIDATION_FAILED listing every issue. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  location: 'body' | 'params' | 'query',
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = issuesOf(result.error, location, value);
  throw new AppError('VALIDATION_FAILED', {
    detail: `The request ${location} has ${errors.length} problem${errors.length === 1 ? '' : 's'}; see errors.`,
    errors,
  });
}

export const GUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

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

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
