/**
 * What the fleet features cost on the create path (issue 28): `npm run bench:fleet [-- --rounds N]
 * [--before <dist>]`. One build, several children against one simulator, rounds alternating
 * between them: the service as is (`plain`), with the shared rate limits in Redis (`redis`,
 * REDIS_URL on 127.0.0.1:6379), and with traces exported to an OTLP/HTTP receiver on loopback
 * (`traced`). With `--before <dist>` (a build of the commit before tracing), also that build:
 * tracing off against no tracing code at all. No Microsoft latency and 16 connections: CPU bound,
 * where an added cost shows most. Prints each child's median creates/s and CPU ms per create,
 * and their ratios to `plain` of the same run.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  benchSetup,
  argOf,
  createRound,
  median,
  ROOT,
  runMain,
  seedWorld,
  startService,
  type ServiceChild,
} from './support';

const ROUNDS = Number(argOf('--rounds') ?? 5);
const BEFORE = argOf('--before');

interface Round {
  cpu: number;
  rps: number;
}

async function main(): Promise<void> {
  const { dir, sim, ids, caFile } = await benchSetup('tm-fleet-');
  const adminKey = crypto.randomBytes(24).toString('hex');
  // The OTLP receiver: takes every export and throws it away (what a collector's cost is not).
  let exported = 0;
  const collector = http.createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      exported += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const otlp = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;

  const dist = path.join(ROOT, 'dist');
  const variants: Array<{ name: string; dist: string; env: Record<string, string> }> = [
    { name: 'plain', dist, env: {} },
    {
      name: 'redis',
      dist,
      env: {
        REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
        REDIS_KEY_PREFIX: `bench-${crypto.randomBytes(4).toString('hex')}`,
      },
    },
    { name: 'traced', dist, env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp } },
    ...(BEFORE ? [{ name: 'before', dist: path.resolve(BEFORE), env: {} }] : []),
  ];
  const children: Array<{ name: string; service: ServiceChild; key: string }> = [];
  for (const v of variants) {
    const service = await startService({
      dist: v.dist,
      dir,
      name: v.name,
      sim,
      caFile,
      adminKey,
      env: v.env,
    });
    children.push({ name: v.name, service, key: await service.addPartner('uni-x') });
  }
  process.on('exit', () => children.forEach(({ service }) => service.child.kill('SIGTERM')));

  const run = ({ service, key }: { service: ServiceChild; key: string }, seconds: number) =>
    createRound(service, key, seconds);
  // Warm-up: until V8 has optimised the path (CPU per create falls by half over the first ~10 s).
  for (const child of children) await run(child, 10);
  const rounds = new Map<string, Round[]>(children.map((c) => [c.name, []]));
  for (let i = 0; i < ROUNDS; i += 1) {
    for (const child of children) {
      seedWorld(sim, ids);
      rounds.get(child.name)!.push(await run(child, 3));
    }
  }
  const plain = rounds.get('plain')!;
  const baseRps = median(plain.map((r) => r.rps));
  const baseCpu = median(plain.map((r) => r.cpu));
  const lines = [`${ROUNDS} rounds of 3 s each, alternating; 16 connections; no Microsoft latency`];
  for (const [name, rs] of rounds) {
    const rps = median(rs.map((r) => r.rps));
    const cpu = median(rs.map((r) => r.cpu));
    lines.push(
      `${name.padEnd(7)} ${rps.toFixed(0).padStart(5)} creates/s (${(rps / baseRps).toFixed(2)} ×)  ` +
        `cpu ${cpu.toFixed(3)} ms/create (${(cpu / baseCpu).toFixed(2)} ×)  ` +
        `rounds ${rs.map((r) => r.rps.toFixed(0)).join(' ')}`,
    );
  }
  lines.push(`OTLP exports received: ${exported}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  await new Promise((resolve) => collector.close(resolve));
  await sim.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

runMain(main);
