/**
 * `npm run bench`: the service (dist/main.js, fresh SQLite store) against a pass-through baseline
 * and an Express floor (bench/passthrough.ts), all three child processes, with the Microsoft
 * simulator (zero latency) and the load generator (autocannon) in this process. Create rounds
 * alternate the three; each round also records the CPU time per request of the child measured.
 * Memory is read after a full collection in the service (bench/gc-hook.cjs).
 * Prints a table and writes bench/results.json (docs/BENCHMARKS.md explains both).
 * Flags: --profile (every child under --cpu-prof, into bench/profiles/<child>/), --round-seconds N,
 * --quick (warm-up and create rounds only, to iterate on the create path).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import axios from 'axios';
import { startSimulator, type MicrosoftSimulator } from '../tools/microsoft-simulator';
import { productionShape, shapeRows, type ShapeResults } from './production-shape';
import { appointment, APP_ID, TENANT_ID, ROLES } from '../tools/fixtures/university';
import {
  cpuMsOf,
  median,
  memoryOf,
  type LoadFigures,
  newWorldIds,
  ROOT,
  seedWorld,
  startPassThrough,
  startService,
  runMain,
} from './support';

const ADMIN_KEY = crypto.randomBytes(24).toString('hex');
const CONNECTIONS = 16;
const ROUNDS = 3;
const flag = (name: string) => process.argv.indexOf(name);
const ROUND_SECONDS = flag('--round-seconds') > 0 ? Number(process.argv[flag('--round-seconds') + 1]) : 5;
const PROFILE = flag('--profile') > 0;
/** --quick: warm-up and the alternating create rounds only (for iterating on the create path). */
const QUICK = flag('--quick') > 0;
/** --shape-only: the production-shape scenario alone; --no-shape: without it. */
const SHAPE_ONLY = flag('--shape-only') > 0;
const NO_SHAPE = flag('--no-shape') > 0;
/** The PostgreSQL server of the production shape's PostgreSQL part (a database is made, then dropped). */
const POSTGRES_URL =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';
/** --memory-creates N: how many creates the memory phase makes (20,000; more shows the trend). */
const MEMORY_CREATES =
  flag('--memory-creates') > 0 ? Number(process.argv[flag('--memory-creates') + 1]) : 20_000;

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

interface Load extends LoadFigures {
  /** CPU ms per request of the measured child (service or pass-through), when `pid` was given. */
  childCpuMsPerRequest?: number;
  /** CPU ms per request of this process (simulator + load generator). */
  benchCpuMsPerRequest?: number;
}

/** One autocannon run; `body` builds each request's body, `pathOf` its path. */
async function load(
  url: string,
  opts: {
    method?: 'POST' | 'GET';
    seconds?: number;
    amount?: number;
    headers?: (i: number) => Record<string, string>;
    body?: (i: number) => string;
    pathOf?: (i: number) => string;
    connections?: number;
    pid?: number;
  },
): Promise<Load> {
  let i = 0;
  const childBefore = opts.pid ? cpuMsOf(opts.pid) : 0;
  const benchBefore = process.cpuUsage();
  const result = await autocannon({
    url,
    connections: opts.connections ?? CONNECTIONS,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.seconds ?? ROUND_SECONDS }),
    requests: [
      {
        method: opts.method ?? 'POST',
        setupRequest: (req) => {
          const n = i;
          i += 1;
          return {
            ...req,
            path: opts.pathOf ? opts.pathOf(n) : '/appointments/meeting',
            headers: { 'content-type': 'application/json', ...(opts.headers ? opts.headers(n) : {}) },
            ...(opts.body ? { body: opts.body(n) } : {}),
          };
        },
      },
    ],
  });
  const benchUsed = process.cpuUsage(benchBefore);
  const total = result.requests.total;
  return {
    ...(opts.pid ? { childCpuMsPerRequest: +((cpuMsOf(opts.pid) - childBefore) / total).toFixed(3) } : {}),
    benchCpuMsPerRequest: +((benchUsed.user + benchUsed.system) / 1000 / total).toFixed(3),
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    total,
  };
}

function graphCalls(sim: MicrosoftSimulator) {
  return sim.requests().filter((r) => r.kind === 'graph' && !r.fromBatch);
}

