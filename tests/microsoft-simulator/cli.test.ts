import { spawn } from 'node:child_process';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios from 'axios';
import { parseCliArgs, runCli } from '../../tools/microsoft-simulator/main';
import type { SimulatorSeed } from '../../tools/microsoft-simulator';
import { APP_ID, GRAPH_SCOPE, SECRET, TENANT_ID } from '../support/simulator-world';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sim-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CLI', () => {
  it('parses its options and refuses unknown ones', () => {
    expect(parseCliArgs(['--port', '8443', '--ca-file', '/tmp/ca.pem'])).toMatchObject({
      port: 8443,
      host: '127.0.0.1',
      caFile: '/tmp/ca.pem',
    });
    expect(() => parseCliArgs(['--nope', 'x'])).toThrow(/unknown option/);
    expect(() => parseCliArgs(['--port'])).toThrow(/needs a value/);
    expect(() => parseCliArgs(['--port', '70000'])).toThrow(/not a port/);
  });

  it('starts seeded, writes the CA file and prints its URLs as one JSON line', async () => {
    const seed: SimulatorSeed = {
      tenants: [{ id: TENANT_ID, domains: ['uni.ac.uk'] }],
      apps: [
        {
          tenantId: TENANT_ID,
          appId: APP_ID,
          secrets: [{ value: SECRET, expiresAt: '2999-01-01T00:00:00Z' }],
          roles: ['OnlineMeetings.ReadWrite.All', 'User.ReadBasic.All'],
        },
      ],
      users: [{ tenantId: TENANT_ID, userPrincipalName: 'adviser@uni.ac.uk', grantPolicyTo: [APP_ID] }],
    };
    const seedFile = join(dir, 'seed.json');
    const caFile = join(dir, 'ca.pem');
    writeFileSync(seedFile, JSON.stringify(seed));
    const lines: string[] = [];

    const { simulator } = await runCli(['--ca-file', caFile, '--seed', seedFile], (line) => lines.push(line));
    const agent = new https.Agent({ ca: readFileSync(caFile, 'utf8') });
    try {
      expect(lines).toHaveLength(1);
      const info = JSON.parse(lines[0]!) as Record<string, unknown>;
      expect(info).toEqual({
        url: simulator.url,
        authorityHost: simulator.url,
        graphBaseUrl: `${simulator.url}/v1.0`,
        caFile,
        users: 1,
      });

      const token = await axios.post(
        `${simulator.authorityHost}/uni.ac.uk/oauth2/v2.0/token`,
        new URLSearchParams({
          client_id: APP_ID,
          client_secret: SECRET,
          scope: GRAPH_SCOPE,
          grant_type: 'client_credentials',
        }),
        { httpsAgent: agent },
      );
      expect(token.status).toBe(200);
      const [user] = simulator.users(TENANT_ID);
      const meeting = await axios.post(
        `${simulator.graphBaseUrl}/users/${user!.id}/onlineMeetings`,
        { subject: 'Seeded' },
        { httpsAgent: agent, headers: { authorization: `Bearer ${token.data.access_token}` } },
      );
      expect(meeting.status).toBe(201);
    } finally {
      agent.destroy();
      await simulator.close();
    }
  });

  it('--help says how to run it, and exits 0 before starting anything', async () => {
    const cli = join(__dirname, '..', '..', 'dist-tools', 'microsoft-simulator', 'main.js');
    const { stdout, code } = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
      const child = spawn(process.execPath, [cli, '--help']);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.once('exit', (exit) => resolve({ stdout: out, code: exit }));
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: npm run simulator -- /);
    for (const flag of ['--port', '--host', '--ca-file', '--seed', '--empty', '--help'])
      expect(stdout).toContain(flag);
  });

  it("starts with the sandbox's university unless told otherwise; --empty starts with nothing", async () => {
    const seeded = await runCli(['--ca-file', join(dir, 'a.pem')], () => undefined);
    const empty = await runCli(['--ca-file', join(dir, 'b.pem'), '--empty'], () => undefined);
    try {
      expect(seeded.info.users).toBeGreaterThan(3);
      expect(seeded.simulator.users('uni.ac.uk').map((u) => u.mail)).toContain('ada.adviser@uni.ac.uk');
      expect(empty.info.users).toBe(0);
      expect(empty.simulator.users('uni.ac.uk')).toEqual([]);
    } finally {
      await seeded.simulator.close();
      await empty.simulator.close();
    }
    expect(() => parseCliArgs(['--empty', '--seed', 'x.json'])).toThrow(/exclude each other/);
  });
});

describe("the portal's Upload certificate", () => {
  it('takes a .cer for an app registration (201 with its thumbprint); refuses junk, unknown apps and GET', async () => {
    const { simulator } = await runCli(['--ca-file', join(dir, 'c.pem')], () => undefined);
    const agent = new https.Agent({ ca: simulator.caCertPem });
    const http = axios.create({ httpsAgent: agent, validateStatus: () => true });
    const { createCertificates } = await import('../../tools/microsoft-simulator/certificates');
    const { caCertPem } = await createCertificates([]);
    const url = (app: string) => `${simulator.url}/portal/uni.ac.uk/applications/${app}/certificates`;
    const pem = { headers: { 'content-type': 'application/x-pem-file' } };
    try {
      const app = 'c0ffee00-1d2e-4f3a-8b5c-6d7e8f9a0b1c';
      const uploaded = await http.post(url(app), caCertPem, pem);
      expect(uploaded.status).toBe(201);
      expect(uploaded.data.thumbprint).toMatch(/^[0-9A-F]{40}$/);
      expect(new Date(uploaded.data.endDateTime).getTime()).toBeGreaterThan(Date.now());
      expect((await http.post(url(app), 'not a certificate', pem)).status).toBe(400);
      expect((await http.post(url('00000000-0000-0000-0000-000000000000'), caCertPem, pem)).status).toBe(404);
      expect((await http.get(url(app))).status).toBe(405);
      expect(simulator.requests().map((r) => r.operation)).toContain('portal.uploadCertificate');
    } finally {
      agent.destroy();
      await simulator.close();
    }
  });
});
