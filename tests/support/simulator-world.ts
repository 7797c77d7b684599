/**
 * The simulator's own tests' world: a simulator, an HTTPS agent that trusts its CA (never
 * `rejectUnauthorized: false`), axios clients, and a small seeded world.
 */
import https from 'node:https';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { startSimulator, type MicrosoftSimulator, type SimUser } from '../../tools/microsoft-simulator';

export const TENANT_ID = '5f1b7a2c-3d4e-4f60-8a9b-0c1d2e3f4a5b';
export const TENANT_DOMAIN = 'uni.ac.uk';
export const OTHER_TENANT_ID = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
export const APP_ID = '11111111-2222-4333-8444-555555555555';
export const SECRET = 'sim~secret~VALUE.0123456789abcdef';
export const SECRET_ID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
export const ALL_ROLES = ['OnlineMeetings.ReadWrite.All', 'User.ReadBasic.All'];

export interface SimulatorClient {
  sim: MicrosoftSimulator;
  agent: https.Agent;
  /** Plain axios on the simulator's origin; never throws on status. */
  http: AxiosInstance;
  close(): Promise<void>;
}

export async function startSimulatorClient(): Promise<SimulatorClient> {
  const sim = await startSimulator();
  const agent = new https.Agent({ ca: sim.caCertPem, keepAlive: true });
  const http = axios.create({
    baseURL: sim.url,
    httpsAgent: agent,
    validateStatus: () => true,
    timeout: 5000,
  });
  return {
    sim,
    agent,
    http,
    async close() {
      agent.destroy();
      await sim.close();
    },
  };
}

export interface SimulatorWorld {
  adviser: SimUser;
  student: SimUser;
  obrien: SimUser;
  /** A user of another tenant with the same mail domain. */
  outsider: SimUser;
}

/** Resets the simulator and adds one tenant (with a verified domain), the app and a few users. */
export function seedSimulatorWorld(sim: MicrosoftSimulator, roles: string[] = ALL_ROLES): SimulatorWorld {
  sim.reset();
  sim.addTenant({ id: TENANT_ID, domains: [TENANT_DOMAIN] });
  sim.addTenant({ id: OTHER_TENANT_ID, domains: ['other.example'] });
  sim.addApp({ tenantId: TENANT_ID, appId: APP_ID, secrets: [{ value: SECRET, id: SECRET_ID }], roles });
  const adviser = sim.addUser({
    tenantId: TENANT_ID,
    userPrincipalName: 'a.adviser@uni.ac.uk',
    mail: 'Ada.Adviser@uni.ac.uk',
    displayName: 'Ada Adviser',
    givenName: 'Ada',
    surname: 'Adviser',
  });
  const student = sim.addUser({
    tenantId: TENANT_ID,
    userPrincipalName: 's1234@uni.ac.uk',
    mail: 'sam.student@uni.ac.uk',
    displayName: 'Sam Student',
  });
  const obrien = sim.addUser({
    tenantId: TENANT_ID,
    userPrincipalName: 'obrien@uni.ac.uk',
    mail: "o'brien@uni.ac.uk",
    displayName: "Pat O'Brien",
  });
  const outsider = sim.addUser({
    tenantId: OTHER_TENANT_ID,
    userPrincipalName: 'sam.student@other.example',
    mail: 'sam.student@uni.ac.uk',
  });
  return { adviser, student, obrien, outsider };
}

export function tokenForm(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** A token request as a client-credentials client sends it. */
export function requestToken(
  http: AxiosInstance,
  tenant: string,
  fields: Partial<Record<'client_id' | 'client_secret' | 'scope' | 'grant_type', string>> = {},
): Promise<AxiosResponse> {
  return http.post(
    `/${tenant}/oauth2/v2.0/token`,
    tokenForm({
      client_id: APP_ID,
      client_secret: SECRET,
      scope: GRAPH_SCOPE,
      grant_type: 'client_credentials',
      ...fields,
    }),
    { headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  );
}

export async function accessToken(http: AxiosInstance, tenant = TENANT_ID): Promise<string> {
  const response = await requestToken(http, tenant);
  if (response.status !== 200) throw new Error(`token request failed: ${JSON.stringify(response.data)}`);
  return (response.data as { access_token: string }).access_token;
}

/** An axios client for `${graphBaseUrl}` with a Bearer token. */
export function graphClient(harness: SimulatorClient, token: string): AxiosInstance {
  return axios.create({
    baseURL: harness.sim.graphBaseUrl,
    httpsAgent: harness.agent,
    validateStatus: () => true,
    timeout: 5000,
    headers: { authorization: `Bearer ${token}` },
  });
}

export function meetingBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subject: 'Careers appointment',
    startDateTime: '2026-03-02T10:00:00+01:00',
    endDateTime: '2026-03-02T10:30:00+01:00',
    ...overrides,
  };
}

export function attendee(user: SimUser, role = 'attendee'): Record<string, unknown> {
  return { identity: { user: { id: user.id } }, upn: user.userPrincipalName, role };
}

/** Graph's error body. */
export interface GraphErrorBody {
  error: { code: string; message: string; innerError?: Record<string, string> };
}

/** Entra's error body. */
export interface AadErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
}

/**
 * For files that test the simulator itself: registers the jest hooks (one simulator and client
 * for the file; before each test, unless `seed` is false, a fresh world, with the adviser's access
 * policy and a Graph client with a token unless told otherwise) and returns the means.
 */
export function simulatorPerTest(options: { seed?: boolean; policy?: boolean; graph?: boolean } = {}): {
  readonly h: SimulatorClient;
  readonly world: SimulatorWorld;
  readonly graph: AxiosInstance;
} {
  const { seed = true, policy = true, graph: withGraph = true } = options;
  let h: SimulatorClient | undefined;
  let world: SimulatorWorld | undefined;
  let graph: AxiosInstance | undefined;
  beforeAll(async () => {
    h = await startSimulatorClient();
  });
  afterAll(() => h?.close());
  if (seed) {
    beforeEach(async () => {
      world = seedSimulatorWorld(h!.sim);
      if (policy) h!.sim.grantPolicy(TENANT_ID, world.adviser.id, APP_ID);
      if (withGraph) graph = graphClient(h!, await accessToken(h!.http));
      h!.sim.clearRequests();
    });
  }
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not set up for this file`);
    return value;
  };
  return {
    get h() {
      return need(h, 'the simulator client');
    },
    get world() {
      return need(world, 'the world');
    },
    get graph() {
      return need(graph, 'the Graph client');
    },
  };
}
