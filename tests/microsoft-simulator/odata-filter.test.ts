import {
  countExpressions,
  evaluate,
  FilterSyntaxError,
  FilterUnsupportedError,
  parseFilter,
  type FilterValue,
} from '../../tools/microsoft-simulator';

const record: Record<string, FilterValue> = {
  mail: "O'Brien@Uni.ac.uk",
  userPrincipalName: 'obrien@uni.ac.uk',
  displayName: 'Pat',
  missing: null,
};
const read = (property: string): FilterValue | undefined => record[property];

function matches(filter: string): boolean {
  return evaluate(parseFilter(filter), read);
}

describe('parseFilter', () => {
  it('parses comparisons, in lists, functions, and/or/not with precedence and parentheses', () => {
    expect(parseFilter("mail eq 'a' or displayName eq 'b' and surname eq 'c'")).toEqual({
      type: 'or',
      left: { type: 'compare', property: 'mail', operator: 'eq', value: 'a' },
      right: {
        type: 'and',
        left: { type: 'compare', property: 'displayName', operator: 'eq', value: 'b' },
        right: { type: 'compare', property: 'surname', operator: 'eq', value: 'c' },
      },
    });
    expect(parseFilter("mail in ('a', 'b')")).toEqual({ type: 'in', property: 'mail', values: ['a', 'b'] });
    expect(parseFilter("startsWith(mail, 'o''b')")).toEqual({
      type: 'function',
      name: 'startswith',
      property: 'mail',
      value: "o'b",
    });
    expect(parseFilter('not (mail eq null)')).toEqual({
      type: 'not',
      operand: { type: 'compare', property: 'mail', operator: 'eq', value: null },
    });
  });

  it('reads a doubled quote as one quote', () => {
    expect(matches("mail eq 'o''brien@uni.ac.uk'")).toBe(true);
  });

  it.each([
    "mail eq 'o'brien@uni.ac.uk'",
    "mail eq 'unterminated",
    'mail eq',
    "mail eq 'a' or",
    "(mail eq 'a'",
    "mail eq 'a')",
    "mail like 'a'",
    "mail in ('a' 'b')",
    "mail eq 'a' mail eq 'b'",
    "frobnicate(mail, 'a')",
    '',
  ])('rejects %p with FilterSyntaxError', (filter) => {
    expect(() => parseFilter(filter)).toThrow(FilterSyntaxError);
  });

  it('names the position of the problem', () => {
    try {
      parseFilter("mail eq 'o'brien'");
      throw new Error('expected a syntax error');
    } catch (error) {
      expect(error).toBeInstanceOf(FilterSyntaxError);
      expect((error as FilterSyntaxError).position).toBe(11);
      expect((error as Error).message).toMatch(
        /^Invalid filter clause: .* at position 11 in 'mail eq 'o'brien''\.$/,
      );
    }
  });

  it('reports lambda operators as unsupported, with the property', () => {
    expect(() => parseFilter("proxyAddresses/any(p:p eq 'smtp:a@b')")).toThrow(FilterUnsupportedError);
  });
});

describe('evaluate', () => {
  it('compares strings without regard to case', () => {
    expect(matches("mail eq 'o''BRIEN@uni.AC.uk'")).toBe(true);
    expect(matches("userPrincipalName in ('x', 'OBRIEN@UNI.AC.UK')")).toBe(true);
    expect(matches("startswith(mail, 'o''b')")).toBe(true);
    expect(matches("endsWith(mail, '@UNI.ac.uk')")).toBe(true);
    expect(matches("contains(displayName, 'at')")).toBe(true);
  });

  it('handles null, ne, not and and', () => {
    expect(matches('missing eq null')).toBe(true);
    expect(matches("missing eq 'x'")).toBe(false);
    expect(matches("startswith(missing, 'x')")).toBe(false);
    expect(matches("mail ne 'x'")).toBe(true);
    expect(matches("not (displayName eq 'Pat')")).toBe(false);
    expect(matches("displayName eq 'pat' and userPrincipalName eq 'obrien@uni.ac.uk'")).toBe(true);
  });
});

describe('countExpressions', () => {
  it('counts each comparison and each value of an in list', () => {
    expect(
      countExpressions(parseFilter("mail in ('a','b','c') or mail eq 'd' or startswith(mail,'e')")),
    ).toBe(5);
  });
});
