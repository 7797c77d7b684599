/** The one JSON type guard for what Microsoft answers: a JSON object (not null, not an array). */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` if it is a JSON object, else an empty one: for reading optional nested fields. */
export function objectOr(value: unknown): JsonObject {
  return isJsonObject(value) ? value : {};
}
