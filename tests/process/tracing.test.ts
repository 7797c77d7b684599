/**
 * Traces (issue 28), as a deployment gets them: the built service with the standard
 * OTEL_EXPORTER_OTLP_ENDPOINT pointing at an OTLP/HTTP receiver on loopback. A `traceparent` from
 * TARGETconnect is continued; the Entra and Graph calls and the store's work are child spans;
 * Graph's request-id is an attribute; no secret, token, key or person's address is in anything
 * exported; the request's log lines carry the trace id. On SQLite and on PostgreSQL (pg's own
 * instrumentation: a span per statement).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import { tempDbPath } from '../support/harness';
import { call, startBuiltService } from '../support/process';
import { TEST_DATABASE_URL } from '../support/postgres';
import { startSimulator, type MicrosoftSimulator } from '../../tools/microsoft-simulator';
import * as university from '../../tools/fixtures/university';

const ADMIN = 'tracing-admin-key-0123456789abcdefghijkl';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}

let sim: MicrosoftSimulator;
let dir: string;
let collector: http.Server;
let collectorUrl: string;
const bodies: string[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  sim = await startSimulator();
  university.addUniversity(sim, { domains: ['uni.ac.uk'] });
  sim.addUser({
    tenantId: university.TENANT_ID,
    userPrincipalName: 'sam@uni.example.ac.uk',
    mail: 'sam.student@uni.example.ac.uk',
    displayName: 'Sam Student',
  });
  dir = path.dirname(tempDbPath());
  fs.writeFileSync(path.join(dir, 'ca.pem'), sim.caCertPem);
  // The OTLP/HTTP receiver: what the exporter posts to /v1/traces, kept as sent.
  collector = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await new Promise((resolve) => collector.close(resolve));
  await sim.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function boot(databaseUrl: string, extra: Record<string, string> = {}) {
  return startBuiltService(
    {
      ADMIN_API_KEY: ADMIN,
      SECRETS_KEY: randomBytes(32).toString('base64'),
      DATABASE_URL: databaseUrl,
      AZURE_AUTHORITY_HOST: sim.authorityHost,
      GRAPH_BASE_URL: sim.graphBaseUrl,
      NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem'),
      OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl,
      OTEL_BSP_SCHEDULE_DELAY: '50',
      ...extra,
    },
    dir,
    children,
  );
}

function spansOf(traceId: string): OtlpSpan[] {
  return bodies.flatMap((body) => {
    const parsed = JSON.parse(body) as {
      resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
    };
    return parsed.resourceSpans
      .flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))
      .filter((s) => s.traceId === traceId);
  });
}

async function waitForSpans(traceId: string, done: (spans: OtlpSpan[]) => boolean): Promise<OtlpSpan[]> {
  for (let i = 0; i < 100; i++) {
    const spans = spansOf(traceId);
    if (done(spans)) return spans;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return spansOf(traceId);
}

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value === undefined ? undefined : Object.values(value)[0];
};

/** A create with TARGETconnect's traceparent; what was exported for its trace, and the logs. */
async function tracedCreate(databaseUrl: string) {
  const service = await boot(databaseUrl);
  const partnerId = `uni-${randomBytes(3).toString('hex')}`;
  expect(
    (await call(service.url, 'PUT', `/partners/${partnerId}`, ADMIN, university.universityPartner())).status,
  ).toBe(201);
  const key = (await call(service.url, 'POST', `/partners/${partnerId}/api-keys`, ADMIN)).body.key as string;
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  const created = await call(
    service.url,
    'POST',
    '/appointments/meeting',
    key,
    university.appointment({ attendees: [{ email: 'sam.student@uni.example.ac.uk' }] }),
    { traceparent: `00-${traceId}-${parentId}-01` },
  );
  expect(created.status).toBe(201);
  const spans = await waitForSpans(
    traceId,
    (all) => all.some((s) => s.name === 'Graph onlineMeetings.createOrGet') && all.some((s) => s.kind === 2),
  );
  return { service, key, traceId, parentId, spans };
}

