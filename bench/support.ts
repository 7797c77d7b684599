/**
 * What bench/run.ts and bench/ab.ts share: the simulated university, the service as a child
 * process configured through its admin API, and readings of a child's CPU and memory from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import axios, { type AxiosInstance } from 'axios';
import { startSimulator, type MicrosoftSimulator, type SimUser } from '../tools/microsoft-simulator';
import {
  addUniversity,
  APP_ID,
  appointment,
  TENANT_ID,
  universityPartner,
} from '../tools/fixtures/university';

export const ROOT = path.resolve(__dirname, '..');

/** The value after `name` on the command line (`--rounds 4`), or undefined. */
export function argOf(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const CLOCK_TICKS_PER_S = 100;

/** What a load run gives, whatever the scenario: creates/s, latency in ms, and answers. */
export interface LoadFigures {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  total: number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** CPU time (user + system) a child has used so far, in ms, from /proc/<pid>/stat. */
export function cpuMsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

/** Resident memory of a process from /proc/<pid>/status, in MB: all of it, and its parts. */
export function memoryOf(pid: number): { rss: number; anon: number; file: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) =>
    +(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024).toFixed(1);
  return { rss: mb('VmRSS'), anon: mb('RssAnon'), file: mb('RssFile') };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function waitUp(url: string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    try {
      await axios.get(url, { validateStatus: () => true, timeout: 500 });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not come up`);
}

/** Fixed ids, so that re-seeding keeps the service's cached tokens and identities valid. */
export interface WorldIds {
  adviserId: string;
  studentIds: string[];
}

export function newWorldIds(students = 60): WorldIds {
  return {
    adviserId: crypto.randomUUID(),
    studentIds: Array.from({ length: students }, () => crypto.randomUUID()),
  };
}

/**
 * Resets the simulator to one university: the app with its roles, an adviser with the access
 * policy, and students `s<n>.student@uni.example.ac.uk`. Returns the adviser.
 */
export function seedWorld(sim: MicrosoftSimulator, ids: WorldIds): SimUser {
  sim.reset();
  sim.setLatency(0);
  const adviser = addUniversity(sim, { adviserId: ids.adviserId });
  // The Exchange step done for the adviser: calendar-backed meetings can use their calendar.
  sim.scopeCalendars(TENANT_ID, APP_ID, [adviser.id]);
  ids.studentIds.forEach((id, s) =>
    sim.addUser({
      tenantId: TENANT_ID,
      id,
      userPrincipalName: `s${s}@uni.example.ac.uk`,
      mail: `s${s}.student@uni.example.ac.uk`,
      displayName: `Student ${s}`,
    }),
  );
  return adviser;
}

/**
 * What most benchmarks start from: a scratch folder (`prefix`), a simulator seeded with one
 * university, and the simulator's certificate written as `ca.pem` for the service to trust.
 */
export async function benchSetup(
  prefix: string,
  students = 4,
): Promise<{ dir: string; sim: MicrosoftSimulator; ids: WorldIds; caFile: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const sim = await startSimulator();
  const ids = newWorldIds(students);
  seedWorld(sim, ids);
  const caFile = path.join(dir, 'ca.pem');
  fs.writeFileSync(caFile, sim.caCertPem);
  return { dir, sim, ids, caFile };
}

/**
 * The Node flags the service is deployed with (the Dockerfile's CMD, npm start, the manifests;
 * tests/process/deploy.test.ts holds them equal): the benchmark measures the service as it runs.
 */
export const DEPLOYED_NODE_ARGS = ['--max-semi-space-size=8'];

export interface ServiceChild {
  child: ChildProcess;
  url: string;
  admin: AxiosInstance;
  /** Configures partner `id` for the simulated university; returns a new partner key. */
  addPartner(id: string, overrides?: Record<string, unknown>): Promise<string>;
}

/**
 * Starts a build of the service (`<dist>/main.js`) on a fresh SQLite file in `dir`, pointed at
 * the simulator (its CA through NODE_EXTRA_CA_CERTS), logging at info to nowhere.
 */
export async function startService(options: {
  dist: string;
  dir: string;
  name: string;
  sim: MicrosoftSimulator;
  caFile: string;
  adminKey: string;
  nodeArgs?: string[];
  /** More environment (DATABASE_URL for PostgreSQL, …), over the defaults below. */
  env?: Record<string, string>;
}): Promise<ServiceChild> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [...DEPLOYED_NODE_ARGS, ...(options.nodeArgs ?? []), path.join(options.dist, 'main.js')],
    {
      cwd: options.dir,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: `sqlite:${path.join(options.dir, `${options.name}.db`)}`,
        ADMIN_API_KEY: options.adminKey,
        SECRETS_KEY: crypto.randomBytes(32).toString('base64'),
        AZURE_AUTHORITY_HOST: options.sim.authorityHost,
        GRAPH_BASE_URL: options.sim.graphBaseUrl,
        NODE_EXTRA_CA_CERTS: options.caFile,
        LOG_LEVEL: 'info',
        RATE_LIMIT_PER_MINUTE: '1000000',
        SHUTDOWN_GRACE_MS: '0',
        ...options.env,
      },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitUp(url);
  const admin = axios.create({
    baseURL: url,
    httpAgent: new http.Agent({ keepAlive: true, maxSockets: 8 }),
    headers: { authorization: `Bearer ${options.adminKey}` },
    validateStatus: () => true,
  });
  return {
    child,
    url,
    admin,
    async addPartner(id, overrides = {}) {
      const put = await admin.put(`/partners/${id}`, universityPartner(overrides));
      if (put.status !== 201 && put.status !== 200)
        throw new Error(`PUT partner ${put.status} ${JSON.stringify(put.data)}`);
      const key = await admin.post(`/partners/${id}/api-keys`);
      if (key.status !== 201) throw new Error(`api key ${key.status}`);
      return key.data.key as string;
    },
  };
}

/**
 * Starts bench/passthrough.ts: the pass-through, or with `express` the Express floor; `env` gives
 * its PT_ settings. Resolves with the child and its URL once it listens.
 */
export async function startPassThrough(options: {
  express: boolean;
  env: Record<string, string>;
  nodeArgs?: string[];
}): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), '--import', 'tsx', path.join(ROOT, 'bench', 'passthrough.ts')],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, PT_EXPRESS: options.express ? '1' : '0', ...options.env },
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`passthrough.ts exited with ${code}`)));
    child.stdout!.on('data', (d: Buffer) => {
      const m = /PORT (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

/** Runs a bench script's main: exit 0 when it ends, 1 with the stack when it fails. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack}\n`);
      process.exit(1);
    },
  );
}

/**
 * Creates for `seconds` at 16 connections through `service` with `key` (a new appointment each):
 * CPU ms per create of its process (from /proc) and creates/s. Throws on any non-2xx answer.
 */
export async function createRound(
  service: ServiceChild,
  key: string,
  seconds: number,
): Promise<{ cpu: number; rps: number }> {
  const pid = service.child.pid!;
  const before = cpuMsOf(pid);
  const result = await autocannon({
    url: service.url,
    connections: 16,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/appointments/meeting',
        setupRequest: (req) => ({
          ...req,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify(appointment()),
        }),
      },
    ],
  });
  if (result.non2xx) throw new Error(`${result.non2xx} answers were not 2xx`);
  return { cpu: (cpuMsOf(pid) - before) / result.requests.total, rps: result.requests.average };
}
