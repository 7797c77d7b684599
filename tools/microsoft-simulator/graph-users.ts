/**
 * `GET /users` ($filter, $select, $top) and `GET /users/{id | userPrincipalName}`, limited to the
 * token's tenant and to what `User.ReadBasic.All` may read and filter on without advanced queries.
 */
import type { GraphCall } from './types';
import {
  countExpressions,
  evaluate,
  FilterSyntaxError,
  FilterUnsupportedError,
  leaves,
  parseFilter,
  usesNot,
  type FilterNode,
} from './odata-filter';
import { graphError, graphOk } from './responses';
import type { SimResponse, SimUser } from './types';

/** The basic profile: what `User.ReadBasic.All` may read (others come back null). */
const SELECTABLE = [
  'id',
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
] as const;
type Selectable = (typeof SELECTABLE)[number];

/** Graph's default property set for users, in its order. */
const DEFAULT_SELECT: Selectable[] = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];

const FILTERABLE = ['id', 'mail', 'userPrincipalName', 'displayName', 'givenName', 'surname'] as const;
type Filterable = (typeof FILTERABLE)[number];

/** Operators these properties take without `ConsistencyLevel: eventual` (advanced queries). */
const BASIC_OPERATORS = new Set(['eq', 'in', 'startswith']);
export const MAX_FILTER_EXPRESSIONS = 15;
const MAX_TOP = 999;

const READ_ALL_ROLES = [
  'User.Read.All',
  'User.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
];

function canonical<T extends string>(names: readonly T[], name: string): T | undefined {
  const lower = name.toLowerCase();
  return names.find((n) => n.toLowerCase() === lower);
}

function forbidden(call: GraphCall): SimResponse {
  return graphError(
    call.env.answer,
    403,
    'Authorization_RequestDenied',
    'Insufficient privileges to complete the operation.',
  );
}

function mayReadUsers(call: GraphCall): boolean {
  const { roles, tenantId, appId } = call.caller;
  if (roles.some((r) => READ_ALL_ROLES.includes(r))) return true;
  if (!roles.includes('User.ReadBasic.All')) return false;
  return !(call.env.directory.app(tenantId, appId)?.usersEndpointForbidden ?? false);
}

function readProperty(user: SimUser, property: Selectable): unknown {
  switch (property) {
    case 'businessPhones':
      return [];
    case 'jobTitle':
    case 'mobilePhone':
    case 'officeLocation':
    case 'preferredLanguage':
      return null;
    default:
      return user[property];
  }
}

function project(user: SimUser, select: Selectable[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const property of select) out[property] = readProperty(user, property);
  // Graph always returns the key, whatever $select says.
  if (!('id' in out)) out['id'] = user.id;
  return out;
}

type Parsed<T> = { value: T } | { error: SimResponse };

function parseSelect(call: GraphCall): Parsed<{ properties: Selectable[]; explicit: string[] | null }> {
  const raw = call.req.query['$select'];
  if (raw === undefined || raw.trim() === '')
    return { value: { properties: DEFAULT_SELECT, explicit: null } };
  const names = raw
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const properties: Selectable[] = [];
  for (const name of names) {
    const property = canonical(SELECTABLE, name);
    if (!property) {
      return {
        error: graphError(
          call.env.answer,
          400,
          'BadRequest',
          `Parsing OData Select and Expand failed: Could not find a property named '${name}' on type 'microsoft.graph.user'.`,
        ),
      };
    }
    if (!properties.includes(property)) properties.push(property);
  }
  return { value: { properties, explicit: properties } };
}

function unsupported(call: GraphCall, message: string): { error: SimResponse } {
  return { error: graphError(call.env.answer, 400, 'Request_UnsupportedQuery', message) };
}

