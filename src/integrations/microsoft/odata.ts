/**
 * OData for Graph's query strings: string literals, the `eq`/`in` filters used to find users, and
 * query encoding. A quote inside a value is doubled (`'o''brien@x'`), then the whole value of the
 * query parameter is percent-encoded, so that no value can end its literal and add a clause.
 */

/** Graph's limit on expressions in one filter clause (`in` values and `or` terms together). */
export const MAX_FILTER_EXPRESSIONS = 15;

/** `'value'` with single quotes doubled. */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** `field eq 'v'` for one value, `field in ('a','b')` for several. */
export function matchFilter(field: string, values: readonly string[]): string {
  if (values.length === 0) throw new Error('matchFilter needs at least one value');
  if (values.length > MAX_FILTER_EXPRESSIONS) {
    throw new Error(`matchFilter takes at most ${MAX_FILTER_EXPRESSIONS} values, got ${values.length}`);
  }
  if (values.length === 1) return `${field} eq ${odataString(values[0] as string)}`;
  return `${field} in (${values.map(odataString).join(',')})`;
}

/** `name=value&…` with every value percent-encoded (names such as `$filter` are sent as they are). */
export function encodeQuery(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
    .join('&');
}

/** A path with an optional query. */
export function withQuery(path: string, query: Record<string, string> | undefined): string {
  if (query === undefined || Object.keys(query).length === 0) return path;
  return `${path}?${encodeQuery(query)}`;
}

/** Splits a list into chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
