/**
 * Start-up with a fleet stored (issue 29): `npm run bench:startup [-- --partners N --runs N]`.
 * Makes a SQLite store holding N partners (1,000) through the service's API, stops it, then starts
 * the built service on that store again and again (`node dist/main.js` with the deployed flags) and times
 * each from the spawn to its first `200` from `/health` (polled every 5 ms). Prints every run,
 * the median and the slowest; the target is 1 s.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { benchSetup, argOf, DEPLOYED_NODE_ARGS, median, ROOT, runMain, startService } from './support';

const PARTNERS = Number(argOf('--partners') ?? 1000);
const RUNS = Number(argOf('--runs') ?? 7);

function healthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${url}/health`, { agent: false, timeout: 200 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

async function main(): Promise<void> {
  const { dir, sim, caFile } = await benchSetup('tm-startup-');
  const adminKey = crypto.randomBytes(24).toString('hex');
  const secretsKey = crypto.randomBytes(32).toString('base64');
  const env = { SECRETS_KEY: secretsKey };
  const dist = path.join(ROOT, 'dist');

  const maker = await startService({ dist, dir, name: 'fleet', sim, caFile, adminKey, env });
  for (let p = 0; p < PARTNERS; p += 25) {
    await Promise.all(
      Array.from({ length: Math.min(25, PARTNERS - p) }, (_, k) => maker.addPartner(`p-${p + k}`)),
    );
  }
  await new Promise<void>((resolve) => {
    maker.child.once('exit', () => resolve());
    maker.child.kill('SIGTERM');
  });

  const times: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const url = `http://127.0.0.1:${port}`;
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [...DEPLOYED_NODE_ARGS, path.join(dist, 'main.js')], {
      cwd: dir,
      stdio: 'ignore',
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: `sqlite:${path.join(dir, 'fleet.db')}`,
        ADMIN_API_KEY: adminKey,
        SECRETS_KEY: secretsKey,
        AZURE_AUTHORITY_HOST: sim.authorityHost,
        GRAPH_BASE_URL: sim.graphBaseUrl,
        NODE_EXTRA_CA_CERTS: caFile,
        SHUTDOWN_GRACE_MS: '0',
      },
    });
    while (!(await healthy(url))) await new Promise((resolve) => setTimeout(resolve, 5));
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
  process.stdout.write(
    `${PARTNERS} partners stored (SQLite); node dist/main.js to the first 200 from /health, ${RUNS} runs:\n` +
      `  ${times.map((t) => t.toFixed(0)).join(' ')} ms; median ${median(times).toFixed(0)} ms, slowest ${Math.max(...times).toFixed(0)} ms (target 1000)\n`,
  );
  await sim.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

runMain(main);
