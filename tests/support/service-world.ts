/**
 * A simulated university behind the real app: the Microsoft simulator over HTTPS (its CA trusted
 * explicitly), a partner configured through the admin API, and a partner key.
 */
import { startSimulator, type MicrosoftSimulator, type SimUser } from '../../tools/microsoft-simulator';
import type { Store } from '../../src/domain/store.port';
import type { TestClock } from './clock';
import { makeHarness, type Harness } from './harness';
import * as university from '../../tools/fixtures/university';

const { ADVISER, APP_ID, CLIENT_SECRET, ROLES, SECRET_ID, TENANT_ID, universityPartner } = university;

/** The simulated university's constants and bodies, for the files that use this world. */
export * from '../../tools/fixtures/university';

export interface ServiceWorld {
  h: Harness;
  sim: MicrosoftSimulator;
  partnerKey: string;
  adviser: SimUser;
  adviserNoPolicy: SimUser;
  students: SimUser[];
  obrien: SimUser;
  /** POST /appointments/meeting with the partner key. */
  create(body: Record<string, unknown>, key?: string): ReturnType<Harness['request']['post']>;
  close(): Promise<void>;
}

export interface WorldOptions {
  roles?: string[];
  partner?: Record<string, unknown>;
  graph?: { attemptTimeoutMs?: number; deadlineMs?: number; maxAttempts?: number; maxSockets?: number };
  /** The service's time (a TestClock: waits return at once and are recorded; tests move it). */
  clock?: TestClock;
  /** The request budget (REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
  sim?: MicrosoftSimulator;
  logLevel?: string;
  store?: Store;
  secretsKey?: Buffer;
  publicBaseUrl?: string;
  /** More configuration, as environment variables. */
  env?: Record<string, string>;
}

export async function makeWorld(options: WorldOptions = {}): Promise<ServiceWorld> {
  const sim = options.sim ?? (await startSimulator());
  sim.reset();
  sim.addTenant({ id: TENANT_ID, domains: ['uni.example.ac.uk'] });
  sim.addApp({
    tenantId: TENANT_ID,
    appId: APP_ID,
    secrets: [{ value: CLIENT_SECRET, id: SECRET_ID }],
    roles: options.roles ?? ROLES,
  });
  const adviser = sim.addUser({ tenantId: TENANT_ID, ...ADVISER });
  sim.grantPolicy(TENANT_ID, adviser.id, APP_ID);
  const adviserNoPolicy = sim.addUser({
    tenantId: TENANT_ID,
    userPrincipalName: 'nina@uni.example.ac.uk',
    mail: 'nina.nopolicy@uni.example.ac.uk',
    displayName: 'Nina Nopolicy',
  });
  const students = Array.from({ length: 60 }, (_, i) =>
    sim.addUser({
      tenantId: TENANT_ID,
      userPrincipalName: `s${i}@uni.example.ac.uk`,
      mail: `s${i}.student@uni.example.ac.uk`,
      displayName: `Student ${i}`,
    }),
  );
  const obrien = sim.addUser({
    tenantId: TENANT_ID,
    userPrincipalName: "liam.o'brien@uni.example.ac.uk",
    mail: "liam.o'brien@uni.example.ac.uk",
    displayName: "Liam O'Brien",
  });

  const h = makeHarness({
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.store ? { store: options.store } : {}),
    ...(options.secretsKey ? { secretsKey: options.secretsKey } : {}),
    ...(options.publicBaseUrl ? { publicBaseUrl: options.publicBaseUrl } : {}),
    ...(options.env ? { env: options.env } : {}),
    microsoft: {
      azureAuthorityHost: sim.authorityHost,
      graphBaseUrl: sim.graphBaseUrl,
      extraCaPem: sim.caCertPem,
      attemptTimeoutMs: options.graph?.attemptTimeoutMs ?? 3000,
      deadlineMs: options.graph?.deadlineMs ?? 8000,
      maxAttempts: options.graph?.maxAttempts ?? 4,
      ...(options.graph?.maxSockets ? { maxSockets: options.graph.maxSockets } : {}),
    },
  });
  const put = await h.request
    .put('/partners/uni-x')
    .set('Authorization', h.admin)
    .send(universityPartner(options.partner));
  if (put.status !== 201) throw new Error(`partner set-up failed: ${put.status} ${JSON.stringify(put.body)}`);
  const issued = await h.request.post('/partners/uni-x/api-keys').set('Authorization', h.admin);
  const partnerKey = issued.body.key as string;
  sim.clearRequests();

  return {
    h,
    sim,
    partnerKey,
    adviser,
    adviserNoPolicy,
    students,
    obrien,
    create: (body, key = partnerKey) =>
      h.request.post('/appointments/meeting').set('Authorization', `Bearer ${key}`).send(body),
    close: async () => {
      await h.close();
      if (!options.sim) await sim.close();
    },
  };
}

/** What the simulator received, by operation. */
export function received(sim: MicrosoftSimulator, operation: string) {
  return sim.requests().filter((r) => r.operation === operation);
}

/**
 * For files whose tests each want their own world on one shared simulator: registers the jest
 * hooks (a simulator for the file, each test's world closed after it) and returns the means.
 */
export function worldsPerTest(): {
  readonly sim: MicrosoftSimulator;
  world(options?: Omit<WorldOptions, 'sim'>): Promise<ServiceWorld>;
} {
  let sim: MicrosoftSimulator | undefined;
  let current: ServiceWorld | undefined;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => {
    await sim?.close();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return {
    get sim() {
      if (!sim) throw new Error('the simulator starts in beforeAll');
      return sim;
    },
    /** A new world; a test's previous one is closed first. */
    async world(options = {}) {
      await current?.close();
      current = await makeWorld({ ...options, sim: this.sim });
      return current;
    },
  };
}
