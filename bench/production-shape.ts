/**
 * The production-shape scenario of `npm run bench` (docs/BENCHMARKS.md, "Production shape"):
 * Microsoft answering every Graph and token call after 100-150 ms, 256 connections, 10 partners
 * (each its own tenant with 5 advisers), creates with 3 attendees: a student already looked up
 * (one of 300 "regulars" per partner, seen in the warm-up) or, for 1 attendee in 10, a student
 * never seen before (from a reserve of thousands), so that identity lookups happen as in
 * production. The service on SQLite, the pass-through and the Express floor (both doing the same
 * Microsoft calls: bench/passthrough.ts, PT_LOOKUPS) alternate in rounds; then the service on
 * PostgreSQL, one instance and two behind the bench's round-robin, alternate.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import axios from 'axios';
import { Pool } from 'pg';
import { startSimulator, type MicrosoftSimulator } from '../tools/microsoft-simulator';
import { APP_ID, CLIENT_SECRET, ROLES, SECRET_ID, universityPartner } from '../tools/fixtures/university';
import {
  cpuMsOf,
  median,
  ROOT,
  startPassThrough,
  startService,
  type LoadFigures,
  type ServiceChild,
} from './support';

export interface ShapeOptions {
  roundSeconds: number;
  rounds: number;
  connections: number;
  latencyMs: number;
  jitterMs: number;
  /** PostgreSQL server for the PostgreSQL part (a database is made for the run, then dropped). */
  postgresUrl: string | null;
  profileDir: string | null;
  log: (message: string) => void;
}

const PARTNERS = 10;
const ADVISERS = 5;
const REGULARS = 300;
const RESERVE = 7000;
const NEW_SHARE = 0.1;

/** One contender's round. */
export interface ShapeRound extends LoadFigures {
  cpuMsPerCreate: number;
  /** Graph calls (not token requests) per create, and identity lookups (users.list) per create. */
  graphPerCreate: number;
  lookupsPerCreate: number;
  tokenRequests: number;
  /** Most outbound sockets seen in use, and requests that waited for one, during the round. */
  socketsInUseMax: number;
  socketWaits: number;
  /** Service only: identity values answered by the cache, share. */
  identityHitShare?: number;
  /** CPU per create of this process (simulator and load generator). */
  benchCpuMsPerCreate: number;
  /** PostgreSQL only: the server's CPU per create (all its processes). */
  postgresCpuMsPerCreate?: number;
  statementsPerCreate?: number;
  /** SQLite: writes per group commit and commits per create (the service's counters). */
  writesPerCommit?: number;
  commitsPerCreate?: number;
  poolWaits?: number;
  poolWaitMs?: number;
  poolOpenMax?: number;
  /** The pool's size, as the service reports it (DATABASE_POOL_SIZE; BENCH_POOL_SIZE sets it). */
  poolSize?: number;
  /** Service only: webhook deliveries received while the load ran, per second. */
  deliveriesPerSecond?: number;
  /** Service only: the longest an event of the round waited, from its record to its delivery. */
  eventLagMaxMs?: number;
  /** Service only: events of the round's creates not delivered 10 s after the load stopped. */
  eventsUndelivered?: number;
}

/**
 * TARGETconnect's receiver for the shape, in a process of its own (in the bench's, its work would
 * slow the load generator and so inflate the service's measured latency alone): takes every
 * delivery (204), counts it and how long its event waited (receipt − the event's createdAt);
 * keeps nothing else. The service's webhook is an admin one for every event, so that every create
 * is one delivery.
 */
