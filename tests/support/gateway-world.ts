/**
 * The Microsoft integration's tests' world: a real simulator over HTTPS (its CA passed
 * as `extraCaPem`), a seeded tenant, partner records, and a gateway whose logs are captured.
 */
import { connectionOf } from '../../src/domain/credentials/tenant-connection';
import { Registry } from 'prom-client';
import { AppError } from '../../src/domain/errors';
import type { PartnerRecord } from '../../src/domain/partners/partner.record';
import {
  createMicrosoftGateway,
  type GraphMicrosoftGateway,
  type MicrosoftGatewayOptions,
} from '../../src/integrations/microsoft';
import {
  startSimulator,
  type MicrosoftSimulator,
  type RecordedRequest,
  type SimUser,
} from '../../tools/microsoft-simulator';
import { LogCapture } from './log-capture';
import { createLogger } from '../../src/logging/logger';

export const TENANT_ID = '3c9d2e1f-6a7b-4c8d-9e0f-1a2b3c4d5e6f';
export const TENANT_DOMAIN = 'careers-uni.ac.uk';
export const APP_ID = '8e7d6c5b-4a39-4281-9f0e-d1c2b3a4f5e6';
export const SECRET = 'Xy8Q~integration.secret-VALUE_0123456789abcdef';
export const SECRET_ID = '0f1e2d3c-4b5a-4697-8877-66554433aa11';
export const EXPIRED_SECRET = 'Xy8Q~expired.secret-value_0123456789';
export const ROLES = ['OnlineMeetings.ReadWrite.All', 'User.ReadBasic.All'];

export { LogCapture } from './log-capture';

export interface GatewayWorld {
  adviser: SimUser;
  adviserNoPolicy: SimUser;
  student: SimUser;
  obrien: SimUser;
  students: SimUser[];
}

/** Resets the simulator: one tenant, the app (with a valid and an expired secret), users. */
export function seedGatewayWorld(sim: MicrosoftSimulator, roles: string[] = ROLES): GatewayWorld {
  sim.reset();
  sim.addTenant({ id: TENANT_ID, domains: [TENANT_DOMAIN] });
  sim.addApp({
    tenantId: TENANT_ID,
    appId: APP_ID,
    secrets: [
      { value: SECRET, id: SECRET_ID },
      { value: EXPIRED_SECRET, expiresAt: new Date(Date.now() - 86_400_000) },
    ],
    roles,
  });
  const adviser = sim.addUser({
    tenantId: TENANT_ID,
    userPrincipalName: 'a.adviser@careers-uni.ac.uk',
    mail: 'Ada.Adviser@careers-uni.ac.uk',
    displayName: 'Ada Adviser',
  });
  sim.grantPolicy(TENANT_ID, adviser.id, APP_ID);
  const adviserNoPolicy = sim.addUser({
    tenantId: TENANT_ID,
    userPrincipalName: 'n.nopolicy@careers-uni.ac.uk',
    mail: 'nina.nopolicy@careers-uni.ac.uk',
    displayName: 'Nina Nopolicy',
  });
  const student = sim.addUser({
    tenantId: TENANT_ID,
    userPrincipalName: 's0001@careers-uni.ac.uk',
    mail: 'sam.student@careers-uni.ac.uk',
    displayName: 'Sam Student',
  });
  const obrien = sim.addUser({
    tenantId: TENANT_ID,
    userPrincipalName: 'obrien@careers-uni.ac.uk',
    mail: "o'brien@careers-uni.ac.uk",
    displayName: "Pat O'Brien",
  });
  const students = Array.from({ length: 40 }, (_, i) =>
    sim.addUser({
      tenantId: TENANT_ID,
      userPrincipalName: `student${i}@careers-uni.ac.uk`,
      mail: `student.${i}@careers-uni.ac.uk`,
      displayName: `Student ${i}`,
    }),
  );
  return { adviser, adviserNoPolicy, student, obrien, students };
}

let partnerCounter = 0;

/**
 * A partner record as the store keeps it. `clientSecretCiphertext` here is a stand-in the tests'
 * `clientSecretOf` reads back as the secret (the domain's cipher is not this module's concern).
 */
