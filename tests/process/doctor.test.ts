/**
 * The doctor as the IT team runs it: against a running service, and on the machine's own
 * configuration (with the simulator's CA through the standard NODE_EXTRA_CA_CERTS).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { startSimulator, type MicrosoftSimulator } from '../../tools/microsoft-simulator';
import { ADMIN_KEY } from '../support/harness';
import { makeWorld, ROLES, type ServiceWorld } from '../support/service-world';

const DOCTOR = path.join(__dirname, '..', '..', 'dist', 'cli', 'doctor.js');

let sim: MicrosoftSimulator;
let w: ServiceWorld;
let server: http.Server;
let url: string;
beforeAll(async () => {
  sim = await startSimulator();
  // A university that granted the optional attendance permission too: nothing to warn about.
  w = await makeWorld({ sim, roles: [...ROLES, 'OnlineMeetingArtifact.Read.All'] });
  server = http.createServer(w.h.built.app).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await w.close();
  await sim.close();
});

function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  const { NODE_OPTIONS: _n, ...base } = process.env;
  const child = spawn(process.execPath, [DOCTOR, ...args], { env: { ...base, ...env }, cwd: os.tmpdir() });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out, err })));
}

test('against a running service: a table by step, the remediation under the failure, exit 1', async () => {
  const { code, out } = await run(
    [
      '--partner',
      'uni-x',
      '--operator',
      'ada.adviser@uni.example.ac.uk',
      '--operator',
      'nina.nopolicy@uni.example.ac.uk',
      '--url',
      url,
    ],
    { ADMIN_API_KEY: ADMIN_KEY },
  );
  expect(code).toBe(1);
  expect(out).toContain('teams-meetings doctor: partner uni-x');
  const headings = [
    'Step 1 - Azure AD/Microsoft Graph Config',
    'Step 2 - Microsoft Teams Configuration',
    'Step 4 - TARGETconnect platform',
  ];
  const positions = headings.map((h) => out.indexOf(`\n${h}\n`));
  expect(positions.every((p) => p > 0)).toBe(true);
  expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  expect(out).toMatch(/✔ PASS +credentials/);
  expect(out).toMatch(/✔ PASS +access-policy:0/);
  expect(out).toMatch(/✖ FAIL +access-policy:1/);
  expect(out).toContain(
    `→ Grant-CsApplicationAccessPolicy -PolicyName "TARGETconnect-Teams-Meetings" -Identity "${w.adviserNoPolicy.id}"`,
  );
  expect(out).toMatch(/Result: 1 check\(s\) failed/);
  expect(sim.meetings()).toHaveLength(0);
});

test("on this machine's configuration, through NODE_EXTRA_CA_CERTS: every check passes, exit 0", async () => {
  const ca = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'doctor-')), 'ca.pem');
  fs.writeFileSync(ca, sim.caCertPem);
  const { code, out, err } = await run(
    ['--partner', 'uni-x', '--operator', 'ada.adviser@uni.example.ac.uk'],
    {
      DATABASE_URL: `sqlite:${w.h.dbPath}`,
      SECRETS_KEY: w.h.secretsKey.toString('base64'),
      ADMIN_API_KEY: ADMIN_KEY,
      AZURE_AUTHORITY_HOST: sim.authorityHost,
      GRAPH_BASE_URL: sim.graphBaseUrl,
      NODE_EXTRA_CA_CERTS: ca,
    },
  );
  expect(err).toBe('');
  expect(code).toBe(0);
  expect(out).toMatch(/✔ PASS +operator-lookup:0/);
  expect(out).toMatch(/- SKIP +secret-expiry/);
  expect(out).toContain('Result: every check passed.');
});

test('usage errors and unknown partners exit 3 with one clear line', async () => {
  let result = await run([], {});
  expect(result.code).toBe(3);
  expect(result.err).toMatch(/--partner or --all is required/);
  result = await run(['--partner', 'ghost', '--url', url], { ADMIN_API_KEY: ADMIN_KEY });
  expect(result.code).toBe(3);
  expect(result.err).toMatch(/404 PARTNER_NOT_FOUND/);
});

test('--help prints the usage and an example to stdout and exits 0', async () => {
  const result = await run(['--help'], {});
  expect(result.code).toBe(0);
  expect(result.err).toBe('');
  expect(result.out).toMatch(/^usage: npm run doctor -- --partner <id>/);
  expect(result.out).toContain('--url');
  expect(result.out).toContain('ADMIN_API_KEY=<admin key> npm run doctor -- --url');
});

test("'could not run' says what to pass: --url with ADMIN_API_KEY, or the service's variables", async () => {
  const {
    ADMIN_API_KEY: _a,
    SECRETS_KEY: _s,
    DATABASE_URL: _d,
    TEAMS_MEETINGS_URL: _u,
    ...clean
  } = process.env;
  const bare = await new Promise<{ code: number | null; err: string }>((resolve) => {
    const child = spawn(process.execPath, [DOCTOR, '--partner', 'uni-example'], {
      env: { ...clean, NODE_OPTIONS: '' },
      cwd: os.tmpdir(),
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => resolve({ code, err }));
  });
  expect(bare.code).toBe(3);
  expect(bare.err).toMatch(/ADMIN_API_KEY is required/);
  expect(bare.err).toMatch(/--url <service URL>/);
  expect(bare.err).toMatch(/DATABASE_URL, ADMIN_API_KEY, SECRETS_KEY/);

  const noKey = await run(['--partner', 'uni-x', '--url', url], { ADMIN_API_KEY: '' });
  expect(noKey.code).toBe(3);
  expect(noKey.err).toMatch(/set ADMIN_API_KEY/);
  expect(noKey.err).toContain(`--url ${url} --partner uni-x`);

  const nobody = await run(['--partner', 'uni-x', '--url', 'http://127.0.0.1:9'], {
    ADMIN_API_KEY: ADMIN_KEY,
  });
  expect(nobody.code).toBe(3);
  expect(nobody.err).toMatch(/Could not reach http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)/);
});