async function shape(): Promise<ShapeResults> {
  const started = Date.now();
  log('production shape: 100-150 ms Microsoft latency, 256 connections, 10 partners, 3 attendees');
  const results = await productionShape({
    roundSeconds: ROUND_SECONDS,
    rounds: ROUNDS,
    connections: Number(process.env.BENCH_SHAPE_CONNECTIONS ?? 256),
    latencyMs: 100,
    jitterMs: 50,
    postgresUrl: POSTGRES_URL,
    profileDir: PROFILE ? path.join(ROOT, 'bench', 'profiles') : null,
    log,
  });
  log(`production shape took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return results;
}

/**
 * The production shape in a new bench process: after the part above, this process holds a
 * simulator's worth of garbage and 1,000 partners' state, and in the shape's CPU-bound PostgreSQL
 * rounds its load generator ran 30 % slower per create than in a process of its own.
 */
async function shapeInItsOwnProcess(): Promise<ShapeResults> {
  const out = path.join(os.tmpdir(), `tm-shape-${process.pid}.json`);
  const args = ['--import', 'tsx', path.join(ROOT, 'bench', 'run.ts'), '--shape-only', '--out', out];
  if (PROFILE) args.push('--profile');
  if (flag('--round-seconds') > 0) args.push('--round-seconds', String(ROUND_SECONDS));
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the production-shape run exited with ${code}`);
  const results = (JSON.parse(fs.readFileSync(out, 'utf8')) as { shape: ShapeResults }).shape;
  fs.rmSync(out, { force: true });
  return results;
}

function printTable(rows: [string, string, string, boolean | null][]): string {
  return [
    '| Measure | Result | Target | Verdict |',
    '| --- | --- | --- | --- |',
    ...rows.map(([a, b, c, d]) => `| ${a} | ${b} | ${c} | ${d === null ? '—' : d ? 'PASS' : 'MISS'} |`),
  ].join('\n');
}