export function partner(overrides: Partial<PartnerRecord> & { secret?: string | null } = {}): PartnerRecord {
  partnerCounter += 1;
  const { secret = SECRET, ...rest } = overrides;
  return {
    id: `uni-${partnerCounter}`,
    applicationId: APP_ID,
    tenantId: TENANT_ID,
    clientSecretCiphertext: secret === null ? null : `sealed:${secret}`,
    clientSecretExpiresAt: null,
    operatorLocalMatchField: 'email',
    operatorRemoteMatchField: 'mail',
    userLocalMatchField: 'email',
    userRemoteMatchField: 'mail',
    cloud: 'global',
    credentialType: 'clientSecret',
    meetingDefaults: {},
    createdAt: '2026-01-05T09:00:00.000Z',
    updatedAt: '2026-01-05T09:00:00.000Z',
    version: 1,
    meetingMode: 'onlineMeeting',
    sendInvitations: true,
    consent: { status: 'none', grantedAt: null, error: null },
    ...rest,
  };
}

export interface TestGateway {
  gateway: GraphMicrosoftGateway;
  logs: LogCapture;
  registry: Registry;
  /** How many times the secret was asked for. */
  secretReads(): number;
}

export function makeGateway(
  sim: MicrosoftSimulator,
  options: Partial<MicrosoftGatewayOptions> = {},
): TestGateway {
  const logs = new LogCapture();
  const registry = new Registry();
  let reads = 0;
  const gateway = createMicrosoftGateway({
    logger: createLogger('debug', logs),
    registry,
    connectionOf: (p) =>
      connectionOf(p, async () => {
        reads += 1;
        return {
          type: 'clientSecret',
          secret: p.clientSecretCiphertext === null ? null : p.clientSecretCiphertext.replace(/^sealed:/, ''),
        };
      }),
    authorityHostOverride: sim.authorityHost,
    graphBaseUrlOverride: sim.graphBaseUrl,
    extraCaPem: sim.caCertPem,
    ...options,
  });
  return { gateway, logs, registry, secretReads: () => reads };
}

/** The AppError a promise rejects with. */
export async function appError(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

export function tokenRequests(sim: MicrosoftSimulator): RecordedRequest[] {
  return sim.requests().filter((r) => r.operation === 'token');
}

export function graphRequests(sim: MicrosoftSimulator): RecordedRequest[] {
  return sim.requests().filter((r) => r.kind === 'graph' && r.fromBatch === undefined);
}

export const meetingInput = (attendees: SimUser[] = []) => ({
  subject: 'Careers guidance',
  startDateTime: '2026-12-01T10:00:00Z',
  endDateTime: '2026-12-01T10:30:00Z',
  attendees: attendees.map((u) => ({ id: u.id, userPrincipalName: u.userPrincipalName })),
});

/**
 * For files that test the gateway against one simulator: registers the jest hooks (a simulator
 * for the file, a fresh world and gateway before each test, closed after) and returns the means.
 */
export function gatewayPerTest(options: () => Partial<MicrosoftGatewayOptions> = () => ({})): {
  readonly sim: MicrosoftSimulator;
  readonly world: GatewayWorld;
  readonly t: TestGateway;
  /** A gateway with other options for the rest of the test; the previous one is closed. */
  replace(with_: Partial<MicrosoftGatewayOptions>): TestGateway;
  /** The adviser's meeting for `externalId` (no attendees), made through the gateway. */
  adviserMeeting(
    p: PartnerRecord,
    externalId: string,
  ): ReturnType<GraphMicrosoftGateway['createOrGetMeeting']>;
} {
  let sim: MicrosoftSimulator | undefined;
  let world: GatewayWorld | undefined;
  let t: TestGateway | undefined;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => {
    t?.gateway.close();
    await sim?.close();
  });
  beforeEach(() => {
    world = seedGatewayWorld(sim!);
    t?.gateway.close();
    t = makeGateway(sim!, options());
  });
  return {
    get sim() {
      if (!sim) throw new Error('the simulator starts in beforeAll');
      return sim;
    },
    get world() {
      if (!world) throw new Error('the world is seeded in beforeEach');
      return world;
    },
    get t() {
      if (!t) throw new Error('the gateway is made in beforeEach');
      return t;
    },
    replace(with_) {
      t?.gateway.close();
      t = makeGateway(sim!, with_);
      return t;
    },
    adviserMeeting(p, externalId) {
      return this.t.gateway.createOrGetMeeting(p, this.world.adviser.id, externalId, meetingInput());
    },
  };
}
