/**
 * A/B of two builds of the service on the create path: `tsx bench/ab.ts <distA> <distB> [rounds]`.
 * Both run as children against one simulator; rounds alternate A, B, A, B…; prints the median
 * CPU ms per create of each child (from /proc) and req/s. For deciding whether a change pays.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import axios from 'axios';
import { startSimulator } from '../src/integrations/microsoft/simulator';
import {
  appointment,
  APP_ID,
  CLIENT_SECRET,
  SECRET_ID,
  TENANT_ID,
  ROLES,
} from '../test/support/meeting-world';

const [distA, distB] = [path.resolve(process.argv[2] ?? 'dist'), path.resolve(process.argv[3] ?? 'dist')];
const ROUNDS = Number(process.argv[4] ?? 6);
const ADMIN_KEY = crypto.randomBytes(24).toString('hex');

function cpuMsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-ab-'));
  const sim = await startSimulator();
  const seed = () => {
    sim.reset();
    sim.setLatency(0);
    sim.addTenant({ id: TENANT_ID, domains: ['uni.example.ac.uk'] });
    sim.addApp({
      tenantId: TENANT_ID,
      appId: APP_ID,
      secrets: [{ value: CLIENT_SECRET, id: SECRET_ID }],
      roles: ROLES,
    });
    const a = sim.addUser({
      tenantId: TENANT_ID,
      id: '0a7e7c8e-1111-4222-8333-944455556666',
      userPrincipalName: 'aadviser@uni.example.ac.uk',
      mail: 'ada.adviser@uni.example.ac.uk',
      displayName: 'Ada Adviser',
    });
    sim.grantPolicy(TENANT_ID, a.id, APP_ID);
    for (let s = 0; s < 4; s += 1)
      sim.addUser({
        tenantId: TENANT_ID,
        id: `0a7e7c8e-1111-4222-8333-94445555000${s}`,
        userPrincipalName: `s${s}@uni.example.ac.uk`,
        mail: `s${s}.student@uni.example.ac.uk`,
        displayName: `Student ${s}`,
      });
  };
  seed();
  const caFile = path.join(tmp, 'ca.pem');
  fs.writeFileSync(caFile, sim.caCertPem);
  const children: ChildProcess[] = [];
  process.on('exit', () => children.forEach((c) => c.kill('SIGTERM')));
  async function start(dist: string, name: string) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = spawn(process.execPath, [path.join(dist, 'main.js')], {
      cwd: tmp,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: `sqlite:${path.join(tmp, `${name}.db`)}`,
        ADMIN_API_KEY: ADMIN_KEY,
        SECRETS_KEY: crypto.randomBytes(32).toString('base64'),
        AZURE_AUTHORITY_HOST: sim.authorityHost,
        GRAPH_BASE_URL: sim.graphBaseUrl,
        NODE_EXTRA_CA_CERTS: caFile,
        LOG_LEVEL: 'info',
        RATE_LIMIT_PER_MINUTE: '1000000',
      },
    });
    children.push(child);
    const url = `http://127.0.0.1:${port}`;
    const admin = axios.create({
      baseURL: url,
      httpAgent: new http.Agent({ keepAlive: true }),
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
      validateStatus: () => true,
    });
    for (let i = 0; ; i += 1) {
      try {
        await admin.get('/health');
        break;
      } catch {
        if (i > 100) throw new Error('no start');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await admin.put('/partners/uni-x', {
      applicationId: APP_ID,
      tenantId: TENANT_ID,
      clientSecret: CLIENT_SECRET,
      operatorLocalMatchField: 'email',
      operatorRemoteMatchField: 'mail',
      userLocalMatchField: 'email',
      userRemoteMatchField: 'mail',
    });
    const key = (await admin.post('/partners/uni-x/api-keys')).data.key as string;
    return { child, url, key };
  }
  const a = await start(distA, 'a');
  const b = await start(distB, 'b');
  const run = async (s: { child: ChildProcess; url: string; key: string }, seconds: number) => {
    const before = cpuMsOf(s.child.pid!);
    const r = await autocannon({
      url: s.url,
      connections: 16,
      duration: seconds,
      requests: [
        {
          method: 'POST',
          path: '/appointments/meeting',
          setupRequest: (req) => ({
            ...req,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${s.key}` },
            body: JSON.stringify(
              appointment({
                attendees: [
                  { email: 's1.student@uni.example.ac.uk' },
                  { email: 's2.student@uni.example.ac.uk' },
                ],
              }),
            ),
          }),
        },
      ],
    });
    if (r.non2xx) throw new Error(`${r.non2xx} non-2xx`);
    return { cpu: (cpuMsOf(s.child.pid!) - before) / r.requests.total, rps: r.requests.average };
  };
  await run(a, 2);
  await run(b, 2);
  const ra: { cpu: number; rps: number }[] = [];
  const rb: { cpu: number; rps: number }[] = [];
  for (let i = 0; i < ROUNDS; i += 1) {
    seed();
    ra.push(await run(a, 3));
    seed();
    rb.push(await run(b, 3));
  }
  const fmt = (rs: { cpu: number; rps: number }[]) =>
    `cpu ${median(rs.map((x) => x.cpu)).toFixed(3)} ms/req [${rs.map((x) => x.cpu.toFixed(2)).join(' ')}], ${median(rs.map((x) => x.rps)).toFixed(0)} req/s`;
  process.stdout.write(`A ${distA}: ${fmt(ra)}\nB ${distB}: ${fmt(rb)}\n`);
  process.exit(0);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
