/**
 * The composition root: configuration → store → Microsoft gateway → domain services. `main`, the
 * doctor and the tests build the service here; the Express app (`api/app.ts`) receives the
 * services and only does HTTP.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { Config } from './config/config';
import { HealthService } from './domain/health/health.service';
import { IdentityMatcher } from './domain/identity/identity-matcher';
import { MeetingService } from './domain/meetings/meeting.service';
import { AttendanceService } from './domain/meetings/attendance';
import { ApiKeyService } from './domain/partners/api-key.service';
import { PartnerService } from './domain/partners/partner.service';
import { SecretCipher } from './domain/partners/secret-cipher';
import { SetupLinkService } from './domain/partners/setup-link.service';
import { CertificateService } from './domain/partners/certificate.service';
import { x509Certificates } from './integrations/certificates/x509';
import { SetupDiagnosticsService } from './domain/setup/setup-diagnostics.service';
import type { Store } from './domain/ports';
import { createMicrosoftGateway, type GraphMicrosoftGateway } from './integrations/microsoft/graph-gateway';
import type { Logger } from './logging/logger';
import { rememberProcessSecret } from './logging/redact';
import { VERSION } from './version';

/** How the service reaches Microsoft beyond the configuration: tests pass the simulator's CA. */
export interface MicrosoftOptions {
  /** An extra CA for Entra/Graph (e.g. the simulator's), on top of the system's and NODE_EXTRA_CA_CERTS. */
  extraCaPem?: string;
  attemptTimeoutMs?: number;
  deadlineMs?: number;
  maxAttempts?: number;
  /** Sockets per Microsoft origin (tests; the service takes OUTBOUND_MAX_SOCKETS). */
  maxSockets?: number;
  /** The clock of retries and deadlines; tests pass one whose sleeps return at once. */
  clock?: { now: () => number; sleep: (ms: number) => Promise<void> };
}

export interface CompositionDeps {
  config: Pick<Config, 'adminApiKey' | 'secretsKey' | 'azureAuthorityHost' | 'graphBaseUrl'> &
    Partial<Pick<Config, 'requestTimeoutMs' | 'publicBaseUrl' | 'outboundMaxSockets'>>;
  store: Store;
  logger: Logger;
  microsoft?: MicrosoftOptions;
  now?: () => Date;
}

/** The domain services, wired, and what they share with the HTTP layer. */
export interface Services {
  partners: PartnerService;
  apiKeys: ApiKeyService;
  setupLinks: SetupLinkService;
  certificates: CertificateService;
  health: HealthService;
  meetings: MeetingService;
  attendance: AttendanceService;
  diagnostics: SetupDiagnosticsService;
  /** Every metric of the service (Microsoft calls, identity lookups; HTTP adds its own). */
  registry: Registry;
  /** Releases the outbound connections; the store is the caller's to close. */
  close(): void;
}

/** How much longer than the request budget a lease lasts. */
const LEASE_MARGIN_MS = 5_000;

function microsoftOptions(options: MicrosoftOptions = {}) {
  const { clock, ...rest } = options;
  return clock ? { ...rest, now: clock.now, sleep: clock.sleep } : rest;
}

