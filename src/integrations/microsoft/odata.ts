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

/**
 * The longest `$filter` (percent-encoded) one lookup sends. Graph and the gateways in front of it
 * refuse long request lines (431/414); 2,048 characters keeps a lookup URL near the ~2 KB that
 * every HTTP hop accepts, while 15 ordinary emails fit in one filter.
 */
export const MAX_FILTER_CHARS = 2048;

/**
 * The values split into `eq`/`in` filters of at most 15 values and, where values are long, of at
 * most MAX_FILTER_CHARS encoded characters (a value longer than that alone goes alone).
 */
export function matchFilters(field: string, values: readonly string[]): string[] {
  const filters: string[] = [];
  let group: string[] = [];
  const encodedLength = (candidate: string[]) => encodeURIComponent(matchFilter(field, candidate)).length;
  for (const value of values) {
    const candidate = [...group, value];
    if (
      group.length > 0 &&
      (candidate.length > MAX_FILTER_EXPRESSIONS || encodedLength(candidate) > MAX_FILTER_CHARS)
    ) {
      filters.push(matchFilter(field, group));
      group = [value];
    } else {
      group = candidate;
    }
  }
  if (group.length > 0) filters.push(matchFilter(field, group));
  return filters;
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