interface LeanReceiver {
  url: string;
  stats(): Promise<{ count: number; lagMaxMs: number }>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

const RECEIVER_SCRIPT = `
const http = require('node:http');
let count = 0, lagMaxMs = 0;
const server = http.createServer((req, res) => {
  if (req.method === 'GET') { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ count, lagMaxMs })); return; }
  if (req.url === '/reset') { count = 0; lagMaxMs = 0; req.resume(); res.writeHead(204).end(); return; }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const m = /"createdAt":"([^"]+)"/.exec(Buffer.concat(chunks).toString('utf8'));
    if (m) lagMaxMs = Math.max(lagMaxMs, Date.now() - Date.parse(m[1]));
    count += 1;
    res.writeHead(204).end();
  });
});
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => process.stdout.write('PORT ' + server.address().port + '\\n'));
`;

async function startLeanReceiver(): Promise<LeanReceiver> {
  const child = spawn(process.execPath, ['-e', RECEIVER_SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`receiver exited with ${code}`)));
    child.stdout!.on('data', (d: Buffer) => {
      const m = /PORT (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
  });
  const base = `http://127.0.0.1:${port}`;
  const control = axios.create({ baseURL: base, httpAgent: new http.Agent({ keepAlive: true }) });
  return {
    url: `${base}/events`,
    stats: async () => (await control.get('/stats')).data as { count: number; lagMaxMs: number },
    reset: async () => {
      await control.post('/reset');
    },
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface ShapeResults {
  options: Omit<ShapeOptions, 'log' | 'profileDir'>;
  sqlite: { service: ShapeRound[]; passThrough: ShapeRound[]; expressFloor: ShapeRound[] };
  postgres: { one: ShapeRound[]; two: ShapeRound[]; poolSize: number } | { skipped: string };
}

interface Tenant {
  id: string;
  domain: string;
  advisers: { id: string; email: string }[];
  regulars: { id: string; email: string }[];
  reserve: { id: string; email: string }[];
  /** The next reserve student nobody has asked for yet. */
  next: number;
}

function makeTenants(): Tenant[] {
  return Array.from({ length: PARTNERS }, (_, k) => {
    const domain = `u${k}.bench.example.ac.uk`;
    const people = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({ id: crypto.randomUUID(), email: `${prefix}${i}@${domain}` }));
    return {
      id: crypto.randomUUID(),
      domain,
      advisers: people('adviser', ADVISERS),
      regulars: people('r', REGULARS),
      reserve: people('n', RESERVE),
      next: 0,
    };
  });
}

/** Resets the simulator to the ten universities (same ids every time, so caches stay valid). */
function seed(sim: MicrosoftSimulator, tenants: Tenant[], options: ShapeOptions): void {
  sim.reset();
  sim.setLatency(options.latencyMs, options.jitterMs);
  for (const t of tenants) {
    sim.addTenant({ id: t.id, domains: [t.domain] });
    sim.addApp({
      tenantId: t.id,
      appId: APP_ID,
      secrets: [{ value: CLIENT_SECRET, id: SECRET_ID }],
      roles: ROLES,
    });
    for (const a of t.advisers) {
      sim.addUser({ tenantId: t.id, id: a.id, userPrincipalName: a.email, mail: a.email });
      sim.grantPolicy(t.id, a.id, APP_ID);
    }
    for (const s of [...t.regulars, ...t.reserve]) {
      sim.addUser({ tenantId: t.id, id: s.id, userPrincipalName: s.email, mail: s.email });
    }
  }
}

const runId = crypto.randomBytes(4).toString('hex');
let serial = 0;

/** A create for partner k: a random adviser, three distinct students (1 in 10 never seen before). */
function createBody(tenants: Tenant[], k: number, warm?: number): string {
  const t = tenants[k]!;
  const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;
  const attendees = new Set<string>();
  if (warm !== undefined) {
    for (let j = 0; j < 3; j += 1) attendees.add(t.regulars[(warm * 3 + j) % REGULARS]!.email);
  } else {
    while (attendees.size < 3) {
      const fresh = Math.random() < NEW_SHARE && t.next < RESERVE;
      attendees.add(fresh ? t.reserve[t.next++]!.email : pick(t.regulars).email);
    }
  }
  serial += 1;
  return JSON.stringify({
    appointmentId: `ps-${runId}-${serial}`,
    subject: 'Careers guidance',
    // Ahead, as appointments are booked: a meeting already over would be due an attendance look
    // at once (with an attendance.ready webhook), which no booking at this rate brings.
    startDateTime: '2027-12-01T10:00:00+00:00',
    endDateTime: '2027-12-01T10:30:00+00:00',
    operator: { email: pick(t.advisers).email, name: 'Adviser' },
    attendees: [...attendees].map((email) => ({ email })),
  });
}

/** What the bench reads of a contender between and during rounds. */
interface Probe {
  /** Outbound sockets in use now, and the total of requests that waited for one. */
  sockets(): Promise<{ inUse: number; waitedTotal: number }>;
  /** Service only: its counters from /metrics. */
  counters?(): Promise<Record<string, number>>;
}

/** CPU ms used so far by every PostgreSQL server process of this machine (from /proc). */
function postgresCpuMs(): number {
  let ms = 0;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      ms += cpuMsOf(Number(pid));
    } catch {
      // The process ended meanwhile.
    }
  }
  return ms;
}