async function main(): Promise<void> {
  if (SHAPE_ONLY) {
    const results = await shape();
    const cpu = os.cpus()[0]?.model ?? 'unknown';
    fs.writeFileSync(
      flag('--out') > 0
        ? process.argv[flag('--out') + 1]!
        : path.join(ROOT, 'bench', PROFILE ? 'results.profile.json' : 'results.json'),
      `${JSON.stringify({ date: new Date().toISOString(), machine: { nproc: os.cpus().length, cpu, node: process.version }, shape: results }, null, 2)}\n`,
    );
    process.stdout.write(
      `\nMachine: ${os.cpus().length} × ${cpu}, Node ${process.version}\n\n${printTable(shapeRows(results))}\n`,
    );
    return;
  }
  const started = Date.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-bench-'));
  const sim = await startSimulator();
  // The simulator is reset and re-seeded (same ids, same signing key, so the service's cached
  // tokens and identities stay valid) before each measured phase: it keeps its request log small.
  const ids = newWorldIds();
  const seed = () => seedWorld(sim, ids);
  const adviser = seed();
  const caFile = path.join(tmp, 'sim-ca.pem');
  fs.writeFileSync(caFile, sim.caCertPem);

  const children: ChildProcess[] = [];
  const cleanup = () => children.forEach((c) => c.exitCode === null && c.kill('SIGTERM'));
  process.on('exit', cleanup);

  // The service.
  const profDir = path.join(ROOT, 'bench', 'profiles');
  const svc = await startService({
    dist: path.join(ROOT, 'dist'),
    dir: tmp,
    name: 'bench',
    sim,
    caFile,
    adminKey: ADMIN_KEY,
    nodeArgs: [
      ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profDir, 'service')}`] : []),
      // BENCH_NODE_ARGS: Node flags for the service (e.g. --max-semi-space-size=8, docs/BENCHMARKS.md).
      ...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []),
      // Memory is read after a full collection (bench/gc-hook.cjs, on SIGUSR2), so that it shows
      // what the service keeps, not garbage that load left behind (0.5 s after 20,000 creates,
      // about half of the heap in use was such garbage).
      '--expose-gc',
      '--require',
      path.join(ROOT, 'bench', 'gc-hook.cjs'),
    ],
  });
  const service = svc.child;
  children.push(service);
  const svcUrl = svc.url;

  // The pass-through, bare (the baseline) and behind Express 5 + express.json (the floor of an
  // Express service, reported to show how much of the budget the framework alone takes).
  const ptEnv = {
    PT_GRAPH_BASE_URL: sim.graphBaseUrl,
    PT_CA_FILE: caFile,
    PT_USER_ID: adviser.id,
    PT_TOKEN: sim.mintAccessToken({
      tenantId: TENANT_ID,
      appId: APP_ID,
      roles: ROLES,
      lifetimeSeconds: 7200,
    }),
  };
  const startContender = async (expressFloor: boolean) => {
    const started = await startPassThrough({
      express: expressFloor,
      env: ptEnv,
      nodeArgs: PROFILE
        ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profDir, expressFloor ? 'floor' : 'pass-through')}`]
        : [],
    });
    children.push(started.child);
    return started;
  };
  const { child: pass, url: passUrl } = await startContender(false);
  const { child: floor, url: floorUrl } = await startContender(true);
  log(
    `service pid ${service.pid} at ${svcUrl}; pass-through pid ${pass.pid} at ${passUrl}; Express floor pid ${floor.pid}`,
  );

  const { admin, addPartner } = svc;
  /** The service's V8 heap in use, from its own /metrics (prom-client's default metrics). */
  async function heapUsedMb(): Promise<number> {
    const text = (await admin.get('/metrics')).data as string;
    const bytes = Number(/^teams_meetings_nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? NaN);
    return +(bytes / 1024 / 1024).toFixed(1);
  }
  async function settle(): Promise<void> {
    await new Promise((r) => setTimeout(r, 500));
    service.kill('SIGUSR2');
    await new Promise((r) => setTimeout(r, 500));
    log(`service memory: ${JSON.stringify(memoryOf(service.pid!))}`);
  }
  const key = await addPartner('uni-x');
  const auth = () => ({ authorization: `Bearer ${key}` });
  const newBody = () => JSON.stringify(appointment());
  const client = axios.create({
    baseURL: svcUrl,
    httpAgent: new http.Agent({ keepAlive: true }),
    headers: auth(),
    validateStatus: () => true,
  });

  // Warm-up and memory: 1,000 creates, then 19,000 more.
  let creates = 0;
  const w = await load(svcUrl, { amount: 1000, headers: auth, body: newBody });
  await load(passUrl, { amount: 1000, body: newBody });
  await load(floorUrl, { amount: 1000, body: newBody });
  creates += w.total;
  if (w.non2xx || w.errors) throw new Error(`warm-up failed: ${JSON.stringify(w)}`);
  await settle();
  const rss1k = memoryOf(service.pid!).rss;
  const heap1k = await heapUsedMb();
  log(`RSS after ${creates} creates: ${rss1k} MB (V8 heap used ${heap1k} MB)`);
  let memNon2xx = 0;
  let rssHalf = { creates: 0, mb: 0 };
  const rssTrend: { creates: number; mb: number; heapUsedMb: number }[] = [];
  const chunks = QUICK ? 0 : Math.round((MEMORY_CREATES - 1000) / 1900);
  for (let chunk = 0; chunk < chunks; chunk += 1) {
    seed();
    const m = await load(svcUrl, { amount: 1900, headers: auth, body: newBody });
    creates += m.total;
    memNon2xx += m.non2xx + m.errors;
    if (chunk % 5 === 4 && chunk < chunks - 1) {
      // On the way: whether memory still grows with work, or has reached its plateau.
      await settle();
      rssTrend.push({ creates, mb: memoryOf(service.pid!).rss, heapUsedMb: await heapUsedMb() });
      if (chunk === 4) rssHalf = rssTrend[0]!;
    }
  }
  sim.clearRequests();
  await settle();
  const rss20k = memoryOf(service.pid!).rss;
  const heap20k = await heapUsedMb();
  log(`RSS after ${creates} creates: ${rss20k} MB (V8 heap used ${heap20k} MB; ${memNon2xx} non-2xx)`);

  // Graph calls per warm create (default options: two attendees, cached).
  seed();
  for (let k = 0; k < 100; k += 1) {
    const res = await client.post('/appointments/meeting', appointment());
    if (res.status !== 201) throw new Error(`create ${res.status}`);
  }
  const graphPerCreate = graphCalls(sim).length / 100;

  // 1. Creates, service vs pass-through, alternating.
  const storeCounters = async () => {
    const text = (await admin.get('/metrics')).data as string;
    const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    return {
      commits: read('teams_meetings_store_commits_total'),
      writes: read('teams_meetings_store_writes_total'),
    };
  };
  const storeBefore = await storeCounters();
  const svcRounds: Load[] = [];
  const passRounds: Load[] = [];
  const floorRounds: Load[] = [];
  for (let r = 0; r < ROUNDS; r += 1) {
    seed();
    svcRounds.push(await load(svcUrl, { headers: auth, body: newBody, pid: service.pid! }));
    seed();
    passRounds.push(await load(passUrl, { body: newBody, pid: pass.pid! }));
    seed();
    floorRounds.push(await load(floorUrl, { body: newBody, pid: floor.pid! }));
    sim.clearRequests();
    const line = (name: string, x: Load) =>
      `${name} ${x.rps.toFixed(0)}/s p99 ${x.p99} ms cpu ${x.childCpuMsPerRequest} ms/req (bench ${x.benchCpuMsPerRequest})`;
    log(
      `round ${r + 1}: ${line('service', svcRounds[r]!)}; ${line('pass-through', passRounds[r]!)}; ${line('Express floor', floorRounds[r]!)}`,
    );
  }
  const storeAfter = await storeCounters();
  // Includes the pass-through's and floor's rounds, when the service wrote nothing.
  const writesPerCommit =
    (storeAfter.writes - storeBefore.writes) / (storeAfter.commits - storeBefore.commits);
  log(`SQLite writes per group commit during the service's create rounds: ${writesPerCommit.toFixed(2)}`);
  const med = (rs: Load[], k: keyof Load) => median(rs.map((x) => x[k] ?? Number.NaN));

  // Calendar-backed meetings (meetingMode calendarEvent): creates/s beside the standalone mode's,
  // and the Graph calls a create makes, without options and with them. One adviser: Outlook's 4
  // requests at once per mailbox bind here (the service sends 4 at a time to one calendar).
  const calendarKey = await addPartner('uni-cal', { meetingMode: 'calendarEvent' });
  const calendarAuth = () => ({ authorization: `Bearer ${calendarKey}` });
  const withOptions = () =>
    JSON.stringify(appointment({ options: { lobbyBypassScope: 'organizer', allowMeetingChat: 'disabled' } }));
  const meetingCalls = () =>
    sim
      .requests()
      .filter((x) => x.operation.startsWith('events.') || x.operation.startsWith('onlineMeetings.')).length;
  seed();
  await load(svcUrl, { amount: 200, headers: calendarAuth, body: newBody });
  const calendarRounds: Load[] = [];
  let calendarCalls = 0;
  for (let r = 0; r < ROUNDS; r += 1) {
    seed();
    // A number of creates, not a duration: requests cut off at a round's end would count calls
    // with no create to divide them by.
    const round = await load(svcUrl, {
      amount: 1000,
      headers: calendarAuth,
      body: newBody,
      pid: service.pid!,
    });
    calendarRounds.push(round);
    calendarCalls += meetingCalls() / Math.max(1, round.total - round.non2xx);
    log(`calendar round ${r + 1}: ${round.rps.toFixed(0)}/s p99 ${round.p99} ms (${round.non2xx} non-2xx)`);
  }
  seed();
  const optionRound = await load(svcUrl, { amount: 500, headers: calendarAuth, body: withOptions });
  const calendarCallsWithOptions = meetingCalls() / Math.max(1, optionRound.total - optionRound.non2xx);
  const calendarPerCreate = calendarCalls / ROUNDS;
  const calendarNon2xx = calendarRounds.reduce((a, x) => a + x.non2xx, 0) + optionRound.non2xx;
  // The create rounds' results: the whole table with --quick, its first rows otherwise.
  const svcRps = med(svcRounds, 'rps');
  const floorRps = med(floorRounds, 'rps');
  const cpuMs = (rs: Load[]) => med(rs, 'childCpuMsPerRequest').toFixed(2);
  const passRps = med(passRounds, 'rps');
  const svcP99 = med(svcRounds, 'p99');
  const passP99 = med(passRounds, 'p99');
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  const createRows: [string, string, string, boolean | null][] = [
    [
      'Create req/s service (median of 3)',
      svcRps.toFixed(0),
      `≥ 0.9 × Express floor (${(0.9 * floorRps).toFixed(0)})`,
      svcRps >= 0.9 * floorRps,
    ],
    ['Create req/s pass-through', passRps.toFixed(0), 'baseline', null],
    [
      'Create req/s Express floor (Express 5 + express.json + the same call)',
      floorRps.toFixed(0),
      'reported',
      null,
    ],
    ['Create ratio Express floor / pass-through', (floorRps / passRps).toFixed(2), 'reported', null],
    [
      'Create ratio service / Express floor; CPU ratio',
      `${(svcRps / floorRps).toFixed(2)}; ${(med(svcRounds, 'childCpuMsPerRequest') / med(floorRounds, 'childCpuMsPerRequest')).toFixed(2)}`,
      '≥ 0.90; ≤ 1.15',
      svcRps >= 0.9 * floorRps &&
        med(svcRounds, 'childCpuMsPerRequest') <= 1.15 * med(floorRounds, 'childCpuMsPerRequest'),
    ],
    ['SQLite writes per group commit (service create rounds)', writesPerCommit.toFixed(2), 'reported', null],
    [
      'CPU ms per create: service / pass-through / Express floor',
      `${cpuMs(svcRounds)} / ${cpuMs(passRounds)} / ${cpuMs(floorRounds)}`,
      'reported',
      null,
    ],
    ['Create service/pass-through ratio', (svcRps / passRps).toFixed(2), 'reported', null],
    [
      'Create p50 ms service / pass-through',
      `${med(svcRounds, 'p50')} / ${med(passRounds, 'p50')}`,
      'reported',
      null,
    ],
    [
      'Create p99 ms service / pass-through',
      `${svcP99} / ${passP99}`,
      `≤ 2 × pass-through (${2 * passP99})`,
      svcP99 <= 2 * passP99,
    ],
    [
      'Calendar mode creates/s (median of 3; one adviser) / standalone',
      `${med(calendarRounds, 'rps').toFixed(0)} / ${svcRps.toFixed(0)}`,
      'reported',
      null,
    ],
    [
      'Calendar mode Graph calls per create: without options / with',
      `${calendarPerCreate.toFixed(2)} / ${calendarCallsWithOptions.toFixed(2)} (${calendarNon2xx} non-2xx)`,
      '≤ 2 / ≤ 3',
      calendarPerCreate <= 2 && calendarCallsWithOptions <= 3 && calendarNon2xx === 0,
    ],
  ];
  if (QUICK) {
    service.kill('SIGTERM');
    pass.kill('SIGTERM');
    floor.kill('SIGTERM');
    await Promise.all([service, pass, floor].map((c) => new Promise((r) => c.once('exit', r))));
    await sim.close();
    process.stdout.write(
      `\nMachine: ${os.cpus().length} × ${cpu}, Node ${process.version} (--quick: create rounds only)\n\n${printTable(createRows)}\n`,
    );
    process.exit(0);
  }

  // 2. Replays and GETs of existing appointments.
  const existing: Record<string, unknown>[] = [];
  for (let k = 0; k < 200; k += 1) {
    const body = appointment();
    const res = await client.post('/appointments/meeting', body);
    if (res.status !== 201) throw new Error(`create ${res.status}`);
    existing.push(body);
  }
  const replayBodies = existing.map((b) => JSON.stringify(b));
  sim.clearRequests();
  const replayRounds: Load[] = [];
  const getRounds: Load[] = [];
  for (let r = 0; r < ROUNDS; r += 1) {
    replayRounds.push(await load(svcUrl, { seconds: 3, headers: auth, body: (n) => replayBodies[n % 200]! }));
    getRounds.push(
      await load(svcUrl, {
        method: 'GET',
        seconds: 3,
        headers: auth,
        pathOf: (n) =>
          `/appointments/${encodeURIComponent(String(existing[n % 200]!.appointmentId))}/meeting`,
      }),
    );
  }
  const replayGraph = graphCalls(sim).length + sim.requests().filter((x) => x.kind === 'token').length;
  const replayNon2xx =
    replayRounds.reduce((a, x) => a + x.non2xx, 0) + getRounds.reduce((a, x) => a + x.non2xx, 0);

  // 3. Token requests under 50 concurrent cold creates; Graph calls to resolve 50 attendees.
  seed();
  const coldKey = await addPartner('uni-cold');
  sim.clearRequests();
  const burst = axios.create({
    baseURL: svcUrl,
    httpAgent: new http.Agent({ keepAlive: true }),
    validateStatus: () => true,
  });
  const coldAnswers = await Promise.all(
    Array.from({ length: 50 }, () =>
      burst.post('/appointments/meeting', appointment(), { headers: { authorization: `Bearer ${coldKey}` } }),
    ),
  );
  const coldTokens = sim.requests().filter((x) => x.operation === 'token').length;
  const coldOk = coldAnswers.filter((a) => a.status === 201).length;

  const attKey = await addPartner('uni-att');
  await burst.post(
    '/appointments/meeting',
    appointment({ attendees: [{ email: 's59.student@uni.example.ac.uk' }] }),
    {
      headers: { authorization: `Bearer ${attKey}` },
    },
  );
  sim.clearRequests();
  const fifty = Array.from({ length: 50 }, (_, s) => ({ email: `s${s}.student@uni.example.ac.uk` }));
  const att = await burst.post('/appointments/meeting', appointment({ attendees: fifty }), {
    headers: { authorization: `Bearer ${attKey}` },
  });
  const attCalls = graphCalls(sim).filter((x) => x.operation !== 'onlineMeetings.createOrGet');
  const attendeeCalls = attCalls.length;
  const attendeeOps = attCalls.map((x) => x.operation).join(', ');
  if (att.status !== 201) log(`50-attendee create answered ${att.status}: ${JSON.stringify(att.data)}`);

  // 4. 1,000 partners on the same tenant/app, round-robin.
  const partnerKeys: string[] = [];
  const t0 = Date.now();
  for (let p = 0; p < 1000; p += 25) {
    partnerKeys.push(...(await Promise.all(Array.from({ length: 25 }, (_, k) => addPartner(`p-${p + k}`)))));
  }
  log(`1,000 partners configured in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const rr = (n: number) => ({ authorization: `Bearer ${partnerKeys[n % partnerKeys.length]!}` });
  seed();
  const warmAll = await load(svcUrl, { amount: 2000, headers: rr, body: newBody });
  sim.clearRequests();
  const manyRounds: Load[] = [];
  let manyGraph = 0;
  let manyTokens = 0;
  for (let r = 0; r < ROUNDS; r += 1) {
    seed();
    manyRounds.push(await load(svcUrl, { headers: rr, body: newBody }));
    manyGraph += graphCalls(sim).length;
    manyTokens += sim.requests().filter((x) => x.operation === 'token').length;
  }
  await settle();
  const rssMany = memoryOf(service.pid!).rss;
  const heapMany = await heapUsedMb();
  const manyNon2xx = warmAll.non2xx + manyRounds.reduce((a, x) => a + x.non2xx, 0);

  // Results.
  const manyP99 = med(manyRounds, 'p99');
  const rows: [string, string, string, boolean | null][] = [
    ...createRows,
    [
      'Replay req/s, p99 ms',
      `${med(replayRounds, 'rps').toFixed(0)}, ${med(replayRounds, 'p99')}`,
      'reported',
      null,
    ],
    [
      'GET meeting req/s, p99 ms',
      `${med(getRounds, 'rps').toFixed(0)}, ${med(getRounds, 'p99')}`,
      'reported',
      null,
    ],
    [
      'Microsoft calls during replays + GETs',
      String(replayGraph),
      '0',
      replayGraph === 0 && replayNon2xx === 0,
    ],
    ['Graph calls per warm create', graphPerCreate.toFixed(2), '= 1', graphPerCreate === 1],
    [
      'Token requests, 50 concurrent cold creates (1 partner)',
      `${coldTokens} (${coldOk}/50 created)`,
      '= 1',
      coldTokens === 1 && coldOk === 50,
    ],
    [
      'Graph calls to resolve 50 attendees',
      `${attendeeCalls} (${attendeeOps || 'none'})`,
      '≤ 3',
      attendeeCalls <= 3 && att.status === 201,
    ],
    ['RSS MB after 1,000 creates', String(rss1k), 'reported', null],
    [`RSS MB after ${rssHalf.creates} creates`, String(rssHalf.mb), 'reported', null],
    [
      `RSS MB after ${creates} creates`,
      String(rss20k),
      `≤ 1.1 × at ${rssHalf.creates} (${(1.1 * rssHalf.mb).toFixed(1)})`,
      rss20k <= 1.1 * rssHalf.mb,
    ],
    [
      `V8 heap used MB after a full collection, ${creates} / ${rssHalf.creates} creates`,
      `${heap20k} / ${rssTrend[0]?.heapUsedMb ?? NaN}`,
      '≤ 1.1 ×',
      heap20k <= 1.1 * (rssTrend[0]?.heapUsedMb ?? 0),
    ],
    ['RSS MB, 1,000 partners round-robin', String(rssMany), '< 250', rssMany < 250],
    [
      'V8 heap used MB after 1,000 / 20,000 creates / 1,000 partners',
      `${heap1k} / ${heap20k} / ${heapMany}`,
      'reported',
      null,
    ],
    [
      'Create p99 ms, 1,000 partners / 1 partner',
      `${manyP99} / ${svcP99}`,
      `≤ 1.5 × 1 partner (${1.5 * svcP99})`,
      manyP99 <= 1.5 * svcP99 && manyNon2xx === 0,
    ],
    ['Create req/s, 1,000 partners', med(manyRounds, 'rps').toFixed(0), 'reported', null],
    [
      'Graph calls per create / token requests, 1,000 partners (warm)',
      `${(manyGraph / manyRounds.reduce((a, x) => a + x.total, 0)).toFixed(2)} / ${manyTokens}`,
      'reported',
      null,
    ],
  ];
  const elapsed = (Date.now() - started) / 1000;
  rows.push(['Bench wall time s (without the production shape)', elapsed.toFixed(0), '< 300', elapsed < 300]);
  service.kill('SIGTERM');
  pass.kill('SIGTERM');
  floor.kill('SIGTERM');
  await new Promise((r) => service.once('exit', r));
  await sim.close();
  const shaped = NO_SHAPE ? undefined : await shapeInItsOwnProcess();
  if (shaped) rows.push(...shapeRows(shaped));
  const table = printTable(rows);
  const results = {
    date: new Date().toISOString(),
    machine: { nproc: os.cpus().length, cpu, node: process.version },
    connections: CONNECTIONS,
    roundSeconds: ROUND_SECONDS,
    create: { service: svcRounds, passThrough: passRounds, expressFloor: floorRounds },
    replay: replayRounds,
    get: getRounds,
    microsoftCallsDuringReplaysAndGets: replayGraph,
    replayGetNon2xx: replayNon2xx,
    graphCallsPerWarmCreate: graphPerCreate,
    coldTokenRequests: coldTokens,
    coldCreated: coldOk,
    attendeeResolutionCalls: attendeeCalls,
    attendeeResolutionOps: attendeeOps,
    rssMb: {
      after1k: rss1k,
      half: rssHalf,
      trend: rssTrend,
      afterN: rss20k,
      n: creates,
      manyPartners: rssMany,
    },
    heapUsedMb: { after1k: heap1k, afterN: heap20k, manyPartners: heapMany },
    manyPartners: {
      rounds: manyRounds,
      non2xx: manyNon2xx,
      graphCallsPerCreate: manyGraph / manyRounds.reduce((a, x) => a + x.total, 0),
      tokenRequestsDuringRounds: manyTokens,
    },
    elapsedSeconds: elapsed,
    shape: shaped,
    table: rows.map(([measure, result, target, pass]) => ({ measure, result, target, pass })),
  };
  fs.writeFileSync(
    path.join(ROOT, 'bench', PROFILE ? 'results.profile.json' : 'results.json'),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  process.stdout.write(`\nMachine: ${os.cpus().length} × ${cpu}, Node ${process.version}\n\n${table}\n`);
  fs.rmSync(tmp, { recursive: true, force: true });
}

runMain(main);
