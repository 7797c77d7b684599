/**
 * Every path parameter of every operation in openapi.yaml, sent NUL, other control characters,
 * bytes that are not UTF-8, overlong and dotted values, with a key that may call the operation:
 * each answer is a 4xx problem+json with a request id, never a 5xx, on SQLite and on PostgreSQL
 * (red-team item 14: a NUL in a key id was a 500 on PostgreSQL).
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import type { Store } from '../../src/domain/store.port';
import { openapiDocument } from '../support/contract';
import { makeHarness, validPartner, type Harness } from '../support/harness';
import { openPostgres } from '../support/postgres';

const URL_ = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SKIP_POSTGRES = process.env.TEAMS_MEETINGS_SKIP_POSTGRES === '1';

const HOSTILE = [
  '%00',
  'a%00b',
  '%01',
  '%1F',
  '%7F',
  '%0A',
  '%0D%0A',
  '%ED%A0%80',
  '%C0%AF',
  '%FF',
  '..',
  'x'.repeat(300),
  '%20',
];
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

interface Operation {
  method: (typeof METHODS)[number];
  template: string;
  params: string[];
  partnerKey: boolean;
}

const doc = openapiDocument as unknown as {
  paths: Record<string, Record<string, { security?: Array<Record<string, unknown>> }>>;
};
const operations: Operation[] = Object.entries(doc.paths)
  .flatMap(([template, item]) =>
    METHODS.filter((m) => item[m] !== undefined).map((method) => ({
      method,
      template,
      params: [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
      partnerKey: (item[method]!.security ?? []).some((s) => 'partnerKey' in s && !('adminKey' in s)),
    })),
  )
  .filter((op) => op.params.length > 0);

const cases = operations.flatMap((op) =>
  op.params.flatMap((param) =>
    HOSTILE.map(
      (value) =>
        [
          `${op.method.toUpperCase()} ${op.template} {${param}}=${value.slice(0, 12)}`,
          op,
          param,
          value,
        ] as const,
    ),
  ),
);

const engines: Array<[string, () => Promise<{ store?: Store; done: () => Promise<void> }>]> = [
  ['SQLite', async () => ({ done: async () => undefined })],
];
if (!SKIP_POSTGRES) {
  engines.push([
    'PostgreSQL',
    async () => {
      const schema = `tm_params_${randomBytes(5).toString('hex')}`;
      const store = await openPostgres(URL_, { schema, poolSize: 3 });
      return {
        store,
        done: async () => {
          await store.close();
          const admin = new Pool({ connectionString: URL_, max: 1 });
          await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await admin.end();
        },
      };
    },
  ]);
}

describe.each(engines)('on %s', (_engine, open) => {
  let h: Harness;
  let partnerKey: string;
  let done: () => Promise<void>;
  beforeAll(async () => {
    const opened = await open();
    done = opened.done;
    h = makeHarness(opened.store ? { store: opened.store } : {});
    expect(
      (await h.request.put('/partners/uni-a').set('Authorization', h.admin).send(validPartner())).status,
    ).toBe(201);
    partnerKey = (await h.request.post('/partners/uni-a/api-keys').set('Authorization', h.admin)).body.key;
  });
  afterAll(async () => {
    await h.close();
    await done();
  });

  test('every operation with a path parameter is covered', () => {
    expect(operations.length).toBeGreaterThanOrEqual(10);
  });

  test.each(cases)('%s', async (_label, op, param, value) => {
    const path = op.template.replace(/\{(\w+)\}/g, (_m, name: string) =>
      name === param
        ? value
        : name === 'partnerId'
          ? 'uni-a'
          : name === 'keyId' || name === 'certificateId'
            ? '00000000-0000-4000-8000-000000000000'
            : 'appt-1',
    );
    let req = h.request[op.method](path).set(
      'Authorization',
      op.partnerKey ? `Bearer ${partnerKey}` : h.admin,
    );
    if (op.method !== 'get' && op.method !== 'delete')
      req = req.send(op.method === 'put' ? validPartner() : {});
    const res = await req;
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['x-request-id']).toBeDefined();
    expect(res.body.requestId).toBe(res.headers['x-request-id']);
  });
});
