/**
 * The hostile-input suite of the red-team pass, kept: every operation of openapi.yaml, with the
 * key that may call it, is sent bodies and headers built to break it (text that is not
 * well-formed Unicode, NUL and control characters, impossible dates, values past every maximum,
 * wrong types, deep nesting). No answer is a 5xx, every error is problem+json with the request id,
 * and nothing refused is stored. Path parameters and framing have their own suites
 * (path-parameters.test.ts, protocol-errors.test.ts).
 */
import { openapiDocument } from '../support/contract';
import { appointment, worldsPerTest, type ServiceWorld } from '../support/service-world';

type Json = Record<string, unknown>;
const doc = openapiDocument as unknown as Json;
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

function deref(node: unknown): Json {
  let current = node as Json;
  while (typeof current?.['$ref'] === 'string') {
    current = (current['$ref'] as string)
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((n, k) => (n as Json)[k], doc) as Json;
  }
  return current;
}

/** The property names a request body's schema knows (allOf parts included). */
function bodyProperties(operation: Json): string[] {
  const body = operation['requestBody'] ? deref(operation['requestBody']) : undefined;
  const schema = body ? deref(((body['content'] as Json)['application/json'] as Json)['schema']) : undefined;
  if (!schema) return [];
  const parts = [schema, ...((schema['allOf'] as unknown[]) ?? []).map(deref)];
  return [...new Set(parts.flatMap((p) => Object.keys((p['properties'] as Json) ?? {})))];
}

const HOSTILE_VALUES: Array<[string, unknown]> = [
  ['a lone surrogate', 'x-\ud800'],
  ['NUL', 'a\u0000b'],
  ['control characters', '\u0001\u0007\u001b[31m\u007f'],
  ['an impossible date', '2027-02-30T10:00:00Z'],
  ['year 0000', '0000-01-01T00:00:00Z'],
  ['5,000 characters', 'x'.repeat(5000)],
  ['a number', 1e308],
  ['an array of 1,000', Array.from({ length: 1000 }, () => ({ email: 'a@b' }))],
  ['deep nesting', JSON.parse(`${'['.repeat(200)}${']'.repeat(200)}`)],
  ['an object with a __proto__ key', JSON.parse('{"__proto__": {"admin": true}, "email": "x@y"}')],
  ['null', null],
];

interface Operation {
  label: string;
  method: (typeof METHODS)[number];
  template: string;
  partnerKey: boolean;
  properties: string[];
}

const operations: Operation[] = Object.entries(doc['paths'] as Record<string, Json>).flatMap(
  ([template, item]) =>
    METHODS.filter((m) => item[m] !== undefined).map((method) => {
      const op = item[method] as Json;
      const security = (op['security'] as Array<Json> | undefined) ?? [];
      return {
        label: `${method.toUpperCase()} ${template}`,
        method,
        template,
        partnerKey: security.some((s) => 'partnerKey' in s) && !security.some((s) => 'adminKey' in s),
        properties: bodyProperties(op),
      };
    }),
);

const worlds = worldsPerTest();
let w: ServiceWorld;
let appointmentId: string;

beforeEach(async () => {
  w = await worlds.world();
  const made = await w.create(appointment());
  appointmentId = made.body.appointmentId;
});

function send(op: Operation, body: unknown, headers: Record<string, string> = {}) {
  const path = op.template
    .replace('{partnerId}', 'uni-x')
    .replace('{appointmentId}', encodeURIComponent(appointmentId))
    .replace('{keyId}', '00000000-0000-4000-8000-000000000000')
    .replace('{certificateId}', '00000000-0000-4000-8000-000000000001')
    .replace('{linkId}', '00000000-0000-4000-8000-000000000002');
  let req = w.h.request[op.method](path).set(
    'Authorization',
    op.partnerKey ? `Bearer ${w.partnerKey}` : w.h.admin,
  );
  for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
  if (op.method === 'get' || op.method === 'delete') return req;
  return req.set('Content-Type', 'application/json').send(JSON.stringify(body));
}

/** An error the contract documents as a page for a person's browser (the consent callback's 400). */
function documentedPage(op: Operation | undefined, status: number): boolean {
  if (op === undefined) return false;
  const item = (doc['paths'] as Record<string, Json>)[op.template]![op.method] as Json;
  const response = (item['responses'] as Record<string, Json>)[String(status)];
  return response?.['content'] !== undefined && 'text/html' in (response['content'] as Json);
}

function expectHandled(res: { status: number; headers: Record<string, string>; body: Json }, op?: Operation) {
  expect(res.status).toBeLessThan(500);
  expect(res.headers['x-request-id']).toBeDefined();
  if (res.status >= 400 && documentedPage(op, res.status)) {
    expect(res.headers['content-type']).toMatch(/^text\/html/);
  } else if (res.status >= 400) {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body['requestId']).toBe(res.headers['x-request-id']);
  }
}

const withBodies = operations.filter((op) => op.properties.length > 0);

test('the suite reaches every operation, and every request body', () => {
  expect(operations.length).toBeGreaterThanOrEqual(21);
  expect(withBodies.map((op) => op.label).sort()).toEqual(
    [
      'PUT /partners/{partnerId}',
      'PATCH /partners/{partnerId}',
      'POST /partners/{partnerId}/verify',
      'POST /partners/{partnerId}/access-policy-script',
      'POST /partners/{partnerId}/exchange-scope-script',
      'POST /appointments/meeting',
      'PATCH /appointments/{appointmentId}/meeting',
      'POST /partners/{partnerId}/certificates',
      'POST /partners/{partnerId}/setup-links',
      'POST /webhooks',
      'PATCH /webhooks/{webhookId}',
    ].sort(),
  );
});

describe.each(withBodies.map((op) => [op.label, op] as const))('%s', (_label, op) => {
  test.each(HOSTILE_VALUES)('every field set to %s: a 4xx problem, nothing stored', async (_what, value) => {
    const before = JSON.stringify([
      await w.h.store.partners.list(),
      await w.h.store.meetings.get('uni-x', appointmentId),
    ]);
    const body = Object.fromEntries(op.properties.map((name) => [name, value]));
    const res = await send(op, body);
    expectHandled(res);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(
      JSON.stringify([await w.h.store.partners.list(), await w.h.store.meetings.get('uni-x', appointmentId)]),
    ).toBe(before);
  });

  test.each(op.properties)('%s alone set to each hostile value: never a 5xx', async (name) => {
    const base = op.label === 'POST /appointments/meeting' ? appointment() : {};
    for (const [, value] of HOSTILE_VALUES) expectHandled(await send(op, { ...base, [name]: value }));
  });
});

describe.each(operations.map((op) => [op.label, op] as const))('%s with hostile headers', (_label, op) => {
  test('an X-Request-Id that is not a token, an odd Accept, a huge Authorization: never a 5xx', async () => {
    const oddHeaders: Array<Record<string, string>> = [
      { 'X-Request-Id': 'x'.repeat(500) },
      { 'X-Request-Id': '../../etc/passwd' },
      { Accept: 'text/html;q=0.1, */*;q=0' },
      { 'Content-Type': 'application/json; charset=latin1' },
    ];
    for (const headers of oddHeaders) expectHandled(await send(op, {}, headers), op);
    const huge = await w.h.request.get('/openapi.yaml').set('Authorization', `Bearer ${'k'.repeat(8000)}`);
    expectHandled(huge);
    expect(huge.status).toBe(401);
  });
});
