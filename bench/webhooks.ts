/**
 * `npm run bench:webhooks`: what events cost a create and what one instance delivers (issue 25).
 *
 * 1. Creates/s and store work per create with no webhook and with one that wants
 *    `meeting.created` (a receiver on loopback answering 204), in alternating rounds on one
 *    instance: SQLite (writes per create from the group commit's counter), then PostgreSQL
 *    (statements per create from /metrics); each with the worker off (the outbox's cost to the
 *    create alone) and on (the instance also delivering every event as it comes).
 * 2. Deliveries/s: events recorded by an instance with WORKER=off, then one instance with its
 *    worker on sends them all to the loopback receiver; timed from its start to the last event
 *    received. With --while-serving, the instance also serves creates at production shape
 *    (the simulator answering after 100-150 ms, 256 connections) for --round-seconds while the
 *    backlog drains, and the deliveries within that window are counted (use --events 20000, so
 *    that the backlog outlasts it).
 *
 * Options: --round-seconds N (default 5), --rounds N per arm (default 3), --events N (default
 * 5000), --connections N (default 64), --deliveries-only (part 2 alone), --profile (the delivering
 * instance under --cpu-prof, into bench/profiles/deliveries/). Needs PostgreSQL at TEST_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test) for the PostgreSQL part; it makes and drops a database.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Pool } from 'pg';
import { startSimulator } from '../tools/microsoft-simulator';
import { startWebhookReceiver } from '../tools/webhook-receiver/receiver';
import { appointment } from '../tools/fixtures/university';
import { benchSetup, argOf, median, ROOT, runMain, startService, type ServiceChild } from './support';

const option = (name: string, fallback: number): number => Number(argOf(name) ?? fallback);
const ROUND_SECONDS = option('--round-seconds', 5);
const ROUNDS = option('--rounds', 3);
const EVENTS = option('--events', 5000);
const CONNECTIONS = option('--connections', 64);
const DELIVERIES_ONLY = process.argv.includes('--deliveries-only');
const PROFILE = process.argv.includes('--profile');
/** Deliveries while the instance serves creates at production shape (100-150 ms Microsoft, 256 connections). */
const WHILE_SERVING = process.argv.includes('--while-serving');
const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const DIST = path.join(ROOT, 'dist');

function log(message: string): void {
  process.stderr.write(`[bench:webhooks] ${message}\n`);
}

async function metric(service: ServiceChild, name: string): Promise<number> {
  const text = (await service.admin.get('/metrics')).data as string;
  return Number(new RegExp(`^${name} (\\d+(?:\\.\\d+)?)$`, 'm').exec(text)?.[1] ?? 0);
}

async function creates(url: string, key: string, seconds: number, connections = CONNECTIONS) {
  const run = `${Date.now()}-${crypto.randomBytes(3).toString('hex')}`;
  let i = 0;
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => ({
          ...req,
          path: '/appointments/meeting',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify(appointment({ appointmentId: `bench-${run}-${i++}` })),
        }),
      },
    ],
  });
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
  };
}

interface Arm {
  rps: number[];
  p99: number[];
  workPerCreate: number[];
  non2xx: number;
}

/** Alternating rounds without and with a webhook on one running instance. */
async function costRounds(service: ServiceChild, key: string, receiverUrl: string, counter: string) {
  const hook = await service.admin.post('/webhooks', {
    url: receiverUrl,
    events: ['meeting.created'],
    partnerId: 'bench',
  });
  if (hook.status !== 201) throw new Error(`POST /webhooks ${hook.status}`);
  const arms: Record<'without' | 'with', Arm> = {
    without: { rps: [], p99: [], workPerCreate: [], non2xx: 0 },
    with: { rps: [], p99: [], workPerCreate: [], non2xx: 0 },
  };
  await creates(service.url, key, 2); // warm-up: tokens, identities, JIT
  for (let round = 0; round < ROUNDS; round++) {
    for (const arm of ['without', 'with'] as const) {
      await service.admin.patch(`/webhooks/${hook.data.id as string}`, { enabled: arm === 'with' });
      const before = await metric(service, counter);
      const r = await creates(service.url, key, ROUND_SECONDS);
      // Each scrape's own reads (the webhook backlog) count once: taken off.
      const after = (await metric(service, counter)) - 1;
      arms[arm].rps.push(r.rps);
      arms[arm].p99.push(r.p99);
      arms[arm].workPerCreate.push((after - before) / r.total);
      arms[arm].non2xx += r.non2xx;
      log(
        `${counter}: ${arm} webhook: ${r.rps.toFixed(0)} creates/s, p99 ${r.p99} ms, ${((after - before) / r.total).toFixed(2)} per create`,
      );
    }
  }
  const summary = (a: Arm) => ({
    createsPerSecond: Math.round(median(a.rps)),
    p99Ms: median(a.p99),
    perCreate: +median(a.workPerCreate).toFixed(2),
    non2xx: a.non2xx,
  });
  return { without: summary(arms.without), with: summary(arms.with) };
}