function metricValue(text: string, name: string): number {
  const m = new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

function serviceProbe(svc: ServiceChild): Probe {
  const scrape = async () => (await svc.admin.get('/metrics')).data as string;
  return {
    async sockets() {
      const text = await scrape();
      return {
        inUse: metricValue(text, 'teams_meetings_outbound_sockets{state="in_use"}'),
        waitedTotal: metricValue(text, 'teams_meetings_outbound_socket_waits_total'),
      };
    },
    async counters() {
      const text = await scrape();
      return {
        hits: metricValue(text, 'teams_meetings_identity_lookups_total{outcome="hit"}'),
        misses: metricValue(text, 'teams_meetings_identity_lookups_total{outcome="miss"}'),
        statements: metricValue(text, 'teams_meetings_store_statements_total'),
        commits: metricValue(text, 'teams_meetings_store_commits_total'),
        writes: metricValue(text, 'teams_meetings_store_writes_total'),
        poolWaits: metricValue(text, 'teams_meetings_store_pool_waits_total'),
        poolWaitSeconds: metricValue(text, 'teams_meetings_store_pool_wait_seconds_total'),
        poolOpen: metricValue(text, 'teams_meetings_store_pool_connections{state="open"}'),
        poolSize: metricValue(text, 'teams_meetings_store_pool_connections{state="max"}'),
        created: metricValue(
          text,
          'teams_meetings_http_requests_total{method="POST",route="/appointments/meeting",status="201"}',
        ),
      };
    },
  };
}

function passThroughProbe(url: string): Probe {
  return {
    async sockets() {
      return (await axios.get(`${url}/stats`)).data as { inUse: number; waitedTotal: number };
    },
  };
}

interface Target {
  url: string;
  child: ChildProcess;
  probe: Probe;
  /** Partner keys (service), by partner. */
  keys?: string[];
  /** Service: where its webhook deliveries arrive. */
  hooks?: LeanReceiver;
}

/**
 * One round against one or more targets at once (connections split evenly: the round-robin),
 * with the sockets sampled every 250 ms. Creates counted over all targets.
 */
async function round(
  targets: Target[],
  tenants: Tenant[],
  sim: MicrosoftSimulator,
  options: ShapeOptions,
  seconds: number,
): Promise<ShapeRound> {
  sim.clearRequests();
  const hooks = targets[0]!.hooks;
  await hooks?.reset();
  const cpuBefore = targets.map((t) => cpuMsOf(t.child.pid!));
  const benchBefore = process.cpuUsage();
  const postgresBefore = postgresCpuMs();
  const waitsBefore = await Promise.all(targets.map((t) => t.probe.sockets()));
  const countersBefore = await Promise.all(targets.map((t) => t.probe.counters?.()));
  let socketsInUseMax = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await new Promise((r) => setTimeout(r, 250));
      if (!sampling) break;
      const now = await Promise.all(targets.map((t) => t.probe.sockets()));
      socketsInUseMax = Math.max(socketsInUseMax, ...now.map((s) => s.inUse));
    }
  })();
  let i = 0;
  const results = await Promise.all(
    targets.map((target) =>
      autocannon({
        url: target.url,
        connections: Math.floor(options.connections / targets.length),
        duration: seconds,
        requests: [
          {
            method: 'POST',
            setupRequest: (req) => {
              const k = i % PARTNERS;
              i += 1;
              return {
                ...req,
                path: '/appointments/meeting',
                headers: {
                  'content-type': 'application/json',
                  ...(target.keys ? { authorization: `Bearer ${target.keys[k]!}` } : {}),
                },
                body: createBody(tenants, k),
              };
            },
          },
        ],
      }),
    ),
  );
  sampling = false;
  await sampler;
  const deliveredDuringLoad = hooks ? (await hooks.stats()).count : 0;
  const total = results.reduce((n, r) => n + r.requests.total, 0);
  const cpu = targets.reduce((ms, t, j) => ms + cpuMsOf(t.child.pid!) - cpuBefore[j]!, 0);
  const benchCpu = process.cpuUsage(benchBefore);
  const postgresCpu = postgresCpuMs() - postgresBefore;
  const waitsAfter = await Promise.all(targets.map((t) => t.probe.sockets()));
  const countersAfter = await Promise.all(targets.map((t) => t.probe.counters?.()));
  const delta = (name: string) =>
    countersAfter.reduce((n, after, j) => n + (after ? after[name]! - countersBefore[j]![name]! : 0), 0);
  const requests = sim.requests();
  const graph = requests.filter((r) => r.kind === 'graph' && !r.fromBatch);
  const out: ShapeRound = {
    rps: results.reduce((n, r) => n + r.requests.average, 0),
    p50: Math.max(...results.map((r) => r.latency.p50)),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
    errors: results.reduce((n, r) => n + r.errors + r.timeouts, 0),
    total,
    cpuMsPerCreate: +(cpu / total).toFixed(3),
    benchCpuMsPerCreate: +((benchCpu.user + benchCpu.system) / 1000 / total).toFixed(3),
    graphPerCreate: +(graph.length / total).toFixed(3),
    lookupsPerCreate: +(graph.filter((r) => r.operation === 'users.list').length / total).toFixed(3),
    tokenRequests: requests.filter((r) => r.operation === 'token').length,
    socketsInUseMax,
    socketWaits: waitsAfter.reduce((n, w, j) => n + w.waitedTotal - waitsBefore[j]!.waitedTotal, 0),
  };
  if (hooks) {
    // The backlog drains: every create of the round is one delivery (10 s at most).
    const created = delta('created');
    let stats = await hooks.stats();
    for (let waited = 0; stats.count < created && waited < 10_000; waited += 50) {
      await new Promise((r) => setTimeout(r, 50));
      stats = await hooks.stats();
    }
    out.deliveriesPerSecond = +(deliveredDuringLoad / seconds).toFixed(0);
    out.eventLagMaxMs = stats.lagMaxMs;
    out.eventsUndelivered = Math.max(0, created - stats.count);
  }
  if (countersAfter[0]) {
    const hits = delta('hits');
    out.identityHitShare = +(hits / (hits + delta('misses'))).toFixed(3);
    const commits = delta('commits');
    if (commits > 0) {
      // SQLite: writes per group commit, and commits per create.
      out.writesPerCommit = +(delta('writes') / commits).toFixed(2);
      out.commitsPerCreate = +(commits / delta('created')).toFixed(2);
    }
    const statements = delta('statements');
    if (statements > 0) {
      // Per create the service made (those in flight when the load stopped count too).
      out.statementsPerCreate = +(statements / delta('created')).toFixed(2);
      out.postgresCpuMsPerCreate = +(postgresCpu / total).toFixed(3);
      out.poolWaits = delta('poolWaits');
      out.poolWaitMs = +(delta('poolWaitSeconds') * 1000).toFixed(1);
      out.poolOpenMax = Math.max(...countersAfter.map((c) => c!.poolOpen!));
      out.poolSize = countersAfter[0].poolSize!;
    }
  }
  return out;
}

