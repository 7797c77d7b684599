/**
 * A small, real parser for the OData `$filter` subset Graph accepts on users and online meetings:
 * comparisons (`eq`, `ne`, `gt`, `ge`, `lt`, `le`), `in (...)`, `startsWith`/`endsWith`/`contains`,
 * `and`, `or`, `not`, parentheses, and literals ('string' with '' for a quote, numbers, true,
 * false, null). It only parses and evaluates; what a resource supports is its handler's call.
 */

export type FilterValue = string | number | boolean | null;
export type ComparisonOperator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
export type FilterFunction = 'startswith' | 'endswith' | 'contains';

export type FilterNode =
  | { type: 'or' | 'and'; left: FilterNode; right: FilterNode }
  | { type: 'not'; operand: FilterNode }
  | { type: 'compare'; property: string; operator: ComparisonOperator; value: FilterValue }
  | { type: 'in'; property: string; values: FilterValue[] }
  | { type: 'function'; name: FilterFunction; property: string; value: FilterValue };

/** The text is not valid OData; Graph answers 400 `BadRequest` "Invalid filter clause". */
export class FilterSyntaxError extends Error {
  constructor(
    readonly detail: string,
    readonly position: number,
    readonly filter: string,
  ) {
    super(`Invalid filter clause: ${detail} at position ${position} in '${filter}'.`);
    this.name = 'FilterSyntaxError';
  }
}

/** Valid OData the parser does not evaluate (lambda `any`/`all`); Graph's `Request_UnsupportedQuery`. */
export class FilterUnsupportedError extends Error {
  constructor(readonly property: string) {
    super(`Unsupported or invalid query filter clause specified for property '${property}'.`);
    this.name = 'FilterUnsupportedError';
  }
}

type Token =
  | { kind: 'ident'; text: string; position: number }
  | { kind: 'string'; value: string; position: number }
  | { kind: 'number'; value: number; position: number }
  | { kind: 'punct'; text: '(' | ')' | ','; position: number }
  /** Text that is no token; an error only if the parser gets that far (Graph reports the first problem). */
  | { kind: 'bad'; detail: string; position: number }
  | { kind: 'end'; position: number };

const COMPARISONS = new Set<string>(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const FUNCTIONS = new Set<string>(['startswith', 'endswith', 'contains']);
const KEYWORDS = new Set<string>([...COMPARISONS, 'and', 'or', 'not', 'in', 'null', 'true', 'false']);
const IDENT = /[A-Za-z_$@][\w$@.]*(?:\/[A-Za-z_$@][\w$@.]*)*/y;
const NUMBER = /-?\d+(?:\.\d+)?/y;

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < filter.length) {
    const ch = filter.charAt(i);
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ kind: 'punct', text: ch, position: i });
      i += 1;
      continue;
    }
    if (ch === "'") {
      const start = i;
      let value = '';
      let terminated = false;
      i += 1;
      while (i < filter.length) {
        const c = filter.charAt(i);
        if (c === "'") {
          if (filter.charAt(i + 1) === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i += 1;
          terminated = true;
          break;
        }
        value += c;
        i += 1;
      }
      if (!terminated) {
        tokens.push({ kind: 'bad', detail: 'unterminated string literal', position: start });
        break;
      }
      tokens.push({ kind: 'string', value, position: start });
      continue;
    }
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(filter);
    if (number) {
      tokens.push({ kind: 'number', value: Number(number[0]), position: i });
      i += number[0].length;
      continue;
    }
    IDENT.lastIndex = i;
    const ident = IDENT.exec(filter);
    if (ident) {
      tokens.push({ kind: 'ident', text: ident[0], position: i });
      i += ident[0].length;
      continue;
    }
    tokens.push({ kind: 'bad', detail: `unexpected character '${ch}'`, position: i });
    break;
  }
  tokens.push({ kind: 'end', position: filter.length });
  return tokens;
}