/** Events recorded with the worker off; then one instance with its worker sends them all. */
async function deliveryRate(
  start: (env: Record<string, string>, name: string, nodeArgs?: string[]) => Promise<ServiceChild>,
  receiver: Awaited<ReturnType<typeof startWebhookReceiver>>,
  sim: Awaited<ReturnType<typeof startSimulator>>,
) {
  let service = await start({ WORKER: 'off' }, 'deliveries');
  const key = await service.addPartner('bench');
  const hook = await service.admin.post('/webhooks', {
    url: receiver.url,
    events: ['webhook.test'],
    partnerId: 'bench',
  });
  if (hook.status !== 201) throw new Error(`POST /webhooks ${hook.status}`);
  // webhook.test events, EVENTS of them (each a recorded event and a delivery, as a meeting's).
  const id = hook.data.id as string;
  const result = await autocannon({
    url: service.url,
    connections: 32,
    amount: EVENTS,
    requests: [{ method: 'POST', path: `/webhooks/${id}/test`, headers: { authorization: `Bearer ${key}` } }],
  });
  if (result.non2xx > 0) throw new Error(`${result.non2xx} test events refused`);
  service.child.kill('SIGTERM');
  await new Promise((resolve) => service.child.once('exit', resolve));
  receiver.received.length = 0;
  const started = Date.now();
  service = await start(
    { WORKER: 'on' },
    'deliveries',
    PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.join(ROOT, 'bench', 'profiles', 'deliveries')}`] : [],
  );
  let serving: Record<string, number> | undefined;
  if (WHILE_SERVING) {
    // Creates for ROUND_SECONDS at production shape while the backlog drains (the webhook hears
    // webhook.test only: the creates add no deliveries). Deliveries counted within the window.
    sim.setLatency(100, 50);
    const from = { at: Date.now(), received: receiver.received.length };
    const load = await creates(service.url, key, ROUND_SECONDS, 256);
    const to = { at: Date.now(), received: receiver.received.length };
    sim.setLatency(0, 0);
    if (load.non2xx > 0) throw new Error(`${load.non2xx} creates refused`);
    if (to.received >= EVENTS) throw new Error('the backlog ran out during the creates: raise --events');
    serving = {
      createsPerSecond: Math.round(load.rps),
      createP99Ms: load.p99,
      deliveriesPerSecond: Math.round(((to.received - from.received) * 1000) / (to.at - from.at)),
    };
    log(`while serving: ${JSON.stringify(serving)}`);
  }
  await receiver.waitFor(EVENTS, 120_000);
  const seconds = (Date.now() - started) / 1000;
  const unique = new Set(receiver.received.map((r) => r.headers['webhook-id'])).size;
  service.child.kill('SIGTERM');
  await new Promise((resolve) => service.child.once('exit', resolve));
  return {
    events: EVENTS,
    seconds: +seconds.toFixed(2),
    deliveriesPerSecond: Math.round(EVENTS / seconds),
    unique,
    ...(serving ? { whileServing: serving } : {}),
  };
}

async function main(): Promise<void> {
  const { dir: tmp, sim, caFile } = await benchSetup('bench-webhooks-', 60);
  const receiver = await startWebhookReceiver();
  const adminKey = `bench-admin-${crypto.randomBytes(16).toString('hex')}`;
  // One key for every start: the second instance of the delivery part reads the first's secrets.
  const secretsKey = crypto.randomBytes(32).toString('base64');
  const start = (env: Record<string, string>, name: string, nodeArgs: string[] = []) =>
    startService({
      nodeArgs,
      dist: DIST,
      dir: tmp,
      name,
      sim,
      caFile,
      adminKey,
      env: { WEBHOOK_ALLOW_INSECURE: 'true', LOG_LEVEL: 'warn', SECRETS_KEY: secretsKey, ...env },
    });
  const results: Record<string, unknown> = {
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
    connections: CONNECTIONS,
    roundSeconds: ROUND_SECONDS,
    rounds: ROUNDS,
  };

  // Each engine twice: the worker off (what writing the event costs the create alone) and on
  // (the same instance also delivering every event as it comes).
  // Each instance on a store of its own: the worker-off instance's undelivered events must not
  // become the next one's backlog.
  const engine = async (
    name: string,
    envFor: (worker: 'on' | 'off') => Record<string, string>,
    counter: string,
  ) => {
    const out: Record<string, unknown> = {};
    for (const worker of ['off', 'on'] as const) {
      log(`${name}, worker ${worker}: creates without and with a webhook`);
      const service = await start({ ...envFor(worker), WORKER: worker }, `${name}-${worker}`);
      const key = await service.addPartner('bench');
      out[`worker${worker === 'on' ? 'On' : 'Off'}`] = await costRounds(service, key, receiver.url, counter);
      service.child.kill('SIGTERM');
      await new Promise((resolve) => service.child.once('exit', resolve));
    }
    return out;
  };
  if (!DELIVERIES_ONLY) await engines();
  async function engines() {
    results['sqlite'] = await engine('sqlite', () => ({}), 'teams_meetings_store_writes_total');

    const admin = new Pool({ connectionString: POSTGRES_URL, max: 1, connectionTimeoutMillis: 3000 });
    admin.on('error', () => undefined);
    const databases = ['off', 'on'].map(
      (w) => `tm_bench_hooks_${w}_${crypto.randomBytes(4).toString('hex')}`,
    );
    try {
      for (const database of databases) await admin.query(`CREATE DATABASE ${database}`);
      const urlOf = (worker: 'on' | 'off') => {
        const url = new URL(POSTGRES_URL);
        url.pathname = `/${databases[worker === 'off' ? 0 : 1]}`;
        return url.toString();
      };
      results['postgres'] = await engine(
        'postgres',
        (worker) => ({ DATABASE_URL: urlOf(worker) }),
        'teams_meetings_store_statements_total',
      );
    } catch (error) {
      results['postgres'] = { skipped: (error as Error).message };
    } finally {
      for (const database of databases) {
        await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
      }
      await admin.end();
    }
  }

  log(`deliveries: ${EVENTS} events, one instance, SQLite`);
  receiver.received.length = 0;
  results['delivery'] = await deliveryRate(start, receiver, sim);

  await receiver.close();
  await sim.close();
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.writeFileSync(
    path.join(ROOT, 'bench', 'webhooks-results.json'),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

runMain(main);
