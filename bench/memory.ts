/**
 * Memory of one instance as it works (issue 29): `npm run bench:memory [-- --creates N]
 * [--node-args "<flags>"] [--env K=V,...]`. The built service (SQLite) against the simulator
 * (no latency), 16 connections; RSS and the V8 heap read after a full collection
 * (bench/gc-hook.cjs) after each phase:
 *   start → 20,000 creates (one partner) → N creates (100,000) → 1,000 partners configured →
 *   1,000 partners warm (2,000 creates round-robin: a token each) → 3 × 5 s round-robin.
 * Prints each reading, what 1,000 partners add, and the verdicts: RSS and heap within 10 %
 * between 20,000 and N creates; RSS < 250 MB with 1,000 partners.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { appointment } from '../tools/fixtures/university';
import {
  benchSetup,
  argOf,
  DEPLOYED_NODE_ARGS,
  memoryOf,
  ROOT,
  runMain,
  seedWorld,
  startService,
} from './support';

const CREATES = Number(argOf('--creates') ?? 100_000);
const NODE_ARGS = (argOf('--node-args') ?? '').split(' ').filter(Boolean);
const EXTRA_ENV = Object.fromEntries(
  (argOf('--env') ?? '')
    .split(',')
    .filter(Boolean)
    .map((kv) => kv.split('=') as [string, string]),
);

interface Reading {
  phase: string;
  rss: number;
  heapUsed: number;
  heapTotal: number;
}

async function main(): Promise<void> {
  const { dir, sim, ids, caFile } = await benchSetup('tm-memory-');
  const service = await startService({
    dist: argOf('--dist') ? path.resolve(argOf('--dist')!) : path.join(ROOT, 'dist'),
    dir,
    name: 'memory',
    sim,
    caFile,
    adminKey: crypto.randomBytes(24).toString('hex'),
    nodeArgs: [...NODE_ARGS, '--expose-gc', '--require', path.join(ROOT, 'bench', 'gc-hook.cjs')],
    env: EXTRA_ENV,
  });
  // The gc-hook's line (stderr of the child is inherited): read the heap from /metrics instead.
  const readings: Reading[] = [];
  const read = async (phase: string) => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    service.child.kill('SIGUSR2');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const text = (await service.admin.get('/metrics')).data as string;
    const mb = (name: string) =>
      Number(new RegExp(`^teams_meetings_${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 1048576;
    const reading = {
      phase,
      rss: memoryOf(service.child.pid!).rss,
      heapUsed: +mb('nodejs_heap_size_used_bytes').toFixed(1),
      heapTotal: +mb('nodejs_heap_size_total_bytes').toFixed(1),
    };
    readings.push(reading);
    process.stderr.write(`[memory] ${JSON.stringify(reading)}\n`);
  };
  const creates = async (amount: number, keyOf: (i: number) => string) => {
    let i = 0;
    const result = await autocannon({
      url: service.url,
      connections: 16,
      amount,
      requests: [
        {
          method: 'POST',
          path: '/appointments/meeting',
          setupRequest: (req) => ({
            ...req,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${keyOf(i++)}` },
            body: JSON.stringify(appointment()),
          }),
        },
      ],
    });
    if (result.non2xx) throw new Error(`${result.non2xx} answers were not 2xx`);
  };

  await read('start');
  const key = await service.addPartner('uni-x');
  for (let done = 0; done < 20_000; done += 10_000) {
    seedWorld(sim, ids);
    await creates(10_000, () => key);
  }
  await read('20,000 creates');
  for (let done = 20_000; done < CREATES; done += 10_000) {
    seedWorld(sim, ids);
    await creates(10_000, () => key);
    // A reading every 40,000 on the way: where RSS levels off, if it grows.
    if ((done + 10_000) % 40_000 === 0 && done + 10_000 < CREATES) {
      await read(`${(done + 10_000).toLocaleString('en')} creates`);
    }
  }
  await read(`${CREATES.toLocaleString('en')} creates`);
  const keys: string[] = [];
  for (let p = 0; p < 1000; p += 25) {
    keys.push(...(await Promise.all(Array.from({ length: 25 }, (_, k) => service.addPartner(`p-${p + k}`)))));
  }
  await read('1,000 partners configured');
  seedWorld(sim, ids);
  await creates(2000, (i) => keys[i % keys.length]!);
  await read('1,000 partners warm (a token each)');
  for (let round = 0; round < 3; round += 1) {
    seedWorld(sim, ids);
    await creates(5000, (i) => keys[i % keys.length]!);
  }
  await read('1,000 partners, 15,000 more creates');

  const at = (phase: string) => readings.find((r) => r.phase.startsWith(phase))!;
  const a = at('20,000');
  const b = at(`${CREATES.toLocaleString('en')} creates`);
  const many = readings.at(-1)!;
  const lines = [
    `node ${[...DEPLOYED_NODE_ARGS, ...NODE_ARGS].join(' ')} dist/main.js ${JSON.stringify(EXTRA_ENV)}`,
    ...readings.map(
      (r) =>
        `${r.phase.padEnd(36)} RSS ${r.rss.toFixed(1).padStart(6)} MB  heap used ${r.heapUsed.toFixed(1).padStart(5)} MB  heap total ${r.heapTotal.toFixed(1)} MB`,
    ),
    `flat: RSS ${b.rss.toFixed(1)} / ${a.rss.toFixed(1)} = ${(b.rss / a.rss).toFixed(2)}, heap ${(b.heapUsed / a.heapUsed).toFixed(2)} (target ≤ 1.10 each): ${b.rss <= 1.1 * a.rss && b.heapUsed <= 1.1 * a.heapUsed ? 'PASS' : 'MISS'}`,
    `1,000 partners: RSS ${many.rss.toFixed(1)} MB (target < 250): ${many.rss < 250 ? 'PASS' : 'MISS'}; ` +
      `heap used +${(many.heapUsed - b.heapUsed).toFixed(1)} MB over one partner's = ${(((many.heapUsed - b.heapUsed) * 1024) / 1000).toFixed(1)} KB a partner`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  service.child.kill('SIGTERM');
  await sim.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

runMain(main);
