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
});