/** 1,000 creates through `target` that between them name every regular student once. */
async function warm(target: Target, tenants: Tenant[]): Promise<void> {
  const client = axios.create({ baseURL: target.url, validateStatus: () => true });
  const perPartner = REGULARS / 3;
  for (let n = 0; n < perPartner; n += 10) {
    const answers = await Promise.all(
      Array.from({ length: PARTNERS * 10 }, (_, j) => {
        const k = j % PARTNERS;
        return client.post('/appointments/meeting', createBody(tenants, k, n + Math.floor(j / PARTNERS)), {
          headers: {
            'content-type': 'application/json',
            ...(target.keys ? { authorization: `Bearer ${target.keys[k]!}` } : {}),
          },
        });
      }),
    );
    const bad = answers.find((a) => a.status !== 201);
    if (bad) throw new Error(`warm-up create answered ${bad.status}: ${JSON.stringify(bad.data)}`);
  }
}

function line(name: string, r: ShapeRound): string {
  return (
    `${name} ${r.rps.toFixed(0)}/s p50 ${r.p50} p99 ${r.p99} ms cpu ${r.cpuMsPerCreate} ms graph ${r.graphPerCreate}` +
    ` bench ${r.benchCpuMsPerCreate} ms sockets ${r.socketsInUseMax} waits ${r.socketWaits}` +
    (r.postgresCpuMsPerCreate !== undefined ? ` pg cpu ${r.postgresCpuMsPerCreate} ms` : '') +
    (r.identityHitShare !== undefined ? ` hits ${r.identityHitShare}` : '') +
    (r.writesPerCommit !== undefined
      ? ` writes/commit ${r.writesPerCommit} commits/create ${r.commitsPerCreate}`
      : '') +
    (r.statementsPerCreate !== undefined
      ? ` stmts ${r.statementsPerCreate} pool waits ${r.poolWaits} (${r.poolWaitMs} ms) open ${r.poolOpenMax}`
      : '') +
    (r.deliveriesPerSecond !== undefined
      ? ` webhooks ${r.deliveriesPerSecond}/s lag max ${r.eventLagMaxMs} ms undelivered ${r.eventsUndelivered}`
      : '') +
    (r.non2xx || r.errors ? ` NON-2XX ${r.non2xx} ERR ${r.errors}` : '')
  );
}