function expectTrace(spans: OtlpSpan[], parentId: string) {
  // The server span continues TARGETconnect's: same trace, its parent the caller's span.
  const server = spans.find((s) => s.kind === 2)!;
  expect(server).toBeDefined();
  expect(server.parentSpanId).toBe(parentId);
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const descendsFromServer = (span: OtlpSpan): boolean => {
    for (let p = span.parentSpanId; p !== undefined && p !== ''; p = byId.get(p)?.parentSpanId) {
      if (p === server.spanId) return true;
    }
    return false;
  };
  // Graph's create as a client span under the request, with Graph's request-id.
  const graph = spans.find((s) => s.name === 'Graph onlineMeetings.createOrGet')!;
  expect(graph.kind).toBe(3);
  expect(descendsFromServer(graph)).toBe(true);
  expect(attribute(graph, 'ms.request_id')).toMatch(/^[0-9a-f-]{36}$/);
  expect(attribute(graph, 'http.response.status_code')).toBe(201);
  // The token from Entra and the adviser's lookup, in the same trace.
  const token = spans.find((s) => s.name === 'Entra token')!;
  expect(token).toBeDefined();
  expect(descendsFromServer(token)).toBe(true);
  expect(spans.some((s) => s.name === 'Graph users.lookup' || s.name.startsWith('Graph users'))).toBe(true);
  return { server, descendsFromServer };
}

/** Nothing exported holds a secret, token, key or a person's address; no URL keeps its query. */
function expectNothingSecret(key: string) {
  const exported = bodies.join('\n');
  for (const secret of [
    university.CLIENT_SECRET,
    key,
    ADMIN,
    'Bearer ',
    'eyJ', // a JWT
    'client_secret=',
    'client_assertion=',
    'sam.student@uni.example.ac.uk',
    university.ADVISER.mail,
    university.ADVISER.userPrincipalName,
  ]) {
    expect(exported).not.toContain(secret);
  }
  expect(exported).not.toMatch(
    /"(url\.full|http\.url|http\.target|url\.path)","value":\{"stringValue":"[^"]*\?/,
  );
}

test('SQLite: a traceparent continued, Entra, Graph and the store as child spans, nothing secret, the trace id in the logs', async () => {
  const { service, key, traceId, parentId, spans } = await tracedCreate(
    `sqlite:${path.join(dir, 'sqlite.db')}`,
  );
  const { descendsFromServer } = expectTrace(spans, parentId);
  const store = spans.filter((s) => s.name.startsWith('sqlite '));
  expect(store.map((s) => s.name)).toEqual(
    expect.arrayContaining(['sqlite Meeting.claim', 'sqlite Meeting.update']),
  );
  expect(store.every(descendsFromServer)).toBe(true);
  expectNothingSecret(key);
  // Every line the request logged carries its trace id (and request id). Log lines are written
  // in batches (at most 250 ms apart): wait for the request's.
  const requestLines = () =>
    service
      .logs()
      .split('\n')
      .filter((l) => l.includes('"route":"/appointments/meeting"'));
  for (let i = 0; i < 60 && requestLines().length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const lines = requestLines();
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) expect(JSON.parse(line)).toMatchObject({ traceId });
  service.child.kill('SIGTERM');
}, 30_000);

test('PostgreSQL: each statement a span of the request (its SQL, never its values)', async () => {
  const schema = `trace_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  try {
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const { service, key, parentId, spans } = await tracedCreate(url.toString());
    const { descendsFromServer } = expectTrace(spans, parentId);
    const statements = spans.filter(
      (s) => attribute(s, 'db.system') === 'postgresql' || attribute(s, 'db.system.name') === 'postgresql',
    );
    expect(statements.length).toBeGreaterThanOrEqual(3);
    expect(statements.every(descendsFromServer)).toBe(true);
    const texts = statements.map((s) =>
      String(attribute(s, 'db.statement') ?? attribute(s, 'db.query.text') ?? ''),
    );
    expect(texts.some((t) => /INSERT INTO meetings/i.test(t) || /UPDATE meetings/i.test(t))).toBe(true);
    expectNothingSecret(key);
    service.child.kill('SIGTERM');
  } finally {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}, 30_000);

test('off without OTEL_EXPORTER_OTLP_ENDPOINT: nothing is exported, no trace id in the logs', async () => {
  const service = await boot(`sqlite:${path.join(dir, 'off.db')}`, { OTEL_EXPORTER_OTLP_ENDPOINT: '' });
  expect(
    (
      await call(service.url, 'GET', '/partners', ADMIN, undefined, {
        traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
      })
    ).status,
  ).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(spansOf('a'.repeat(32))).toEqual([]);
  expect(service.logs()).not.toContain('traceId');
  service.child.kill('SIGTERM');
}, 30_000);
