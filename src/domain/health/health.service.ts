/**
 * What ops see on /health: whether the store answers, and a summary of the partners' setup
 * health as counts. It never names a partner, an identity or a secret.
 */
import type { Store } from '../store.port';
import type { PlatformApp } from '../credentials/platform-app';
import { systemClock, type Clock } from '../../clock';

export const SECRET_EXPIRY_WARNING_DAYS = 30;
/** Events waiting longer than this for their delivery make /health degraded. */
export const WEBHOOK_BACKLOG_LIMIT_SECONDS = 3600;
const STORE_CHECK_TIMEOUT_MS = 2000;

export type HealthStatus = 'ok' | 'degraded' | 'unavailable';

export interface HealthReport {
  status: HealthStatus;
  version: string;
  uptimeSeconds: number;
  checks: {
    store: { status: 'ok' | 'unavailable'; engine: string; latencyMs?: number; detail?: string };
    partners?: {
      status: 'ok' | 'degraded';
      total: number;
      secretsExpiringSoon: number;
      secretsExpired: number;
      /** Partners signing with certificates whose newest one expires within 30 days / has none valid. */
      certificatesExpiringSoon: number;
      certificatesExpired: number;
      credentialFailures: number;
    };
    /** TARGETconnect's platform app, when this deployment runs one: its credential, and a certificate's expiry. */
    platformApp?: {
      status: 'ok' | 'degraded';
      credential: 'federated' | 'certificate' | 'clientSecret';
      certificateExpiresAt?: string;
    };
    /** Where the rate limits count; degraded while the shared store (Redis) does not answer. */
    rateLimits?: { status: 'ok' | 'degraded'; store: 'memory' | 'redis'; detail?: string };
    /** Webhook deliveries waiting, and how long the oldest has (degraded beyond an hour). */
    webhooks?: { status: 'ok' | 'degraded'; waiting: number; oldestWaitingSeconds: number };
    shutdown?: { status: 'draining' };
  };
}

export class HealthService {
  private readonly startedAt: number;

  /** Which credential the platform app uses; a certificate within 30 days of expiry is degraded. */
  private platformCheck(nowMs: number): NonNullable<HealthReport['checks']['platformApp']> | undefined {
    const credential = this.platform?.credential;
    if (credential === undefined) return undefined;
    if (credential.type !== 'certificate') return { status: 'ok', credential: credential.type };
    const soon = Date.parse(credential.notAfter) - nowMs <= SECRET_EXPIRY_WARNING_DAYS * 86_400_000;
    return {
      status: soon ? 'degraded' : 'ok',
      credential: 'certificate',
      certificateExpiresAt: credential.notAfter,
    };
  }

  constructor(
    private readonly store: Store,
    private readonly version: string,
    private readonly clock: Clock = systemClock,
    /** Partners whose last token request failed for a credential reason (wrong or expired secret…). */
    private readonly credentialFailures: () => number = () => 0,
    /** The platform app's credential, when there is one. */
    private readonly platform: PlatformApp | null = null,
    /** Where the request limits count, and whether that store answers. */
    private readonly limits: () => {
      store: 'memory' | 'redis';
      status: 'ok' | 'degraded';
      detail?: string;
    } = () => ({
      store: 'memory',
      status: 'ok',
    }),
  ) {
    this.startedAt = this.clock.now();
  }

  async report(options: { draining?: boolean } = {}): Promise<HealthReport> {
    const nowMs = this.clock.now();
    const base = { version: this.version, uptimeSeconds: Math.floor((nowMs - this.startedAt) / 1000) };
    // `status` first in the JSON: it is what a person reads.
    const started = process.hrtime.bigint();
    try {
      await withTimeout(this.store.ping(), STORE_CHECK_TIMEOUT_MS);
    } catch {
      return {
        status: 'unavailable',
        ...base,
        checks: {
          store: { status: 'unavailable', engine: this.store.engine, detail: 'The store did not answer.' },
        },
      };
    }
    const latencyMs = Math.round((Number(process.hrtime.bigint() - started) / 1e6) * 100) / 100;
    const [secrets, certificates, waiting] = await Promise.all([
      this.store.partners.expiries(),
      this.store.certificates.inUseExpiries(),
      this.store.outbox.waiting(),
    ]);
    const partners = summarise(secrets, certificates, nowMs, this.credentialFailures());
    const oldestWaitingSeconds =
      waiting.oldestCreatedAt === null
        ? 0
        : Math.max(0, Math.floor((nowMs - Date.parse(waiting.oldestCreatedAt)) / 1000));
    const webhooks = {
      status: oldestWaitingSeconds > WEBHOOK_BACKLOG_LIMIT_SECONDS ? ('degraded' as const) : ('ok' as const),
      waiting: waiting.count,
      oldestWaitingSeconds,
    };
    const platformApp = this.platformCheck(nowMs);
    const limits = this.limits();
    const rateLimits = {
      status: limits.status,
      store: limits.store,
      ...(limits.detail ? { detail: limits.detail } : {}),
    };
    const checks: HealthReport['checks'] = {
      store: { status: 'ok', engine: this.store.engine, latencyMs },
      partners,
      ...(platformApp ? { platformApp } : {}),
      rateLimits,
      webhooks,
    };
    if (options.draining) {
      checks.shutdown = { status: 'draining' };
      return { status: 'unavailable', ...base, checks };
    }
    const healthy =
      partners.status === 'ok' &&
      webhooks.status === 'ok' &&
      platformApp?.status !== 'degraded' &&
      rateLimits.status === 'ok';
    return { status: healthy ? 'ok' : 'degraded', ...base, checks };
  }
}

function count(expiries: Array<string | null>, nowMs: number, missing: 'skip' | 'expired') {
  const soonMs = nowMs + SECRET_EXPIRY_WARNING_DAYS * 86_400_000;
  let expired = 0;
  let soon = 0;
  for (const expiry of expiries) {
    if (expiry === null) {
      if (missing === 'expired') expired += 1;
      continue;
    }
    const at = Date.parse(expiry);
    if (at <= nowMs) expired += 1;
    else if (at <= soonMs) soon += 1;
  }
  return { expired, soon };
}

function summarise(
  secrets: Array<string | null>,
  certificates: Array<string | null>,
  nowMs: number,
  credentialFailures: number,
) {
  const s = count(secrets, nowMs, 'skip');
  // A partner that signs with certificates and has none is as stuck as one whose all expired.
  const c = count(certificates, nowMs, 'expired');
  const problems = s.expired + s.soon + c.expired + c.soon + credentialFailures;
  return {
    status: problems > 0 ? ('degraded' as const) : ('ok' as const),
    total: secrets.length,
    secretsExpiringSoon: s.soon,
    secretsExpired: s.expired,
    certificatesExpiringSoon: c.soon,
    certificatesExpired: c.expired,
    credentialFailures,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
