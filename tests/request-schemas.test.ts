/**
 * One source for what a request may hold: the zod schemas that validate requests are turned into
 * JSON Schema (zod's own `toJSONSchema`) and held to the request schemas of openapi.yaml, limits
 * included (lengths, item counts, patterns, enums, required fields, unknown fields refused). A
 * limit in one and not the other fails here. What JSON Schema cannot say (a date that exists,
 * end after start and at most 24 h later, a Secret ID pasted for a secret) is held by the
 * behaviour tests of each endpoint.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { partnerIdSchema } from '../src/api/schemas/common';
import { accessPolicyScriptBodySchema, verifyBodySchema } from '../src/api/schemas/diagnostics.schemas';
import {
  appointmentIdSchema,
  createMeetingSchema,
  updateMeetingSchema,
} from '../src/api/schemas/meeting.schemas';
import { partnerPatchSchema, partnerPutSchema } from '../src/api/schemas/partner.schemas';
import { keyIdSchema } from '../src/api/schemas/api-key.schemas';
import { linkIdSchema, setupLinkCreateSchema } from '../src/api/schemas/setup-link.schemas';
import { certificateCreateSchema, certificateIdSchema } from '../src/api/schemas/certificate.schemas';

type Json = Record<string, unknown>;
const spec = YAML.parse(fs.readFileSync(path.join(__dirname, '..', 'openapi.yaml'), 'utf8')) as Json;

function deref(node: unknown): Json {
  let current = node as Json;
  while (typeof current?.['$ref'] === 'string') {
    const parts = (current['$ref'] as string).replace(/^#\//, '').split('/');
    current = parts.reduce<unknown>((n, k) => (n as Json)[k], spec) as Json;
  }
  const allOf = current?.['allOf'] as unknown[] | undefined;
  if (allOf) {
    const { allOf: _, ...rest } = current;
    return allOf.map(deref).reduce<Json>(
      (merged, part) => ({
        ...merged,
        ...part,
        properties: { ...(merged['properties'] as Json), ...(part['properties'] as Json) },
        required: [...((merged['required'] as string[]) ?? []), ...((part['required'] as string[]) ?? [])],
      }),
      rest,
    );
  }
  return current;
}

/** The types a schema allows, through anyOf/oneOf branches. */
function typesOf(s: Json): unknown[] {
  const branches = (s['anyOf'] ?? s['oneOf']) as unknown[] | undefined;
  return branches ? branches.flatMap((b) => typesOf(deref(b))) : ([] as unknown[]).concat(s['type'] ?? []);
}

const LIMITS = ['minLength', 'maxLength', 'minItems', 'maxItems', 'pattern', 'enum', 'minimum', 'maximum'];

/** The validation-relevant shape of a schema, as comparable text: types, limits, fields. */
function shape(node: unknown, where: string, out: string[] = []): string[] {
  const s = deref(node);
  const types = typesOf(s).filter((t) => t !== 'null');
  if (types.length) out.push(`${where} type ${[...new Set(types)].sort().join('|')}`);
  for (const key of LIMITS) {
    if (s[key] === undefined) continue;
    const value = key === 'enum' ? [...(s[key] as unknown[])].filter((v) => v !== null).sort() : s[key];
    out.push(`${where} ${key} ${JSON.stringify(value)}`);
  }
  if (s['properties']) {
    for (const [name, child] of Object.entries(s['properties'] as Json).sort())
      shape(child, `${where}.${name}`, out);
    out.push(`${where} required ${JSON.stringify([...new Set((s['required'] as string[]) ?? [])].sort())}`);
  }
  if (s['additionalProperties'] === false) out.push(`${where} no unknown fields`);
  else if (typeof s['additionalProperties'] === 'object')
    shape(s['additionalProperties'], `${where}{value}`, out);
  if (s['propertyNames']) shape(s['propertyNames'], `${where}{name}`, out);
  if (s['items']) shape(s['items'], `${where}[]`, out);
  return out;
}

function fromZod(schema: z.ZodType): string[] {
  return shape(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }), '$');
}

function requestBody(pathTemplate: string, method: string): string[] {
  const op = (spec['paths'] as Json)[pathTemplate] as Json;
  const body = (op[method] as Json)['requestBody'] as Json;
  const media = (deref(body)['content'] as Json)['application/json'] as Json;
  return shape(media['schema'], '$');
}

function parameter(pathTemplate: string, method: string, name: string): string[] {
  const item = (spec['paths'] as Json)[pathTemplate] as Json;
  const params = [
    ...((item['parameters'] as unknown[]) ?? []),
    ...(((item[method] as Json)['parameters'] as unknown[]) ?? []),
  ];
  const found = params.map(deref).find((p) => p['name'] === name && p['in'] === 'path');
  if (!found) throw new Error(`${method} ${pathTemplate} has no path parameter ${name}`);
  return shape(found['schema'], '$');
}

describe('request bodies: zod and openapi.yaml say the same', () => {
  test.each([
    ['PUT', '/partners/{partnerId}', partnerPutSchema],
    ['PATCH', '/partners/{partnerId}', partnerPatchSchema],
    ['POST', '/partners/{partnerId}/verify', verifyBodySchema],
    ['POST', '/partners/{partnerId}/access-policy-script', accessPolicyScriptBodySchema],
    ['POST', '/partners/{partnerId}/exchange-scope-script', accessPolicyScriptBodySchema],
    ['POST', '/appointments/meeting', createMeetingSchema],
    ['PATCH', '/appointments/{appointmentId}/meeting', updateMeetingSchema],
    ['POST', '/partners/{partnerId}/certificates', certificateCreateSchema],
    ['POST', '/partners/{partnerId}/setup-links', setupLinkCreateSchema],
  ] as const)('%s %s', (method, pathTemplate, schema) => {
    expect(requestBody(pathTemplate, method.toLowerCase())).toEqual(fromZod(schema));
  });
});

describe('path parameters: zod and openapi.yaml say the same', () => {
  test.each([
    ['GET', '/partners/{partnerId}', 'partnerId', partnerIdSchema],
    ['DELETE', '/partners/{partnerId}/api-keys/{keyId}', 'keyId', keyIdSchema],
    ['GET', '/appointments/{appointmentId}/meeting', 'appointmentId', appointmentIdSchema],
    ['DELETE', '/partners/{partnerId}/certificates/{certificateId}', 'certificateId', certificateIdSchema],
    ['DELETE', '/partners/{partnerId}/setup-links/{linkId}', 'linkId', linkIdSchema],
  ] as const)('%s %s {%s}', (method, pathTemplate, name, schema) => {
    expect(parameter(pathTemplate, method.toLowerCase(), name)).toEqual(fromZod(schema));
  });
});

test('the comparison sees limits: the same body with another maximum differs', () => {
  expect(requestBody('/appointments/meeting', 'post')).toContain('$.attendees maxItems 50');
  const wider = createMeetingSchema.safeExtend({
    attendees: z.array(z.record(z.string(), z.string())).max(51),
  });
  expect(fromZod(wider)).toContain('$.attendees maxItems 51');
  expect(fromZod(wider)).not.toEqual(requestBody('/appointments/meeting', 'post'));
});