export function composeServices(deps: CompositionDeps): Services {
  const now = deps.now ?? (() => new Date());
  rememberProcessSecret(deps.config.adminApiKey);
  rememberProcessSecret(deps.config.secretsKey.toString('base64'));
  const registry = new Registry();
  const cipher = new SecretCipher(deps.config.secretsKey);
  const partners = new PartnerService(deps.store.partners, cipher, now);
  const certificates = new CertificateService(
    deps.store.certificates,
    partners,
    cipher,
    x509Certificates,
    now,
  );
  const setupLinks = new SetupLinkService(
    deps.store.setupLinks,
    deps.store.partners,
    deps.config.publicBaseUrl ?? 'http://localhost',
    now,
  );
  const apiKeys = new ApiKeyService(
    deps.store.apiKeys,
    deps.store.partners,
    deps.config.adminApiKey,
    now,
    setupLinks,
  );
  const gateway = createMicrosoftGateway({
    logger: deps.logger,
    registry,
    // Read for every token request, so that a new certificate or a switch of credential type made
    // on any instance is used at the next one.
    credentialsOf: async (partner) =>
      partner.credentialType === 'certificate'
        ? { type: 'certificate', ...(await certificates.usable(partner)) }
        : { type: 'clientSecret', secret: await partners.clientSecretOf(partner) },
    authorityHostOverride: deps.config.azureAuthorityHost,
    graphBaseUrlOverride: deps.config.graphBaseUrl,
    ...(deps.config.outboundMaxSockets ? { maxSockets: deps.config.outboundMaxSockets } : {}),
    ...microsoftOptions(deps.microsoft),
  });
  registerResourceMetrics(registry, deps.store, gateway);
  const identityLookups = new Counter({
    name: 'teams_meetings_identity_lookups_total',
    help: 'Identity values resolved, by whether the cache answered (hit) or Graph was asked (miss).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const identities = new IdentityMatcher(gateway, {
    onLookup: (outcome) => identityLookups.inc({ outcome }),
  });
  const attendanceReads = new Counter({
    name: 'teams_meetings_attendance_reads_total',
    help: 'Attendance reads, by outcome: not_started, no_report_yet, available, or error.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  // A changed partner drops its MSAL client, held token and cached identities at once.
  partners.onChange((partnerId) => {
    gateway.forgetPartner(partnerId);
    identities.forgetPartner(partnerId);
  });
  return {
    partners,
    apiKeys,
    setupLinks,
    certificates,
    health: new HealthService(deps.store, VERSION, now, () => gateway.credentialFailures().length),
    meetings: new MeetingService(deps.store.meetings, gateway, identities, {
      now,
      // A lease outlives any request that holds it: the request budget plus a margin.
      leaseMs: (deps.config.requestTimeoutMs ?? 30_000) + LEASE_MARGIN_MS,
      calendarDomain: new URL(deps.config.publicBaseUrl ?? 'http://localhost').hostname,
    }),
    attendance: new AttendanceService(deps.store.meetings, deps.store.attendance, gateway, now, (outcome) =>
      attendanceReads.inc({ outcome }),
    ),
    diagnostics: new SetupDiagnosticsService(partners, certificates, gateway, identities, now),
    registry,
    close: () => gateway.close(),
  };
}

/**
 * What the store and the outbound agent have done, read when /metrics is scraped (nothing on the
 * request path): statements, pool waits and group commits; sockets in use, idle, and requests
 * that had to wait for one.
 */
function registerResourceMetrics(
  registry: Registry,
  store: Store,
  gateway: Pick<GraphMicrosoftGateway, 'outbound'>,
): void {
  const total = (name: string, help: string, read: () => number | undefined) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read() ?? 0);
      },
    });
  total(
    'teams_meetings_store_statements_total',
    'Statements sent to PostgreSQL.',
    () => store.stats().statements,
  );
  total(
    'teams_meetings_store_pool_waits_total',
    'Statements that waited for a PostgreSQL connection because every one of the pool was busy.',
    () => store.stats().poolWaits,
  );
  total(
    'teams_meetings_store_pool_wait_seconds_total',
    'Time statements spent waiting for a PostgreSQL connection.',
    () => store.stats().poolWaitSeconds,
  );
  total('teams_meetings_store_commits_total', 'SQLite group commits.', () => store.stats().commits);
  total(
    'teams_meetings_store_writes_total',
    'SQLite writes, carried by the group commits.',
    () => store.stats().writes,
  );
  new Gauge({
    name: 'teams_meetings_store_pool_connections',
    help: 'PostgreSQL pool: its size, connections open and idle, and statements waiting for one.',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = store.stats();
      if (stats.poolSize === undefined) return;
      this.set({ state: 'max' }, stats.poolSize);
      this.set({ state: 'open' }, stats.poolOpen ?? 0);
      this.set({ state: 'idle' }, stats.poolIdle ?? 0);
      this.set({ state: 'waiting' }, stats.poolWaiting ?? 0);
    },
  });
  new Gauge({
    name: 'teams_meetings_outbound_sockets',
    help: 'Sockets to Entra ID and Graph: in use, idle (kept alive), and requests waiting for one.',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = gateway.outbound();
      this.set({ state: 'in_use' }, stats.inUse);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waitingNow);
    },
  });
  total(
    'teams_meetings_outbound_socket_waits_total',
    'Requests to Entra ID or Graph that waited for a socket because all OUTBOUND_MAX_SOCKETS were busy.',
    () => gateway.outbound().waitedTotal,
  );
}
