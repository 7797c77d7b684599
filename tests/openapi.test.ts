/**
 * The contract document itself: it parses, it is OpenAPI 3.1, it is closed (every $ref resolves
 * inside it), it has every path of the service with its methods, and its error codes and statuses are
 * exactly the catalogue's (src/domain/errors.ts). Whether the running service keeps to it is for
 * the component tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { ERROR_CATALOGUE, type ErrorCode } from '../src/domain/errors';
import {
  ALLOWED_PRESENTERS,
  CLOUDS,
  LOBBY_BYPASS_SCOPES,
  MEETING_CHAT_MODES,
  REMOTE_MATCH_FIELDS,
} from '../src/domain/partners/partner.record';
import { SETUP_STEPS } from '../src/domain/setup/setup-guide';

type JsonObject = { [key: string]: unknown };

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** The service's paths with their methods; the document must have these and no others. */
const CONTRACT_PATHS: Record<string, string[]> = {
  '/partners': ['get'],
  '/partners/{partnerId}': ['put', 'get', 'patch', 'delete'],
  '/partners/{partnerId}/api-keys': ['post', 'get'],
  '/partners/{partnerId}/api-keys/{keyId}': ['delete'],
  '/partners/{partnerId}/setup-links': ['post', 'get'],
  '/partners/{partnerId}/setup-links/{linkId}': ['delete'],
  '/partners/{partnerId}/certificates': ['post', 'get'],
  '/partners/{partnerId}/certificates/{certificateId}/file': ['get'],
  '/partners/{partnerId}/certificates/{certificateId}': ['delete'],
  '/partners/{partnerId}/verify': ['get', 'post'],
  '/partners/{partnerId}/access-policy-script': ['post'],
  '/partners/{partnerId}/exchange-scope-script': ['post'],
  '/appointments/meeting': ['post'],
  '/appointments/{appointmentId}/meeting': ['get', 'patch', 'delete'],
  '/appointments/{appointmentId}/meeting.ics': ['get'],
  '/appointments/{appointmentId}/attendance': ['get'],
  '/health': ['get'],
  '/setup': ['get'],
  '/setup/setup.js': ['get'],
  '/setup/setup.css': ['get'],
  '/setup-link': ['get'],
  '/metrics': ['get'],
  '/openapi.yaml': ['get'],
  '/partners/{partnerId}/consent-link': ['post'],
  '/setup/consent': ['get'],
  '/setup/favicon.svg': ['get'],
  '/webhooks': ['get', 'post'],
  '/webhooks/{webhookId}': ['get', 'patch', 'delete'],
  '/webhooks/{webhookId}/secret': ['post'],
  '/webhooks/{webhookId}/test': ['post'],
  '/webhooks/{webhookId}/deliveries': ['get'],
  '/webhooks/{webhookId}/deliveries/{eventId}/retry': ['post'],
};

const ADMIN_PATHS = ['/partners', '/metrics'];
/** What a setup link may do besides the admin key (API.md, "Setup links"). */
const SETUP_OPERATIONS = [
  'get /partners/{partnerId}',
  'patch /partners/{partnerId}',
  'post /partners/{partnerId}/certificates',
  'get /partners/{partnerId}/certificates',
  'get /partners/{partnerId}/certificates/{certificateId}/file',
  'post /partners/{partnerId}/verify',
  'get /partners/{partnerId}/verify',
  'post /partners/{partnerId}/access-policy-script',
  'post /partners/{partnerId}/exchange-scope-script',
  'post /partners/{partnerId}/consent-link',
  'post /partners/{partnerId}/setup-links',
];
// A key on everything except GET /health; the contract itself takes either kind.
const UNAUTHENTICATED_PATHS = [
  '/health',
  '/setup',
  '/setup/setup.js',
  '/setup/setup.css',
  '/setup/consent',
  '/setup/favicon.svg',
];
const ANY_KEY_PATHS = [
  '/openapi.yaml',
  '/webhooks',
  '/webhooks/{webhookId}',
  '/webhooks/{webhookId}/secret',
  '/webhooks/{webhookId}/test',
  '/webhooks/{webhookId}/deliveries',
  '/webhooks/{webhookId}/deliveries/{eventId}/retry',
];
const PARTNER_PATHS = [
  '/appointments/meeting',
  '/appointments/{appointmentId}/meeting',
  '/appointments/{appointmentId}/meeting.ics',
  '/appointments/{appointmentId}/attendance',
];