export async function productionShape(options: ShapeOptions): Promise<ShapeResults> {
  const { log } = options;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-shape-'));
  const sim = await startSimulator();
  const tenants = makeTenants();
  seed(sim, tenants, options);
  const caFile = path.join(tmp, 'sim-ca.pem');
  fs.writeFileSync(caFile, sim.caCertPem);
  const adminKey = crypto.randomBytes(24).toString('hex');
  const children: ChildProcess[] = [];
  const stopAll = () => children.forEach((c) => c.exitCode === null && c.kill('SIGTERM'));
  process.on('exit', stopAll);
  const prof = (name: string) =>
    options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(options.profileDir, name)}`] : [];

  const hooks = await startLeanReceiver();
  const service = async (name: string, env: Record<string, string> = {}) => {
    const svc = await startService({
      dist: path.join(ROOT, 'dist'),
      dir: tmp,
      name,
      sim,
      caFile,
      adminKey,
      nodeArgs: prof(name),
      // The receiver is http on loopback.
      env: { WEBHOOK_ALLOW_INSECURE: 'true', ...env },
    });
    children.push(svc.child);
    return svc;
  };
  /** The admin webhook for every event: each create is one delivery to `hooks`. */
  const subscribe = async (svc: ServiceChild) => {
    const res = await svc.admin.post('/webhooks', { url: hooks.url, events: ['*'] });
    if (res.status !== 201) throw new Error(`POST /webhooks ${res.status} ${JSON.stringify(res.data)}`);
  };
  const configure = async (svc: ServiceChild) =>
    Promise.all(
      tenants.map(async (t, k) => {
        const put = await svc.admin.put(`/partners/shape-${k}`, universityPartner({ tenantId: t.id }));
        if (put.status !== 201 && put.status !== 200) throw new Error(`PUT partner ${put.status}`);
        const key = await svc.admin.post(`/partners/shape-${k}/api-keys`);
        return key.data.key as string;
      }),
    );
  const stop = async (child: ChildProcess) => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };

  const postgresRounds = async (url: string) => {
    // Two instances of one deployment: one database, one SECRETS_KEY.
    const env = {
      DATABASE_URL: url,
      SECRETS_KEY: crypto.randomBytes(32).toString('base64'),
      ...(process.env.BENCH_POOL_SIZE ? { DATABASE_POOL_SIZE: process.env.BENCH_POOL_SIZE } : {}),
    };
    const a = await service('shape-pg-a', env);
    const b = await service('shape-pg-b', env);
    const keys = await configure(a);
    await subscribe(a);
    const ta: Target = { url: a.url, child: a.child, probe: serviceProbe(a), keys, hooks };
    const tb: Target = { url: b.url, child: b.child, probe: serviceProbe(b), keys, hooks };
    seed(sim, tenants, options);
    await warm(ta, tenants);
    await warm(tb, tenants);
    // A whole round each first: a new database's first seconds (its tables and indexes growing
    // from nothing, the server's caches filling) are not its steady state.
    await round([ta], tenants, sim, options, options.roundSeconds);
    await round([ta, tb], tenants, sim, options, options.roundSeconds);
    const one: ShapeRound[] = [];
    const two: ShapeRound[] = [];
    for (let r = 0; r < options.rounds; r += 1) {
      seed(sim, tenants, options);
      one.push(await round([ta], tenants, sim, options, options.roundSeconds));
      seed(sim, tenants, options);
      two.push(await round([ta, tb], tenants, sim, options, options.roundSeconds));
      log(
        `shape PostgreSQL round ${r + 1}: ${line('one instance', one[r]!)}; ${line('two instances', two[r]!)}`,
      );
    }
    await Promise.all([a.child, b.child].map(stop));
    return { one, two, poolSize: one[0]?.poolSize ?? Number.NaN };
  };

  // SQLite: the service, the pass-through and the Express floor.
  const svc = await service('shape-sqlite');
  const sqliteTarget: Target = {
    url: svc.url,
    child: svc.child,
    probe: serviceProbe(svc),
    keys: await configure(svc),
    hooks,
  };
  await subscribe(svc);
  const ptEnv = {
    PT_LOOKUPS: '1',
    PT_GRAPH_BASE_URL: sim.graphBaseUrl,
    PT_CA_FILE: caFile,
    PT_TENANTS: JSON.stringify(
      tenants.map((t) => ({
        domain: t.domain,
        token: sim.mintAccessToken({ tenantId: t.id, appId: APP_ID, roles: ROLES, lifetimeSeconds: 7200 }),
      })),
    ),
  };
  const contenders: Target[] = [];
  for (const express of [false, true]) {
    const pt = await startPassThrough({
      express,
      env: ptEnv,
      nodeArgs: prof(express ? 'shape-floor' : 'shape-pass'),
    });
    children.push(pt.child);
    contenders.push({ url: pt.url, child: pt.child, probe: passThroughProbe(pt.url) });
  }
  const [passTarget, floorTarget] = contenders as [Target, Target];
  for (const target of [sqliteTarget, passTarget, floorTarget]) await warm(target, tenants);
  // A short round each, so that every contender has its sockets open and its code optimised.
  for (const target of [sqliteTarget, passTarget, floorTarget])
    await round([target], tenants, sim, options, 2);
  const sqlite = {
    service: [] as ShapeRound[],
    passThrough: [] as ShapeRound[],
    expressFloor: [] as ShapeRound[],
  };
  for (let r = 0; r < options.rounds; r += 1) {
    seed(sim, tenants, options);
    sqlite.service.push(await round([sqliteTarget], tenants, sim, options, options.roundSeconds));
    seed(sim, tenants, options);
    sqlite.passThrough.push(await round([passTarget], tenants, sim, options, options.roundSeconds));
    seed(sim, tenants, options);
    sqlite.expressFloor.push(await round([floorTarget], tenants, sim, options, options.roundSeconds));
    log(
      `shape round ${r + 1}: ${line('service', sqlite.service[r]!)}; ${line('pass-through', sqlite.passThrough[r]!)}; ${line('floor', sqlite.expressFloor[r]!)}`,
    );
  }
  await Promise.all([svc.child, passTarget.child, floorTarget.child].map(stop));

  // PostgreSQL: one instance, and two on the same database, alternated.
  let postgres: ShapeResults['postgres'] = { skipped: 'no PostgreSQL URL given' };
  if (options.postgresUrl) {
    const adminPool = new Pool({
      connectionString: options.postgresUrl,
      max: 1,
      connectionTimeoutMillis: 3000,
    });
    adminPool.on('error', () => undefined);
    const database = `tm_bench_${runId}`;
    let created = false;
    try {
      await adminPool.query(`CREATE DATABASE ${database}`);
      created = true;
    } catch (error) {
      postgres = { skipped: `PostgreSQL unreachable: ${(error as Error).message}` };
      log(`shape: PostgreSQL part skipped: ${(error as Error).message}`);
    }
    if (created) {
      const url = new URL(options.postgresUrl);
      url.pathname = `/${database}`;
      try {
        postgres = await postgresRounds(url.toString());
      } finally {
        await adminPool.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
      }
    }
    await adminPool.end();
  }
  await hooks.close();
  await sim.close();
  fs.rmSync(tmp, { recursive: true, force: true });
  const { log: _log, profileDir: _dir, ...shown } = options;
  return { options: shown, sqlite, postgres };
}

/** The medians of a contender's rounds, for the table. */
export function medians(rounds: ShapeRound[]): Record<keyof ShapeRound, number> {
  const keys = Object.keys(rounds[0] ?? {}) as (keyof ShapeRound)[];
  return Object.fromEntries(keys.map((k) => [k, median(rounds.map((r) => r[k] ?? Number.NaN))])) as Record<
    keyof ShapeRound,
    number
  >;
}

/** The table rows of the scenario: [measure, result, target, verdict (null: reported)]. */
export function shapeRows(results: ShapeResults): [string, string, string, boolean | null][] {
  const s = medians(results.sqlite.service);
  const p = medians(results.sqlite.passThrough);
  const f = medians(results.sqlite.expressFloor);
  const all = [...results.sqlite.service, ...results.sqlite.passThrough, ...results.sqlite.expressFloor];
  const rows: [string, string, string, boolean | null][] = [
    [
      'Shape: creates/s service / pass-through / Express floor (SQLite)',
      `${s.rps.toFixed(0)} / ${p.rps.toFixed(0)} / ${f.rps.toFixed(0)}`,
      `service ≥ 0.95 × floor (${(0.95 * f.rps).toFixed(0)})`,
      s.rps >= 0.95 * f.rps,
    ],
    ['Shape: ratio service / Express floor', (s.rps / f.rps).toFixed(2), '≥ 0.95', s.rps >= 0.95 * f.rps],
    [
      'Shape: p50 / p99 ms service; pass-through; floor',
      `${s.p50} / ${s.p99}; ${p.p50} / ${p.p99}; ${f.p50} / ${f.p99}`,
      `service p99 ≤ 1.3 × floor (${(1.3 * f.p99).toFixed(0)})`,
      s.p99 <= 1.3 * f.p99,
    ],
    [
      'Shape: webhook deliveries/s while serving creates (SQLite service; one per create)',
      String(s.deliveriesPerSecond),
      '≥ 500',
      (s.deliveriesPerSecond ?? 0) >= 500,
    ],
    [
      'Shape: longest an event waited for its delivery, ms (SQLite, all rounds); undelivered after 10 s',
      `${Math.max(...results.sqlite.service.map((r) => r.eventLagMaxMs ?? Infinity))}; ${results.sqlite.service.reduce((n, r) => n + (r.eventsUndelivered ?? 0), 0)}`,
      '≤ 2000; 0',
      results.sqlite.service.every((r) => (r.eventLagMaxMs ?? Infinity) <= 2000 && r.eventsUndelivered === 0),
    ],
    [
      'Shape: CPU ms per create service / pass-through / floor',
      `${s.cpuMsPerCreate.toFixed(2)} / ${p.cpuMsPerCreate.toFixed(2)} / ${f.cpuMsPerCreate.toFixed(2)}`,
      'reported',
      null,
    ],
    [
      'Shape: Graph calls per create (lookups) service / pass-through / floor',
      `${s.graphPerCreate} (${s.lookupsPerCreate}) / ${p.graphPerCreate} (${p.lookupsPerCreate}) / ${f.graphPerCreate} (${f.lookupsPerCreate})`,
      'reported',
      null,
    ],
    ['Shape: identity values answered by the cache (service)', String(s.identityHitShare), 'reported', null],
    [
      'Shape: outbound sockets in use (most seen) service / pass-through / floor',
      `${s.socketsInUseMax} / ${p.socketsInUseMax} / ${f.socketsInUseMax}`,
      'reported',
      null,
    ],
    [
      'Shape: requests that waited for an outbound socket (service, all rounds)',
      String(results.sqlite.service.reduce((n, r) => n + r.socketWaits, 0)),
      '0',
      results.sqlite.service.every((r) => r.socketWaits === 0),
    ],
    [
      'Shape: non-2xx answers and errors (all contenders, all rounds)',
      String(all.reduce((n, r) => n + r.non2xx + r.errors, 0)),
      '0',
      all.every((r) => r.non2xx === 0 && r.errors === 0),
    ],
  ];
  if ('skipped' in results.postgres) {
    rows.push(['Shape: PostgreSQL', `skipped (${results.postgres.skipped})`, '—', false]);
    return rows;
  }
  const one = medians(results.postgres.one);
  const two = medians(results.postgres.two);
  const pg = [...results.postgres.one, ...results.postgres.two];
  rows.push(
    [
      'Shape: creates/s PostgreSQL one instance',
      one.rps.toFixed(0),
      `≥ 0.85 × SQLite (${(0.85 * s.rps).toFixed(0)})`,
      one.rps >= 0.85 * s.rps,
    ],
    [
      'Shape: PostgreSQL one instance p50 / p99 ms, CPU ms per create',
      `${one.p50} / ${one.p99}, ${one.cpuMsPerCreate.toFixed(2)}`,
      'reported',
      null,
    ],
    [
      'Shape: statements per create, PostgreSQL one instance',
      String(one.statementsPerCreate),
      '≤ 4',
      (one.statementsPerCreate ?? 99) <= 4,
    ],
    [
      `Shape: statements that waited for a pool connection (pool of ${results.postgres.poolSize}, all rounds)`,
      `${pg.reduce((n, r) => n + (r.poolWaits ?? 0), 0)} (connections open at most: ${Math.max(...pg.map((r) => r.poolOpenMax ?? 0))})`,
      '0',
      pg.every((r) => r.poolWaits === 0),
    ],
    [
      'Shape: creates/s, p99 ms, CPU ms per create (both), PostgreSQL two instances',
      `${two.rps.toFixed(0)}, ${two.p99}, ${two.cpuMsPerCreate.toFixed(2)}`,
      'reported',
      null,
    ],
    [
      'Shape: PostgreSQL non-2xx, errors, socket waits (all rounds)',
      `${pg.reduce((n, r) => n + r.non2xx, 0)}, ${pg.reduce((n, r) => n + r.errors, 0)}, ${pg.reduce((n, r) => n + r.socketWaits, 0)}`,
      '0, 0, 0',
      pg.every((r) => r.non2xx === 0 && r.errors === 0 && r.socketWaits === 0),
    ],
  );
  return rows;
}
