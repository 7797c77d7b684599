/**
 * The built service as a process: boot refusal on bad configuration, and a graceful SIGTERM that
 * finishes the request in flight, refuses new connections, closes the store and exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { tempDbPath, validPartner } from '../support/harness';
import { call as callService } from '../support/process';
import { startSimulator } from '../../tools/microsoft-simulator';
import * as university from '../../tools/fixtures/university';

const MAIN = path.join(__dirname, '..', '..', 'dist', 'main.js');
const ADMIN = 'process-admin-key-0123456789abcdefghijkl';

beforeAll(() => {
  if (!fs.existsSync(MAIN))
    throw new Error('dist/main.js is missing: run `npm run build` (npm test does it first).');
});

function env(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _n, ...rest } = process.env;
  return { ...rest, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...overrides } as NodeJS.ProcessEnv;
}

/** The service's URL once its "listening" line is out; rejects if it exits first. */
function listening(child: ChildProcess, out: () => string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out());
      if (match) resolve(match[1]!);
    });
    child.once('exit', () => reject(new Error(`exited before listening: ${out()}`)));
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, ms: Date.now() - started })));
}

test('a bad configuration stops the boot with one line naming the variable', async () => {
  const child = spawn(process.execPath, [MAIN], {
    env: env({ ADMIN_API_KEY: undefined, SECRETS_KEY: randomBytes(32).toString('base64') }),
    cwd: path.dirname(tempDbPath()),
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const { code } = await exitOf(child);
  expect(code).toBe(78);
  expect(stderr.trim()).toBe('Configuration error: ADMIN_API_KEY: ADMIN_API_KEY is required');
});

test('several bad variables: every one is named, one line each, exit 78', async () => {
  const child = spawn(process.execPath, [MAIN], {
    env: env({ ADMIN_API_KEY: undefined, SECRETS_KEY: 'short', PORT: 'eighty' }),
    cwd: path.dirname(tempDbPath()),
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const { code } = await exitOf(child);
  expect(code).toBe(78);
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(3);
  expect(lines.map((line) => /^Configuration error: (\w+): /.exec(line)?.[1]).sort()).toEqual([
    'ADMIN_API_KEY',
    'PORT',
    'SECRETS_KEY',
  ]);
});

test('NODE_EXTRA_CA_CERTS in .env is trusted for Entra and Graph (Node itself reads it only at start)', async () => {
  const sim = await startSimulator();
  const dir = path.dirname(tempDbPath());
  fs.writeFileSync(path.join(dir, 'ca.pem'), sim.caCertPem);
  university.addUniversity(sim, { domains: ['uni.ac.uk'] });
  fs.writeFileSync(
    path.join(dir, '.env'),
    [
      `ADMIN_API_KEY=${ADMIN}`,
      `SECRETS_KEY=${randomBytes(32).toString('base64')}`,
      'DATABASE_URL=sqlite:./service.db',
      `AZURE_AUTHORITY_HOST=${sim.authorityHost}`,
      `GRAPH_BASE_URL=${sim.graphBaseUrl}`,
      'NODE_EXTRA_CA_CERTS=./ca.pem',
    ].join('\n'),
  );
  const { NODE_EXTRA_CA_CERTS: _ca, ...rest } = env({});
  const child = spawn(process.execPath, [MAIN], { env: rest, cwd: dir });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  try {
    const url = await listening(child, () => out);
    const call = (method: string, route: string, key: string, body?: unknown) =>
      callService(url, method, route, key, body);
    expect((await call('PUT', '/partners/uni-a', ADMIN, university.universityPartner())).status).toBe(201);
    const key = (await call('POST', '/partners/uni-a/api-keys', ADMIN)).body.key as string;
    const created = await call('POST', '/appointments/meeting', key, university.appointment());
    expect(created.body).toMatchObject({ status: 'scheduled' });
    expect(created.status).toBe(201);
    expect(sim.meetings()).toHaveLength(1);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await sim.close();
  }
});

test('SIGTERM: /health answers 503 for the grace period, then new connections are refused; the request in flight completes, exit 0', async () => {
  const dbPath = tempDbPath();
  const child = spawn(process.execPath, [MAIN], {
    env: env({
      ADMIN_API_KEY: ADMIN,
      SECRETS_KEY: randomBytes(32).toString('base64'),
      DATABASE_URL: `sqlite:${dbPath}`,
      SHUTDOWN_GRACE_MS: '800',
    }),
  });
  const exited = exitOf(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  try {
    const url = await listening(child, () => out);
    const { port } = new URL(url);

    // A request whose body is still arriving when the signal comes.
    const body = JSON.stringify(validPartner());
    let req!: http.ClientRequest;
    const inFlight = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'PUT',
          path: '/partners/uni-a',
          headers: {
            authorization: `Bearer ${ADMIN}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
    });
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    req.write(body.slice(0, 40));
    await pause(200); // the request is in the server's hands before the signal
    child.kill('SIGTERM');
    await pause(200);
    // Within the grace period the listener is open and /health tells load balancers to go.
    const health = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/health', agent: false }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        })
        .on('error', reject);
    });
    expect(health.status).toBe(503);
    expect(JSON.parse(health.body)).toMatchObject({
      status: 'unavailable',
      checks: { shutdown: { status: 'draining' } },
    });
    // Log lines are gathered for one write, but none waits long for it.
    await pause(400);
    expect(out).toMatch(/"route":"\/health","status":503/);
    await pause(500);
    // After it, the listener is closed: a new connection is refused.
    const refused = await new Promise<boolean>((r) => {
      const probe = http.get({ host: '127.0.0.1', port, path: '/health', agent: false }, () => r(false));
      probe.on('error', () => r(true));
    });
    req.end(body.slice(40));
    expect(refused).toBe(true);

    const answer = await inFlight;
    expect(answer.status).toBe(201);
    const { code, ms } = await exited;
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
    // Every line gathered was written before the process exited.
    if (!child.stdout!.closed) await new Promise((resolve) => child.stdout!.once('close', resolve));
    expect(out).toMatch(/"msg":"partner created"/);
    expect(out).toMatch(/"route":"\/partners\/:partnerId","status":201/);
    expect(out).toMatch(/"msg":"stopped"/);
    const db = new Database(dbPath, { readonly: true });
    expect(db.prepare('SELECT id FROM partners').all()).toEqual([{ id: 'uni-a' }]);
    db.close();
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
