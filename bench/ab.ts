/**
 * A/B of two builds of the service on the create path: `tsx bench/ab.ts <distA> <distB> [rounds]`
 * (each `<dist>[:<node flag>]`).
 * Both run as children against one simulator; rounds alternate A, B, A, B…; prints the median
 * CPU ms per create of each child (from /proc) and req/s. For deciding whether a change pays.
 * A build of another commit: `git worktree add /tmp/old <rev>`, link node_modules, `npx tsc -p
 * tsconfig.build.json`, then copy its dist/ under bench/builds/ (so that it finds node_modules).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  benchSetup,
  createRound,
  median,
  seedWorld,
  startService,
  type ServiceChild,
  runMain,
} from './support';

/** `<dist>[:<node flag>]`: a build, and a flag to start it with (`dist:--max-semi-space-size=8`). */
const parse = (arg = 'dist') => {
  const [dist, flag] = arg.split(':') as [string, string | undefined];
  return { dist: path.resolve(dist), nodeArgs: flag ? [flag] : [] };
};
const [specA, specB] = [parse(process.argv[2]), parse(process.argv[3])];
const [distA, distB] = [process.argv[2] ?? 'dist', process.argv[3] ?? 'dist'];
const ROUNDS = Number(process.argv[4] ?? 6);

interface Round {
  cpu: number;
  rps: number;
}

async function main(): Promise<void> {
  const { dir, sim, ids, caFile } = await benchSetup('tm-ab-');
  const adminKey = crypto.randomBytes(24).toString('hex');
  const start = async (spec: { dist: string; nodeArgs: string[] }, name: string) => {
    const service = await startService({ ...spec, dir, name, sim, caFile, adminKey });
    return { service, key: await service.addPartner('uni-x') };
  };
  const a = await start(specA, 'a');
  const b = await start(specB, 'b');
  process.on('exit', () => [a, b].forEach(({ service }) => service.child.kill('SIGTERM')));

  const run = ({ service, key }: { service: ServiceChild; key: string }, seconds: number) =>
    createRound(service, key, seconds);
  await run(a, 2);
  await run(b, 2);
  const ra: Round[] = [];
  const rb: Round[] = [];
  for (let i = 0; i < ROUNDS; i += 1) {
    seedWorld(sim, ids);
    ra.push(await run(a, 3));
    seedWorld(sim, ids);
    rb.push(await run(b, 3));
  }
  const fmt = (rs: Round[]) =>
    `cpu ${median(rs.map((x) => x.cpu)).toFixed(3)} ms/req [${rs.map((x) => x.cpu.toFixed(2)).join(' ')}], ` +
    `${median(rs.map((x) => x.rps)).toFixed(0)} req/s`;
  process.stdout.write(`A ${distA}: ${fmt(ra)}\nB ${distB}: ${fmt(rb)}\n`);
  await sim.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

runMain(main);
