/**
 * A TARGETconnect identity (the `operator`, an attendee, a verify operator) and the one way its
 * match value is read and compared, shared by meetings and the setup checks.
 */

/** Any TARGETconnect identity fields, e.g. `{ "email": "ada@uni.ac.uk" }`. */
export type Identity = Record<string, string>;

/** The form a value is compared in: Entra ID matches mail, UPN and ids case-insensitively. */
export function normaliseIdentity(value: string): string {
  return value.trim().toLowerCase();
}

/** The identity's value of the partner's local match field, trimmed; null when absent or blank. */
export function localValue(identity: Identity, field: string): string | null {
  const value = Object.hasOwn(identity, field) ? identity[field] : undefined;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}