function parseUserFilter(call: GraphCall, text: string): Parsed<FilterNode> {
  let node: FilterNode;
  try {
    node = parseFilter(text);
  } catch (error) {
    if (error instanceof FilterSyntaxError) {
      return { error: graphError(call.env.answer, 400, 'BadRequest', error.message) };
    }
    if (error instanceof FilterUnsupportedError) {
      return unsupported(
        call,
        `Unsupported or invalid query filter clause specified for property '${error.property}' of resource 'User'.`,
      );
    }
    throw error;
  }
  for (const leaf of leaves(node)) {
    if (!canonical(FILTERABLE, leaf.property)) {
      return unsupported(
        call,
        `Unsupported or invalid query filter clause specified for property '${leaf.property}' of resource 'User'.`,
      );
    }
    const operator = leaf.type === 'compare' ? leaf.operator : leaf.type === 'in' ? 'in' : leaf.name;
    if (!BASIC_OPERATORS.has(operator)) return unsupported(call, 'Unsupported Query.');
    const values = leaf.type === 'in' ? leaf.values : [leaf.value];
    const wrongType = values.find((v) => v !== null && typeof v !== 'string');
    if (wrongType !== undefined) {
      return {
        error: graphError(
          call.env.answer,
          400,
          'BadRequest',
          `A binary operator with incompatible types was detected. Found operand types 'Edm.String' and '${
            typeof wrongType === 'number' ? 'Edm.Int32' : 'Edm.Boolean'
          }' for operator kind 'Equal'.`,
        ),
      };
    }
  }
  if (usesNot(node)) return unsupported(call, 'Unsupported Query.');
  const count = countExpressions(node);
  if (count > MAX_FILTER_EXPRESSIONS) {
    return unsupported(
      call,
      `Too many child clauses specified in search filter expression containing 'OR' operators: ${count}. Max allowed: ${MAX_FILTER_EXPRESSIONS}.`,
    );
  }
  return { value: node };
}

function readForFilter(user: SimUser): (property: string) => string | null | undefined {
  return (property) => {
    const name = canonical(FILTERABLE, property) as Filterable | undefined;
    return name === undefined ? undefined : user[name];
  };
}

function context(call: GraphCall, select: string[] | null, entity: boolean): string {
  const selection = select ? `(${select.join(',')})` : '';
  return `${call.env.graphBaseUrl}/$metadata#users${selection}${entity ? '/$entity' : ''}`;
}

/**
 * For `property eq 'v'` and `property in ('a','b')` on an indexed property: the property and
 * values, so that only the users holding them are evaluated (the filter still decides).
 */
function indexedLookup(
  node: FilterNode,
): { property: 'id' | 'mail' | 'userPrincipalName'; values: string[] } | undefined {
  const leaf =
    node.type === 'compare' && node.operator === 'eq'
      ? { property: node.property, values: [node.value] }
      : node.type === 'in'
        ? node
        : undefined;
  const property = leaf && canonical(['id', 'mail', 'userPrincipalName'] as const, leaf.property);
  if (!leaf || !property || !leaf.values.every((v): v is string => typeof v === 'string')) return undefined;
  return { property, values: leaf.values };
}

/** `GET /users?$filter=...&$select=...&$top=...` */
export function listUsers(call: GraphCall): SimResponse {
  if (!mayReadUsers(call)) return forbidden(call);
  const select = parseSelect(call);
  if ('error' in select) return select.error;

  const filterText = call.req.query['$filter'];
  let users: SimUser[];
  if (filterText !== undefined) {
    const filter = parseUserFilter(call, filterText);
    if ('error' in filter) return filter.error;
    const indexed = indexedLookup(filter.value);
    users = (
      indexed
        ? call.env.directory.usersWith(call.caller.tenantId, indexed.property, indexed.values)
        : call.env.directory.usersOf(call.caller.tenantId)
    ).filter((u) => evaluate(filter.value, readForFilter(u)));
  } else {
    users = call.env.directory.usersOf(call.caller.tenantId);
  }

  const topText = call.req.query['$top'];
  if (topText !== undefined) {
    const top = Number(topText);
    if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) {
      return graphError(
        call.env.answer,
        400,
        'Request_UnsupportedQuery',
        `Invalid page size specified: '${topText}'. Must be between 1 and ${MAX_TOP} inclusive.`,
      );
    }
    users = users.slice(0, top);
  }

  return graphOk(call.env.answer, 200, {
    '@odata.context': context(call, select.value.explicit, false),
    value: users.map((u) => project(u, select.value.properties)),
  });
}

/** `GET /users/{id | userPrincipalName}?$select=...` */
export function getUser(call: GraphCall): SimResponse {
  if (!mayReadUsers(call)) return forbidden(call);
  const select = parseSelect(call);
  if ('error' in select) return select.error;
  const ref = call.params['user'] ?? '';
  const user = call.env.directory.findUser(call.caller.tenantId, ref);
  if (!user) {
    return graphError(
      call.env.answer,
      404,
      'Request_ResourceNotFound',
      `Resource '${ref}' does not exist or one of its queried reference-property objects are not present.`,
    );
  }
  return graphOk(call.env.answer, 200, {
    '@odata.context': context(call, select.value.explicit, true),
    ...project(user, select.value.properties),
  });
}
