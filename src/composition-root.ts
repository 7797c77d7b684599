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
import { CredentialsService } from './domain/credentials/credentials.service';
import { ConsentService } from './domain/credentials/consent.service';
import { x509Certificates } from './integrations/certificates/x509';
import { SetupDiagnosticsService } from './domain/setup/setup-diagnostics.service';
import type { Store } from './domain/store.port';
import { openStore } from './data-access/open-store';
import type { PostgresStoreOptions } from './data-access/postgres/postgres-store';
import { createMicrosoftGateway, type GraphMicrosoftGateway } from './integrations/microsoft/graph-gateway';
import type { Logger } from './logging/logger';
import { rememberProcessSecret } from './logging/redact';
import { VERSION } from './version';
import { systemClock, type Clock } from './clock';
import { onlineMeetingProvider } from './domain/meetings/providers/online-meeting.provider';
import { calendarEventProvider } from './domain/meetings/providers/calendar-event.provider';
import type { MeetingProviders } from './domain/meetings/meeting-provider.port';
import type { MicrosoftGateway } from './domain/microsoft.port';
import type { DeliveryRecord } from './domain/events/webhook.record';
import { WebhookService } from './domain/events/webhook.service';
import { Deliveries } from './domain/events/deliveries';
import { AttendanceWatch, withAttendancePlan } from './domain/events/attendance-watch';
import { CredentialExpiryWatch, SetupProblems } from './domain/events/setup-problems';
import { PartnerStatusService, SetupWatch } from './domain/setup/setup-watch';
import { Worker } from './domain/events/worker';
import {
  HttpWebhookSender,
  WEBHOOK_TIMEOUT_MS,
  type WebhookHttpOptions,
} from './integrations/webhooks/webhook-sender';
import { hostname } from 'node:os';
import { createRateLimits } from './integrations/rate-limits/rate-limits';
import type { RateLimits } from './domain/rate-limits.port';
import { randomBytes } from 'node:crypto';

/** How the service reaches Microsoft beyond the configuration: tests pass the simulator's CA. */
export interface MicrosoftOptions {
  /** An extra CA for Entra/Graph (e.g. the simulator's), on top of the system's and NODE_EXTRA_CA_CERTS. */
  extraCaPem?: string;
  attemptTimeoutMs?: number;
  deadlineMs?: number;
  maxAttempts?: number;
  /** Sockets per Microsoft origin (tests; the service takes OUTBOUND_MAX_SOCKETS). */
  maxSockets?: number;
}

export interface CompositionOptions {
  logger: Logger;
  microsoft?: MicrosoftOptions;
  /** The service's time: records, leases, tokens, retries, request budgets. Tests pass theirs. */
  clock?: Clock;
  /** How webhooks are sent beyond the configuration: tests pass their receivers' CA or a short timeout. */
  webhooks?: Partial<Pick<WebhookHttpOptions, 'extraCaPem' | 'timeoutMs'>>;
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
  /** The fleet view: each partner's setup as the daily watch last found it (GET /partners?include=status). */
  partnerStatus: PartnerStatusService;
  webhooks: WebhookService;
  /** Admin consent to the platform app. */
  consent: ConsentService;
  /** Deliveries, attendance looks and the daily credential look: `start()`ed by main, or run alone. */
  worker: Worker;
  /** The request limits (per key, failed authentications): in memory, or shared through Redis. */
  rateLimits: RateLimits;
  /** The service's time, which the HTTP layer's request budgets use too. */
  clock: Clock;
  /** Every metric of the service (Microsoft calls, identity lookups; HTTP adds its own). */
  registry: Registry;
  /** Releases the outbound connections; the store is the caller's to close. */
  close(): void;
}

/** How much longer than the request budget a lease lasts. */
const LEASE_MARGIN_MS = 5_000;

/**
 * The whole service from its configuration: the store DATABASE_URL names (opened and migrated),
 * then the services over it. The caller closes both (`services.close()`, then `store.close()`).
 */
