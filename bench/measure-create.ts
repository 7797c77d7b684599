/**
 * A quick measurement of the create path, in one run:
 *  - Graph calls per create with warm token and identity caches (from the simulator's log);
 *  - token requests for one partner under 50 concurrent cold creates;
 *  - the service's added latency: sequential creates through the service against the same
 *    createOrGet sent straight to the simulator with the same HTTP stack (keep-alive axios).
 * Usage: npm run bench:create [-- --n 400]
 */
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import crypto from 'node:crypto';
import axios from 'axios';
import { startSimulator } from '../tools/microsoft-simulator';
import fs from 'node:fs';
import path from 'node:path';
import { appointment, APP_ID, TENANT_ID } from '../tools/fixtures/university';
import { newWorldIds, ROOT, seedWorld, startService, runMain } from './support';

const nFlag = process.argv.indexOf('--n');
const n = nFlag > 0 ? Number(process.argv[nFlag + 1]) : 400;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

async function main(): Promise<void> {
  const sim = await startSimulator();
  const adviser = seedWorld(sim, newWorldIds());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-create-'));
  const caFile = path.join(dir, 'ca.pem');
  fs.writeFileSync(caFile, sim.caCertPem);
  const service = await startService({
    dist: path.join(ROOT, 'dist'),
    dir,
    name: 'measure-create',
    sim,
    caFile,
    adminKey: `bench-admin-${crypto.randomUUID()}`,
  });
  const partnerKey = await service.addPartner('uni-x');
  const client = axios.create({
    baseURL: service.url,
    httpAgent: new http.Agent({ keepAlive: true }),
    headers: { authorization: `Bearer ${partnerKey}` },
    validateStatus: () => true,
  });
  const create = async () => {
    const res = await client.post('/appointments/meeting', appointment());
    if (res.status !== 201) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.data)}`);
  };

  // 1. Graph calls per create, warm.
  for (let i = 0; i < 20; i += 1) await create();
  sim.clearRequests();
  for (let i = 0; i < 100; i += 1) await create();
  const graphCallsPerCreate = sim.requests().length / 100;

  // 2. 50 concurrent cold creates for a new partner.
  const coldKey = await service.addPartner('uni-cold');
  sim.clearRequests();
  await Promise.all(
    Array.from({ length: 50 }, () =>
      client.post('/appointments/meeting', appointment(), {
        headers: { authorization: `Bearer ${coldKey}` },
      }),
    ),
  );
  const coldTokenRequests = sim.requests().filter((r) => r.operation === 'token').length;
  const coldLookups = sim
    .requests()
    .filter((r) => r.kind === 'graph' && r.operation !== 'onlineMeetings.createOrGet').length;

  // 3. Added latency: alternate service creates and direct createOrGet calls.
  const token = sim.mintAccessToken({
    tenantId: TENANT_ID,
    appId: APP_ID,
    roles: ['OnlineMeetings.ReadWrite.All'],
  });
  const direct = axios.create({
    baseURL: sim.graphBaseUrl,
    httpsAgent: new https.Agent({ keepAlive: true, ca: sim.caCertPem }),
    headers: { authorization: `Bearer ${token}` },
  });
  const via: number[] = [];
  const straight: number[] = [];
  for (let i = 0; i < n; i += 1) {
    let t = process.hrtime.bigint();
    await create();
    via.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    await direct.post(`/users/${adviser.id}/onlineMeetings/createOrGet`, {
      externalId: `direct-${i}-${Date.now()}`,
      startDateTime: '2026-12-01T10:00:00Z',
      endDateTime: '2026-12-01T10:30:00Z',
      subject: 'x',
      participants: { attendees: [] },
    });
    straight.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const s = summary(via);
  const d = summary(straight);
  const result = {
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
    graphCallsPerWarmCreate: graphCallsPerCreate,
    tokenRequestsFor50ConcurrentColdCreates: coldTokenRequests,
    identityLookupCallsFor50ConcurrentColdCreates: coldLookups,
    sequentialCreates: n,
    serviceMs: s,
    directCreateOrGetMs: d,
    addedLatencyMs: { p50: +(s.p50 - d.p50).toFixed(2), p99: +(s.p99 - d.p99).toFixed(2) },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  service.child.kill('SIGTERM');
  await new Promise((resolve) => service.child.once('exit', resolve));
  await sim.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

runMain(main);