const source = readFileSync(join(__dirname, '..', 'openapi.yaml'), 'utf8');
const yamlDocument = parseDocument(source, { uniqueKeys: true });
const spec = yamlDocument.toJS() as JsonObject;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectAt(value: unknown, ...keys: string[]): JsonObject {
  let current: unknown = value;
  for (const key of keys) {
    if (!isObject(current)) throw new Error(`not an object before "${key}" in ${keys.join('.')}`);
    current = current[key];
  }
  if (!isObject(current)) throw new Error(`${keys.join('.')} is not an object`);
  return current;
}

/** Resolves a local reference (`#/a/b~1c`) against the document; undefined when it leads nowhere. */
function resolvePointer(ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  if (ref === '#') return spec;
  if (!ref.startsWith('#/')) return undefined;
  let current: unknown = spec;
  for (const raw of ref.slice(2).split('/')) {
    const token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) {
      current = /^\d+$/.test(token) ? current[Number(token)] : undefined;
    } else if (isObject(current) && Object.prototype.hasOwnProperty.call(current, token)) {
      current = current[token];
    } else {
      return undefined;
    }
  }
  return current;
}

/** Follows `$ref` until an object without one; throws on a dangling reference. */
function deref(value: unknown): JsonObject {
  let current = value;
  for (let hops = 0; isObject(current) && typeof current.$ref === 'string'; hops += 1) {
    if (hops > 20) throw new Error('reference loop');
    const target = resolvePointer(current.$ref);
    if (target === undefined) throw new Error(`dangling $ref ${current.$ref}`);
    current = target;
  }
  if (!isObject(current)) throw new Error('reference does not lead to an object');
  return current;
}

function collectRefs(value: unknown, at: string, found: Array<{ at: string; ref: unknown }>): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => collectRefs(item, `${at}/${index}`, found));
  } else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref') found.push({ at, ref: child });
      else collectRefs(child, `${at}/${key}`, found);
    }
  }
}

interface Operation {
  path: string;
  method: string;
  operation: JsonObject;
}

function operations(): Operation[] {
  const found: Operation[] = [];
  for (const [path, item] of Object.entries(objectAt(spec, 'paths'))) {
    if (!isObject(item)) throw new Error(`path item ${path} is not an object`);
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (operation === undefined) continue;
      if (!isObject(operation)) throw new Error(`${method} ${path} is not an object`);
      found.push({ path, method, operation });
    }
  }
  return found;
}

interface ProblemResponse {
  where: string;
  /** The HTTP status the response is declared with (a key of `responses`), when known. */
  declaredStatus: number | undefined;
  /** The `status` const the response's schema pins, when it pins one. */
  schemaStatus: number | undefined;
  codes: string[];
  response: JsonObject;
}

/** Reads the codes and status a problem response admits from its `allOf` narrowing of Problem. */
function problemResponse(where: string, declaredStatus: number | undefined, value: unknown): ProblemResponse {
  const response = deref(value);
  const schema = deref(objectAt(response, 'content', 'application/problem+json').schema);
  const members = Array.isArray(schema.allOf) ? schema.allOf : [schema];
  let codes: string[] | undefined;
  let schemaStatus: number | undefined;
  for (const member of members) {
    if (!isObject(member) || !isObject(member.properties)) continue;
    const { code, status } = member.properties;
    if (isObject(code) && Array.isArray(code.enum)) codes = code.enum.map(String);
    if (isObject(status) && typeof status.const === 'number') schemaStatus = status.const;
  }
  if (codes === undefined) throw new Error(`${where} does not narrow the problem codes`);
  return { where, declaredStatus, schemaStatus, codes, response };
}

