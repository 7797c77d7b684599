/** Pure rules: each cloud's endpoints and scope, overrides, and OData literals. */
import { endpointsFor } from '../../src/integrations/microsoft/clouds';
import {
  encodeQuery,
  matchFilter,
  matchFilters,
  MAX_FILTER_CHARS,
  odataString,
} from '../../src/integrations/microsoft/odata';
import { parseRetryAfterMs } from '../../src/integrations/microsoft/retry-policy';

describe('endpointsFor', () => {
  it.each([
    [
      'global',
      'https://login.microsoftonline.com',
      'https://graph.microsoft.com/v1.0',
      'https://graph.microsoft.com/.default',
    ],
    [
      'usgov',
      'https://login.microsoftonline.us',
      'https://graph.microsoft.us/v1.0',
      'https://graph.microsoft.us/.default',
    ],
    [
      'usgovdod',
      'https://login.microsoftonline.us',
      'https://dod-graph.microsoft.us/v1.0',
      'https://dod-graph.microsoft.us/.default',
    ],
  ] as const)('%s', (cloud, authorityHost, graphBaseUrl, graphScope) => {
    expect(endpointsFor(cloud)).toEqual({ authorityHost, graphBaseUrl, graphScope });
  });

  it("moves requests with the overrides but keeps the scope of the partner's cloud", () => {
    expect(
      endpointsFor('usgov', {
        authorityHost: 'https://127.0.0.1:8443/',
        graphBaseUrl: 'https://127.0.0.1:8443/v1.0/',
      }),
    ).toEqual({
      authorityHost: 'https://127.0.0.1:8443',
      graphBaseUrl: 'https://127.0.0.1:8443/v1.0',
      graphScope: 'https://graph.microsoft.us/.default',
    });
  });
});

describe('OData', () => {
  it('doubles quotes in literals and builds eq / in filters', () => {
    expect(odataString("o'brien@x")).toBe("'o''brien@x'");
    expect(matchFilter('mail', ['a@x'])).toBe("mail eq 'a@x'");
    expect(matchFilter('mail', ['a@x', "b'c@x"])).toBe("mail in ('a@x','b''c@x')");
    expect(() =>
      matchFilter(
        'mail',
        Array.from({ length: 16 }, (_, i) => `${i}@x`),
      ),
    ).toThrow(/at most 15/);
  });

  it('splits lookups by 15 values and by encoded length; an overlong value goes alone', () => {
    const short = Array.from({ length: 31 }, (_, i) => `s${i}@x`);
    expect(matchFilters('mail', short).map((f) => (f.match(/'/g)?.length ?? 0) / 2)).toEqual([15, 15, 1]);
    const long = Array.from({ length: 6 }, (_, i) => `${i}${'é'.repeat(300)}@x`);
    const filters = matchFilters('mail', long);
    expect(filters.length).toBeGreaterThan(1);
    for (const f of filters) expect(encodeURIComponent(f).length).toBeLessThanOrEqual(MAX_FILTER_CHARS);
    expect(filters.flatMap((f) => f.match(/'[^']*'/g) ?? [])).toHaveLength(6);
    const huge = 'y'.repeat(3000);
    expect(matchFilters('mail', ['a@x', huge, 'b@x'])).toEqual([
      "mail eq 'a@x'",
      `mail eq '${huge}'`,
      "mail eq 'b@x'",
    ]);
  });

  it('percent-encodes whole values', () => {
    expect(encodeQuery({ $filter: "mail eq 'a&b=c@x'" })).toBe("$filter=mail%20eq%20'a%26b%3Dc%40x'");
  });
});

describe('Retry-After', () => {
  it('reads seconds (fractional too) and HTTP dates', () => {
    expect(parseRetryAfterMs('1.5', 0)).toBe(1500);
    expect(parseRetryAfterMs('2.128', 0)).toBe(2128);
    expect(parseRetryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfterMs('soon', 0)).toBeUndefined();
  });
});