export async function compose(
  config: Config,
  options: CompositionOptions & Pick<PostgresStoreOptions, 'onIdleError'>,
): Promise<{ services: Services; store: Store }> {
  const { onIdleError, ...rest } = options;
  const store = await openStore(config.database, onIdleError ? { onIdleError } : {});
  return { services: composeServices(config, store, rest), store };
}

/** Each partner's meetings come from its mode's provider. */
function meetingProviders(gateway: MicrosoftGateway, clock: Clock): MeetingProviders {
  const online = onlineMeetingProvider(gateway);
  const calendar = calendarEventProvider(gateway, clock);
  return { of: (partner) => (partner.meetingMode === 'calendarEvent' ? calendar : online) };
}

/** NODE_EXTRA_CA_CERTS's certificates and the caller's (the simulator's), as one PEM text. */
function extraCas(...pems: Array<string | undefined>): string | undefined {
  const present = pems.filter((pem): pem is string => pem !== undefined);
  return present.length > 0 ? present.join('\n') : undefined;
}

/** The services over an open store (tests bring their own store: PostgreSQL in a fresh schema). */
export function composeServices(config: Config, store: Store, options: CompositionOptions): Services {
  const clock = options.clock ?? systemClock;
  rememberProcessSecret(config.adminApiKey);
  rememberProcessSecret(config.secretsKey.toString('base64'));
  const registry = new Registry();
  const cipher = new SecretCipher(config.secretsKey);
  const partners = new PartnerService(store.partners, cipher, clock, config.platformApp?.appId ?? null);
  const certificates = new CertificateService(store.certificates, partners, cipher, x509Certificates, clock);
  const setupLinks = new SetupLinkService(store.setupLinks, store.partners, config.publicBaseUrl, clock);
  const credentials = new CredentialsService(partners, certificates, config.platformApp);
  const apiKeys = new ApiKeyService(store.apiKeys, store.partners, config.adminApiKey, clock, setupLinks);
  const gateway = createMicrosoftGateway({
    logger: options.logger,
    registry,
    // The credential is read for every token request, so that a new certificate or a switch of
    // credential type made on any instance is used at the next one.
    connectionOf: (partner) => credentials.connectionOf(partner),
    authorityHostOverride: config.azureAuthorityHost,
    graphBaseUrlOverride: config.graphBaseUrl,
    ...(config.outboundMaxSockets ? { maxSockets: config.outboundMaxSockets } : {}),
    calendarConcurrencyPerMailbox: config.calendarConcurrencyPerMailbox,
    ...options.microsoft,
    clock,
    extraCaPem: extraCas(config.extraCaPem, options.microsoft?.extraCaPem),
  });
  registerResourceMetrics(registry, store, gateway);
  const identityLookups = new Counter({
    name: 'teams_meetings_identity_lookups_total',
    help: 'Identity values resolved, by whether the cache answered (hit) or Graph was asked (miss).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const identities = new IdentityMatcher(gateway, {
    clock,
    onLookup: (outcome) => identityLookups.inc({ outcome }),
  });
  const attendanceReads = new Counter({
    name: 'teams_meetings_attendance_reads_total',
    help: 'Attendance reads, by outcome: not_started, no_report_yet, available, or error.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  // Events recorded on this instance are sent at once; other instances' within the worker's poll.
  let wakeWorker = () => {};
  const recorded = () => wakeWorker();
  const webhookHttp = new HttpWebhookSender({
    allowInsecure: config.webhooks.allowInsecure,
    allowPrivateNetworks: config.webhooks.allowPrivateNetworks,
    ...options.webhooks,
    extraCaPem: extraCas(config.extraCaPem, options.webhooks?.extraCaPem),
  });
  const webhooks = new WebhookService(
    store.webhooks,
    store.outbox,
    store.partners,
    cipher,
    webhookHttp,
    clock,
    recorded,
  );
  const meetingRecords = withAttendancePlan(store.meetings, config.attendanceCheckDelaysMs, recorded);
  const setupProblems: SetupProblems = new SetupProblems(
    store.outbox,
    clock,
    recorded,
    async (partnerId, error): Promise<void> => setupWatch.noteError(partnerId, error),
  );
  const diagnostics = new SetupDiagnosticsService(
    partners,
    certificates,
    gateway,
    identities,
    clock,
    store.setupChecks,
  );
  // The problems' hook above reaches the watch only once a request runs, after this line.
  const setupWatch: SetupWatch = new SetupWatch(
    diagnostics,
    store.setupWatch,
    setupProblems,
    clock,
    options.logger,
  );
  const attendance = new AttendanceService(meetingRecords, store.attendance, gateway, clock, (outcome) =>
    attendanceReads.inc({ outcome }),
  );
  const deliveries = new Deliveries(
    store.outbox,
    webhooks,
    webhookHttp,
    clock,
    {
      retryDelaysMs: config.webhooks.retryDelaysMs,
      owner: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
      batchSize: 100,
      // Outlives an attempt (its timeout) and the writes around it; a dead instance's attempt is
      // sent again by another once this runs out.
      leaseMs: (options.webhooks?.timeoutMs ?? WEBHOOK_TIMEOUT_MS) + 5_000,
    },
    deliveryObserver(registry, options.logger),
  );
  const worker = new Worker(
    deliveries,
    new AttendanceWatch(
      meetingRecords,
      store.partners,
      store.webhooks,
      store.outbox,
      attendance,
      clock,
      config.attendanceCheckDelaysMs,
      recorded,
    ),
    new CredentialExpiryWatch(store.partners, store.certificates, setupProblems, clock),
    store.outbox,
    clock,
    options.logger,
    setupWatch,
  );
  wakeWorker = () => worker.wake();
  registerEventMetrics(registry, store);
  registerSetupWatchMetrics(registry, store);
  const limitStoreErrors = new Counter({
    name: 'teams_meetings_rate_limit_store_errors_total',
    help: 'Requests served without their rate limit because the shared store (Redis) did not answer.',
    registers: [registry],
  });
  let lastLimitWarningAt = 0;
  const rateLimits = createRateLimits({
    redisUrl: config.redisUrl,
    keyPrefix: config.redisKeyPrefix,
    onStoreError: (error) => {
      limitStoreErrors.inc();
      // At most one line a minute: an outage must not flood the log.
      if (Date.now() - lastLimitWarningAt > 60_000) {
        lastLimitWarningAt = Date.now();
        options.logger.warn(
          { err: { name: error.name } },
          'rate-limit store (Redis) did not answer: requests served without their limit',
        );
      }
    },
  });
  const health = new HealthService(
    store,
    VERSION,
    clock,
    () => gateway.credentialFailures().length,
    config.platformApp,
    () => rateLimits.status(),
  );
  registerHealthMetrics(registry, health);
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
    health,
    meetings: new MeetingService(meetingRecords, meetingProviders(gateway, clock), identities, {
      clock,
      // A lease outlives any request that holds it: the request budget plus a margin.
      leaseMs: config.requestTimeoutMs + LEASE_MARGIN_MS,
      calendarDomain: new URL(config.publicBaseUrl).hostname,
      setupProblems,
    }),
    attendance,
    diagnostics,
    partnerStatus: new PartnerStatusService(store.partners, store.certificates, store.setupWatch, clock),
    webhooks,
    consent: new ConsentService(
      partners,
      store.consentStates,
      gateway,
      config.platformApp,
      config.publicBaseUrl,
      config.secretsKey,
      clock,
    ),
    worker,
    rateLimits,
    clock,
    registry,
    close: () => {
      gateway.close();
      webhookHttp.close();
      void rateLimits.close();
    },
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

/** Each delivery attempt: counted by outcome; a failure logged at warn (no URL, no body, no secret). */
function deliveryObserver(registry: Registry, logger: Logger) {
  const attempts = new Counter({
    name: 'teams_meetings_webhook_deliveries_total',
    help: 'Webhook delivery attempts, by outcome: succeeded, retrying (failed, another attempt due), failed (schedule spent), disabled (410).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  for (const outcome of ['succeeded', 'retrying', 'failed', 'disabled']) attempts.inc({ outcome }, 0);
  return (outcome: string, delivery: DeliveryRecord, waitedMs: number) => {
    attempts.inc({ outcome });
    const fields = {
      webhookId: delivery.webhookId,
      eventId: delivery.eventId,
      type: delivery.type,
      attempt: delivery.attempts,
      responseStatus: delivery.responseStatus,
      waitedMs,
    };
    if (outcome === 'succeeded') logger.debug(fields, 'webhook delivered');
    else logger.warn({ ...fields, outcome, error: delivery.error }, 'webhook delivery failed');
  };
}

/** Events waiting for delivery and the oldest one's age, read from the store at each scrape. */
function registerEventMetrics(registry: Registry, store: Store): void {
  let last: Promise<{ count: number; oldestCreatedAt: string | null }> | undefined;
  // One store query serves both gauges of a scrape.
  const waiting = () =>
    (last ??= store.outbox.waiting().finally(() => setImmediate(() => (last = undefined))));
  new Gauge({
    name: 'teams_meetings_webhook_events_waiting',
    help: 'Webhook deliveries not yet succeeded or failed for good.',
    registers: [registry],
    async collect() {
      this.set((await waiting()).count);
    },
  });
  new Gauge({
    name: 'teams_meetings_webhook_oldest_waiting_seconds',
    help: 'How long the oldest waiting webhook delivery has waited since its event (0 when none waits).',
    registers: [registry],
    async collect() {
      const oldest = (await waiting()).oldestCreatedAt;
      this.set(oldest === null ? 0 : Math.max(0, (Date.now() - Date.parse(oldest)) / 1000));
    },
  });
}

/** The daily setup watch's last results, read from the store at each scrape (one query). */
function registerSetupWatchMetrics(registry: Registry, store: Store): void {
  let last: Promise<Array<{ partnerId: string; overall: string }>> | undefined;
  const read = () =>
    (last ??= store.setupWatch
      .list()
      .then((records) =>
        records.map((r) => ({
          partnerId: r.partnerId,
          overall: overallOf(r.result as { checks?: Array<{ status: string }> } | null),
        })),
      )
      .finally(() => setImmediate(() => (last = undefined))));
  new Gauge({
    name: 'teams_meetings_partners_by_setup_status',
    help: "Partners by their last daily setup check's worst result: pass, warn, fail, or unchecked.",
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const counts = { pass: 0, warn: 0, fail: 0, unchecked: 0 };
      for (const r of await read()) counts[r.overall as keyof typeof counts] += 1;
      for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
    },
  });
  new Gauge({
    name: 'teams_meetings_partner_setup_failing',
    help: '1 for a partner whose last daily setup check failed (what to fix: GET /partners?include=status), else 0.',
    labelNames: ['partner_id'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await read()) this.set({ partner_id: r.partnerId }, r.overall === 'fail' ? 1 : 0);
    },
  });
}

function overallOf(result: { checks?: Array<{ status: string }> } | null): string {
  if (!result?.checks) return 'unchecked';
  if (result.checks.some((c) => c.status === 'fail')) return 'fail';
  return result.checks.some((c) => c.status === 'warn') ? 'warn' : 'pass';
}

/** /health as a gauge per check, so that Prometheus alerts on what /health says (deploy/prometheus). */
function registerHealthMetrics(registry: Registry, health: HealthService): void {
  new Gauge({
    name: 'teams_meetings_health_ok',
    help: '1 when the /health check is ok, 0 when degraded or unavailable; check="overall" is the whole answer.',
    labelNames: ['check'] as const,
    registers: [registry],
    async collect() {
      const report = await health.report();
      this.reset();
      this.set({ check: 'overall' }, report.status === 'ok' ? 1 : 0);
      for (const [check, value] of Object.entries(report.checks)) {
        if (value && check !== 'shutdown') this.set({ check }, value.status === 'ok' ? 1 : 0);
      }
    },
  });
}