class Parser {
  private index = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly filter: string,
  ) {}

  parse(): FilterNode {
    if (this.peek().kind === 'end') throw this.error('expression expected', this.peek());
    const node = this.parseOr();
    const next = this.peek();
    if (next.kind !== 'end')
      throw this.error(`'${describe(next)}' is not expected; 'and' or 'or' expected`, next);
    return node;
  }

  private peek(): Token {
    return this.tokens[this.index] ?? { kind: 'end', position: this.filter.length };
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index += 1;
    return token;
  }

  private isKeyword(token: Token, word: string): boolean {
    return token.kind === 'ident' && token.text.toLowerCase() === word;
  }

  private error(detail: string, token: Token): FilterSyntaxError {
    return new FilterSyntaxError(token.kind === 'bad' ? token.detail : detail, token.position, this.filter);
  }

  private expectPunct(text: '(' | ')' | ','): void {
    const token = this.next();
    if (token.kind !== 'punct' || token.text !== text) throw this.error(`'${text}' expected`, token);
  }

  private parseOr(): FilterNode {
    let left = this.parseAnd();
    while (this.isKeyword(this.peek(), 'or')) {
      this.next();
      left = { type: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): FilterNode {
    let left = this.parseUnary();
    while (this.isKeyword(this.peek(), 'and')) {
      this.next();
      left = { type: 'and', left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): FilterNode {
    if (this.isKeyword(this.peek(), 'not')) {
      this.next();
      return { type: 'not', operand: this.parseUnary() };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): FilterNode {
    const token = this.next();
    if (token.kind === 'punct' && token.text === '(') {
      const inner = this.parseOr();
      this.expectPunct(')');
      return inner;
    }
    if (token.kind !== 'ident' || KEYWORDS.has(token.text.toLowerCase())) {
      throw this.error('expression expected', token);
    }
    const following = this.peek();
    if (following.kind === 'punct' && following.text === '(') {
      return this.parseCall(token);
    }
    const property = token.text;
    const operator = this.next();
    if (operator.kind !== 'ident') throw this.error(`operator expected after '${property}'`, operator);
    const op = operator.text.toLowerCase();
    if (op === 'in') {
      this.expectPunct('(');
      const values = [this.parseLiteral()];
      while (this.peek().kind === 'punct' && (this.peek() as { text: string }).text === ',') {
        this.next();
        values.push(this.parseLiteral());
      }
      this.expectPunct(')');
      return { type: 'in', property, values };
    }
    if (!COMPARISONS.has(op)) throw this.error(`unknown operator '${operator.text}'`, operator);
    return { type: 'compare', property, operator: op as ComparisonOperator, value: this.parseLiteral() };
  }

  private parseCall(name: Token & { kind: 'ident' }): FilterNode {
    const slash = name.text.lastIndexOf('/');
    const last = name.text.slice(slash + 1).toLowerCase();
    if (slash > 0 && (last === 'any' || last === 'all')) {
      throw new FilterUnsupportedError(name.text.slice(0, slash));
    }
    const fn = name.text.toLowerCase();
    if (!FUNCTIONS.has(fn)) throw this.error(`unknown function '${name.text}'`, name);
    this.expectPunct('(');
    const property = this.next();
    if (property.kind !== 'ident' || KEYWORDS.has(property.text.toLowerCase())) {
      throw this.error('property name expected', property);
    }
    this.expectPunct(',');
    const value = this.parseLiteral();
    this.expectPunct(')');
    return { type: 'function', name: fn as FilterFunction, property: property.text, value };
  }

  private parseLiteral(): FilterValue {
    const token = this.next();
    if (token.kind === 'string' || token.kind === 'number') return token.value;
    if (token.kind === 'ident') {
      const word = token.text.toLowerCase();
      if (word === 'null') return null;
      if (word === 'true') return true;
      if (word === 'false') return false;
    }
    throw this.error('literal expected', token);
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'ident':
    case 'punct':
      return token.text;
    case 'string':
      return `'${token.value}'`;
    case 'number':
      return String(token.value);
    case 'bad':
      return token.detail;
    case 'end':
      return 'end of input';
  }
}

/** Parses a `$filter` value (already percent-decoded). */
export function parseFilter(filter: string): FilterNode {
  return new Parser(tokenize(filter), filter).parse();
}

/** Expressions as Graph counts them for its limit: each comparison, and each value of an `in` list. */
export function countExpressions(node: FilterNode): number {
  switch (node.type) {
    case 'or':
    case 'and':
      return countExpressions(node.left) + countExpressions(node.right);
    case 'not':
      return countExpressions(node.operand);
    case 'in':
      return node.values.length;
    case 'compare':
    case 'function':
      return 1;
  }
}

/** Every comparison-like leaf, to check properties and operators against what a resource allows. */
export function leaves(node: FilterNode): Array<Extract<FilterNode, { property: string }>> {
  switch (node.type) {
    case 'or':
    case 'and':
      return [...leaves(node.left), ...leaves(node.right)];
    case 'not':
      return leaves(node.operand);
    default:
      return [node];
  }
}

export function usesNot(node: FilterNode): boolean {
  switch (node.type) {
    case 'or':
    case 'and':
      return usesNot(node.left) || usesNot(node.right);
    case 'not':
      return true;
    default:
      return false;
  }
}

function fold(value: FilterValue | undefined): FilterValue | undefined {
  return typeof value === 'string' ? value.toLowerCase() : value;
}

function compare(
  actual: FilterValue | undefined,
  operator: ComparisonOperator,
  expected: FilterValue,
): boolean {
  const a = fold(actual) ?? null;
  const b = fold(expected) ?? null;
  switch (operator) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    default: {
      if (a === null || b === null || typeof a !== typeof b) return false;
      if (operator === 'gt') return a > b;
      if (operator === 'ge') return a >= b;
      if (operator === 'lt') return a < b;
      return a <= b;
    }
  }
}

/**
 * Evaluates the filter on one record; string comparisons ignore case, as directory queries do.
 * `read` gives a property's value (by the name written in the filter).
 */
export function evaluate(node: FilterNode, read: (property: string) => FilterValue | undefined): boolean {
  switch (node.type) {
    case 'or':
      return evaluate(node.left, read) || evaluate(node.right, read);
    case 'and':
      return evaluate(node.left, read) && evaluate(node.right, read);
    case 'not':
      return !evaluate(node.operand, read);
    case 'compare':
      return compare(read(node.property), node.operator, node.value);
    case 'in':
      return node.values.some((value) => compare(read(node.property), 'eq', value));
    case 'function': {
      const actual = fold(read(node.property));
      const expected = fold(node.value);
      if (typeof actual !== 'string' || typeof expected !== 'string') return false;
      if (node.name === 'startswith') return actual.startsWith(expected);
      if (node.name === 'endswith') return actual.endsWith(expected);
      return actual.includes(expected);
    }
  }
}