function operationProblemResponses(): ProblemResponse[] {
  const found: ProblemResponse[] = [];
  for (const { path, method, operation } of operations()) {
    // /health answers 503 with its own body (status "unavailable"), not a problem.
    if (path === '/health') continue;
    for (const [status, response] of Object.entries(objectAt(operation, 'responses'))) {
      if (Number(status) < 400) continue;
      // A refused consent state is a page for the admin's browser, not a problem.
      if (path === '/setup/consent' && status === '400') continue;
      found.push(problemResponse(`${method.toUpperCase()} ${path} ${status}`, Number(status), response));
    }
  }
  return found;
}

function componentProblemResponses(): ProblemResponse[] {
  return Object.entries(objectAt(spec, 'components', 'responses'))
    .filter(([, response]) => isObject(deref(response).content))
    .filter(([, response]) => 'application/problem+json' in objectAt(deref(response), 'content'))
    .map(([name, response]) => problemResponse(`components.responses.${name}`, undefined, response));
}

const catalogueCodes = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

describe('openapi.yaml', () => {
  it('parses as YAML without errors or warnings', () => {
    expect(yamlDocument.errors.map((error) => error.message)).toEqual([]);
    expect(yamlDocument.warnings.map((warning) => warning.message)).toEqual([]);
    expect(isObject(spec)).toBe(true);
  });

  it('is OpenAPI 3.1 describing teams-meetings 1.0.0', () => {
    expect(spec.openapi).toMatch(/^3\.1\.\d+$/);
    expect(objectAt(spec, 'info')).toMatchObject({ title: 'teams-meetings', version: '1.0.0' });
    expect(spec.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });

  it('resolves every $ref inside the document', () => {
    const refs: Array<{ at: string; ref: unknown }> = [];
    collectRefs(spec, '#', refs);
    expect(refs.length).toBeGreaterThan(0);
    const dangling = refs.filter(({ ref }) => typeof ref !== 'string' || resolvePointer(ref) === undefined);
    expect(dangling).toEqual([]);
  });

  it('has exactly the paths and methods of the service', () => {
    const actual = operations().map(({ path, method }) => `${method.toUpperCase()} ${path}`);
    const expected = Object.entries(CONTRACT_PATHS).flatMap(([path, methods]) =>
      methods.map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(actual.sort()).toEqual(expected.sort());
  });

  it('gives every operation a unique operationId, a summary, a tag and responses', () => {
    const ids = new Set<string>();
    const tags = new Set(
      (Array.isArray(spec.tags) ? spec.tags : []).map((tag) => (isObject(tag) ? tag.name : undefined)),
    );
    for (const { path, method, operation } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      expect({ where, operationId: typeof operation.operationId }).toEqual({ where, operationId: 'string' });
      expect(ids.has(String(operation.operationId))).toBe(false);
      ids.add(String(operation.operationId));
      expect({ where, summary: typeof operation.summary }).toEqual({ where, summary: 'string' });
      expect(Array.isArray(operation.tags) && operation.tags.every((tag) => tags.has(tag))).toBe(true);
      expect(Object.keys(objectAt(operation, 'responses')).length).toBeGreaterThan(0);
    }
  });

  it('declares which key each operation takes', () => {
    const schemes = objectAt(spec, 'components', 'securitySchemes');
    expect(schemes.adminKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.partnerKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.setupLink).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const { path, method, operation } of operations()) {
      let expected: unknown[];
      if (UNAUTHENTICATED_PATHS.includes(path)) expected = [];
      else if (ANY_KEY_PATHS.includes(path)) expected = [{ adminKey: [] }, { partnerKey: [] }];
      else if (PARTNER_PATHS.includes(path)) expected = [{ partnerKey: [] }];
      else if (path === '/setup-link') expected = [{ setupLink: [] }];
      else if (SETUP_OPERATIONS.includes(`${method} ${path}`))
        expected = [{ adminKey: [] }, { setupLink: [] }];
      else if (ADMIN_PATHS.some((prefix) => path === prefix || path.startsWith(`${prefix}/`)))
        expected = [{ adminKey: [] }];
      else throw new Error(`no expectation for ${path}`);
      expect({ operation: `${method} ${path}`, security: operation.security }).toEqual({
        operation: `${method} ${path}`,
        security: expected,
      });
    }
  });

  it('puts X-Request-Id on every response, and Retry-After on 429 and 503 problems', () => {
    for (const { path, method, operation } of operations()) {
      for (const [status, value] of Object.entries(objectAt(operation, 'responses'))) {
        const response = deref(value);
        const headers = isObject(response.headers) ? response.headers : {};
        const where = `${method.toUpperCase()} ${path} ${status}`;
        expect({ where, requestId: deref(headers['X-Request-Id']).required }).toEqual({
          where,
          requestId: true,
        });
        if ((status === '429' || status === '503') && path !== '/health') {
          expect({ where, retryAfter: deref(headers['Retry-After']).required }).toEqual({
            where,
            retryAfter: true,
          });
        }
      }
    }
  });

  describe('errors', () => {
    const problem = objectAt(spec, 'components', 'schemas', 'Problem');

    it('has a Problem schema with the fields of RFC 9457 and the service', () => {
      expect(Object.keys(objectAt(problem, 'properties')).sort()).toEqual(
        ['code', 'detail', 'errors', 'remediation', 'requestId', 'status', 'title', 'type'].sort(),
      );
      expect([...(problem.required as string[])].sort()).toEqual(
        ['code', 'detail', 'requestId', 'status', 'title', 'type'].sort(),
      );
    });

    it('lists every code of the catalogue in the Problem code enum, and nothing else', () => {
      const codes = objectAt(problem, 'properties', 'code').enum as string[];
      expect(new Set(codes).size).toBe(codes.length);
      expect([...codes].sort()).toEqual([...catalogueCodes].sort());
    });

    it('answers every error as application/problem+json', () => {
      for (const { path, method, operation } of operations()) {
        for (const [status, value] of Object.entries(objectAt(operation, 'responses'))) {
          // /health answers with its own body; /setup/consent's 400 is a page for the admin's browser.
          if (Number(status) < 400 || path === '/health' || (path === '/setup/consent' && status === '400')) {
            continue;
          }
          expect({
            where: `${method} ${path} ${status}`,
            media: Object.keys(objectAt(deref(value), 'content')),
          }).toEqual({
            where: `${method} ${path} ${status}`,
            media: ['application/problem+json'],
          });
        }
      }
    });

    it("declares each operation's error codes under the catalogue's status", () => {
      const mismatches = operationProblemResponses().flatMap(
        ({ where, declaredStatus, schemaStatus, codes }) => [
          ...(schemaStatus === declaredStatus
            ? []
            : [`${where}: schema pins status ${String(schemaStatus)}`]),
          ...codes
            .filter((code) => ERROR_CATALOGUE[code as ErrorCode]?.status !== declaredStatus)
            .map((code) => `${where}: ${code}`),
        ],
      );
      expect(mismatches).toEqual([]);
    });

    it("gives each reusable error response the catalogue's status for its codes", () => {
      const responses = componentProblemResponses();
      const mismatches = responses.flatMap(({ where, schemaStatus, codes }) =>
        codes
          .filter((code) => ERROR_CATALOGUE[code as ErrorCode]?.status !== schemaStatus)
          .map((code) => `${where}: ${code} (${String(schemaStatus)})`),
      );
      expect(mismatches).toEqual([]);
      const covered = new Set(responses.flatMap(({ codes }) => codes));
      // A method a path does not have is no operation to attach a response to: the document's
      // description says it answers 405 METHOD_NOT_ALLOWED with Allow.
      const pathLevel = ['METHOD_NOT_ALLOWED'];
      expect(catalogueCodes.filter((code) => !covered.has(code) && !pathLevel.includes(code))).toEqual([]);
      expect((objectAt(spec, 'info').description as string).includes('405 `METHOD_NOT_ALLOWED`')).toBe(true);
    });

    it('answers 429 and 503 problems with Retry-After', () => {
      for (const { where, schemaStatus, response } of componentProblemResponses()) {
        if (schemaStatus !== 429 && schemaStatus !== 503) continue;
        const headers = objectAt(response, 'headers');
        expect({ where, retryAfter: deref(headers['Retry-After']).required }).toEqual({
          where,
          retryAfter: true,
        });
      }
    });
  });

  describe('schemas', () => {
    const schemas = objectAt(spec, 'components', 'schemas');

    it('holds the partnerId pattern', () => {
      const pattern = String(objectAt(schemas, 'PartnerId').pattern);
      expect(pattern).toBe('^[a-z0-9][a-z0-9._-]{0,63}$');
      const partnerId = deref(objectAt(spec, 'components', 'parameters', 'PartnerId').schema);
      expect(partnerId.pattern).toBe(pattern);
    });

    it('never shows the client secret', () => {
      const partner = objectAt(schemas, 'Partner');
      expect(partner.additionalProperties).toBe(false);
      expect(Object.keys(objectAt(partner, 'properties'))).not.toContain('clientSecret');
      expect(objectAt(partner, 'properties', 'hasClientSecret').type).toBe('boolean');
      expect(objectAt(schemas, 'PartnerInput', 'properties', 'clientSecret').writeOnly).toBe(true);
    });

    it('closes every request body schema to unknown properties', () => {
      for (const name of [
        'PartnerInput',
        'PartnerPatch',
        'MeetingCreate',
        'MeetingPatch',
        'OperatorsRequest',
      ]) {
        expect({ name, additionalProperties: objectAt(schemas, name).additionalProperties }).toEqual({
          name,
          additionalProperties: false,
        });
      }
    });

    it("holds the domain model's enums", () => {
      expect(objectAt(schemas, 'RemoteMatchField').enum).toEqual([...REMOTE_MATCH_FIELDS]);
      expect(objectAt(schemas, 'Cloud').enum).toEqual([...CLOUDS]);
      const options = objectAt(schemas, 'MeetingOptions', 'properties');
      expect(objectAt(options, 'lobbyBypassScope').enum).toEqual([...LOBBY_BYPASS_SCOPES]);
      expect(objectAt(options, 'allowedPresenters').enum).toEqual([...ALLOWED_PRESENTERS]);
      expect(objectAt(options, 'allowMeetingChat').enum).toEqual([...MEETING_CHAT_MODES]);
      expect(objectAt(options, 'recordAutomatically').type).toBe('boolean');
    });

    it('requires start and end together in a meeting PATCH', () => {
      expect(objectAt(schemas, 'MeetingPatch').dependentRequired).toEqual({
        startDateTime: ['endDateTime'],
        endDateTime: ['startDateTime'],
      });
    });

    it("names the verify checks' steps as the setup guide does", () => {
      expect(objectAt(schemas, 'SetupStep').enum).toEqual([
        'Step 1 - Azure AD/Microsoft Graph Config',
        'Step 2 - Microsoft Teams Configuration',
        'Step 3 - Configure API Permission Restrictions',
        'Step 4 - TARGETconnect platform',
        'Exchange step - Calendar access (RBAC for Applications)',
      ]);
      expect(objectAt(schemas, 'SetupStep').enum).toEqual(Object.values(SETUP_STEPS));
    });
  });
});
