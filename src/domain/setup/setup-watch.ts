/**
 * The daily setup watch (issue 28): the worker re-checks every partner once a day, each at its own
 * time of day (spread by a hash of its id, so a fleet's checks do not all fall at once): the
 * credential (a token), the permissions in its roles, expiry, consent, and the access policy or
 * calendar of each adviser its meetings were made for in the last 30 days (one Graph call each).
 * Each result is kept; a check that got worse since the last (pass → warn, anything → fail) is a
 * `partner.setup_problem` for TARGETconnect. `PartnerStatusService` reads it all back for ops.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../clock';
import { AppError, TRANSIENT_MICROSOFT_CODES, type ErrorCode } from '../errors';
import type { SetupProblems } from '../events/setup-problems';
import type { PartnerRepository, CertificateRepository } from '../partners/partners.port';
import type { PartnerRecord } from '../partners/partner.record';
import type { SetupCheck, SetupDiagnosticsService, VerifyResult } from './setup-diagnostics.service';
import type { SetupWatchRepository, WatchRecord } from './setup-watch.port';
import { SETUP_STEPS } from './setup-guide';

const DAY_MS = 86_400_000;
/** Advisers whose meetings were made or changed this recently are checked. */
export const ADVISER_WINDOW_MS = 30 * DAY_MS;
/** At most this many advisers a partner a day (the most recent): one Graph call each. */
export const MAX_ADVISERS_CHECKED = 200;
/** A check running on an instance holds its partner this long; a dead instance's claim runs out. */
const CLAIM_MS = 10 * 60_000;
/** Partners checked per worker round, one after another: a fleet's checks trickle, never burst. */
const PARTNERS_PER_ROUND = 5;
/** How often new partners are given their time of day. */
const SCHEDULE_EVERY_MS = 60_000;
/** A request's Microsoft error is written at most this often per partner and code. */
const NOTE_ERROR_EVERY_MS = 60_000;
/** A failed watch (the store, say) is tried again this much later, not the next day. */
const RETRY_FAILED_WATCH_MS = 60 * 60_000;

/** Codes that mean Microsoft answered with an error (the "last Microsoft error" of a partner). */
export const MICROSOFT_ERROR_CODES: ReadonlySet<string> = new Set<string>([
  ...([
    'ACCESS_POLICY_MISSING',
    'CALENDAR_ACCESS_DENIED',
    'OPERATOR_MAILBOX_UNAVAILABLE',
    'INVALID_CLIENT_SECRET',
    'CLIENT_SECRET_EXPIRED',
    'APPLICATION_NOT_FOUND',
    'TENANT_NOT_FOUND',
    'PERMISSION_MISSING',
    'CONSENT_REQUIRED',
    'CERTIFICATE_NOT_REGISTERED',
  ] satisfies ErrorCode[]),
  ...TRANSIENT_MICROSOFT_CODES,
]);

export interface WatchLog {
  warn(details: Record<string, unknown>, message: string): void;
}

/** What the watch keeps of a check: the checks as the setup page shows them, and how many advisers. */
export interface WatchResult {
  checkedAt: string;
  ok: boolean;
  advisersChecked: number;
  checks: SetupCheck[];
}

const RANK: Record<SetupCheck['status'], number> = { skip: 0, pass: 0, warn: 1, fail: 2 };

/**
 * The checks of `next` that are worse than the same check in `previous`. A check seen for the
 * first time is worse only when it fails (a warning such as the optional attendance permission
 * is how the partner is, not a change).
 */
export function worsened(previous: WatchResult | null, next: WatchResult): SetupCheck[] {
  const before = new Map<string, SetupCheck>();
  for (const c of previous?.checks ?? []) {
    // A check Microsoft could not answer says nothing of the setup: as if not made.
    if (c.code === undefined || !TRANSIENT_MICROSOFT_CODES.has(c.code)) before.set(c.id, c);
  }
  return next.checks.filter((c) => {
    if (RANK[c.status] === 0 || (c.code !== undefined && TRANSIENT_MICROSOFT_CODES.has(c.code))) return false;
    const was = before.get(c.id);
    return was === undefined ? c.status === 'fail' : RANK[was.status] < RANK[c.status];
  });
}

/** A partner's time of day for its check (ms after midnight UTC), the same on every instance. */
export function dailySlotMs(partnerId: string): number {
  return createHash('sha256').update(partnerId).digest().readUInt32BE(0) % DAY_MS;
}

export class SetupWatch {
  private lastScheduleAt: number | undefined;
  /** When each partner's Microsoft error code was last written by this instance. */
  private readonly notedAt = new Map<string, number>();

  constructor(
    private readonly diagnostics: SetupDiagnosticsService,
    private readonly watch: SetupWatchRepository,
    private readonly problems: SetupProblems,
    private readonly clock: Clock,
    private readonly log: WatchLog,
  ) {}

  /** The first check of a partner: its slot of the day, within the next 24 hours. */
  firstCheckAt(partnerId: string, now: number): string {
    const midnight = now - (now % DAY_MS);
    let at = midnight + dailySlotMs(partnerId);
    if (at <= now) at += DAY_MS;
    return new Date(at).toISOString();
  }

  /** One round: new partners get their time; up to five due partners are checked. */
  async run(): Promise<number> {
    const now = this.clock.now();
    if (this.lastScheduleAt === undefined || now - this.lastScheduleAt >= SCHEDULE_EVERY_MS) {
      await this.watch.schedule((id) => this.firstCheckAt(id, now));
      this.lastScheduleAt = now;
    }
    const due = await this.watch.claimDue(
      new Date(now).toISOString(),
      new Date(now + CLAIM_MS).toISOString(),
      PARTNERS_PER_ROUND,
    );
    let checked = 0;
    for (const partnerId of due) {
      try {
        if (await this.check(partnerId)) checked += 1;
      } catch (error) {
        this.log.warn(
          { partnerId, err: { message: (error as Error).message } },
          'daily setup check failed; tried again in an hour',
        );
        await this.watch
          .postpone(partnerId, new Date(now + RETRY_FAILED_WATCH_MS).toISOString())
          .catch(() => undefined);
      }
    }
    return checked;
  }

  /** Checks one partner now; false when it is gone. */
  async check(partnerId: string): Promise<boolean> {
    const now = this.clock.now();
    const previous = (await this.watch.get(partnerId)) as WatchRecord<WatchResult> | null;
    const advisers = await this.watch.advisersSince(
      partnerId,
      new Date(now - ADVISER_WINDOW_MS).toISOString(),
      MAX_ADVISERS_CHECKED,
    );
    let verified: VerifyResult;
    try {
      verified = await this.diagnostics.watch(partnerId, advisers);
    } catch (error) {
      if (error instanceof AppError && error.code === 'PARTNER_NOT_FOUND') return false;
      throw error;
    }
    const result: WatchResult = {
      checkedAt: verified.checkedAt,
      ok: verified.ok,
      advisersChecked: advisers.length,
      checks: verified.checks,
    };
    const byId = new Map(advisers.map((a) => [a.id, a]));
    for (const c of worsened(previous?.result ?? null, result)) {
      const adviser = byId.get(c.id.slice(c.id.indexOf(':') + 1));
      await this.problems.record(partnerId, {
        code: c.code ?? 'SETUP_CHECK_FAILED',
        detail: `Daily setup check: ${c.detail}`,
        remediation: c.remediation ?? undefined,
        adviser: adviser && c.id.indexOf(':') > 0 ? adviser : undefined,
      });
    }
    const microsoft = result.checks.find(
      (c) => c.status === 'fail' && c.code !== undefined && MICROSOFT_ERROR_CODES.has(c.code),
    );
    const next = new Date(now + DAY_MS).toISOString();
    if (microsoft?.code !== undefined)
      await this.watch.noteError(partnerId, microsoft.code, result.checkedAt, next);
    await this.watch.saveResult(partnerId, result.checkedAt, result, next);
    return true;
  }

  /**
   * A request met this error for the partner: kept as its last Microsoft error (if it is one). At
   * most one write a minute per partner and code on this instance: an outage fails every request,
   * and must not add a write to each.
   */
  async noteError(partnerId: string, error: unknown): Promise<void> {
    if (!(error instanceof AppError) || !MICROSOFT_ERROR_CODES.has(error.code)) return;
    const now = this.clock.now();
    const key = `${partnerId}\u0000${error.code}`;
    const last = this.notedAt.get(key);
    if (last !== undefined && now - last < NOTE_ERROR_EVERY_MS) return;
    if (this.notedAt.size >= 10_000) this.notedAt.clear();
    this.notedAt.set(key, now);
    await this.watch.noteError(
      partnerId,
      error.code,
      new Date(now).toISOString(),
      this.firstCheckAt(partnerId, now),
    );
  }
}

export type StepStatus = SetupCheck['status'] | 'unchecked';

export interface PartnerStatus {
  /** The worst step of the last daily check ('unchecked' before the first). */
  overall: StepStatus;
  credential: { type: PartnerRecord['credentialType']; expiresAt: string | null };
  consent: PartnerRecord['consent']['status'] | null;
  lastCheck: {
    checkedAt: string;
    ok: boolean;
    advisersChecked: number;
    steps: Array<{
      step: string;
      status: SetupCheck['status'];
      problems: Array<Pick<SetupCheck, 'id' | 'status' | 'detail' | 'remediation' | 'code'>>;
    }>;
  } | null;
  nextCheckAt: string | null;
  lastMicrosoftError: { code: string; at: string } | null;
  meetingsLast7Days: number;
  webhookEventsWaiting: number;
}

const STEP_ORDER = Object.values(SETUP_STEPS) as string[];
const WORST: Array<SetupCheck['status']> = ['fail', 'warn', 'pass', 'skip'];

/** The fleet view: each partner's setup as the daily watch last found it, and its activity. */
export class PartnerStatusService {
  constructor(
    private readonly partners: PartnerRepository,
    private readonly certificates: CertificateRepository,
    private readonly watch: SetupWatchRepository,
    private readonly clock: Clock,
  ) {}

  async all(): Promise<Map<string, PartnerStatus>> {
    const now = this.clock.now();
    const [partners, records, activity] = await Promise.all([
      this.partners.list(),
      this.watch.list(),
      this.watch.activity(new Date(now - 7 * DAY_MS).toISOString()),
    ]);
    const byPartner = new Map(records.map((r) => [r.partnerId, r as WatchRecord<WatchResult>]));
    const result = new Map<string, PartnerStatus>();
    for (const partner of partners) {
      const record = byPartner.get(partner.id);
      const counts = activity.get(partner.id);
      result.set(partner.id, {
        ...summary(record?.result ?? null),
        credential: { type: partner.credentialType, expiresAt: await this.expiryOf(partner) },
        consent: partner.credentialType === 'platformApp' ? partner.consent.status : null,
        nextCheckAt: record?.nextCheckAt ?? null,
        lastMicrosoftError:
          record?.lastErrorCode && record.lastErrorAt
            ? { code: record.lastErrorCode, at: record.lastErrorAt }
            : null,
        meetingsLast7Days: counts?.meetings ?? 0,
        webhookEventsWaiting: counts?.eventsWaiting ?? 0,
      });
    }
    return result;
  }

  private async expiryOf(partner: PartnerRecord): Promise<string | null> {
    if (partner.credentialType === 'clientSecret') return partner.clientSecretExpiresAt;
    if (partner.credentialType !== 'certificate') return null;
    const now = new Date(this.clock.now()).toISOString();
    // The certificate in use: the newest valid now; else the newest of all (expired).
    const all = await this.certificates.listByPartner(partner.id);
    const valid = all.filter((c) => c.notAfter > now);
    const pick = (valid.length > 0 ? valid : all).map((c) => c.notAfter).sort();
    return pick.at(-1) ?? null;
  }
}

function summary(result: WatchResult | null): Pick<PartnerStatus, 'overall' | 'lastCheck'> {
  if (result === null) return { overall: 'unchecked', lastCheck: null };
  const steps = [...new Set(result.checks.map((c) => c.step as string))]
    .sort((a, b) => STEP_ORDER.indexOf(a) - STEP_ORDER.indexOf(b))
    .map((step) => {
      const checks = result.checks.filter((c) => c.step === step);
      const status = WORST.find((s) => checks.some((c) => c.status === s)) ?? 'skip';
      return {
        step,
        status,
        problems: checks
          .filter((c) => c.status === 'fail' || c.status === 'warn')
          .map(({ id, status: s, detail, remediation, code }) => ({
            id,
            status: s,
            detail,
            remediation,
            ...(code === undefined ? {} : { code }),
          })),
      };
    });
  const overall = WORST.find((s) => steps.some((step) => step.status === s)) ?? 'pass';
  return {
    overall: overall === 'skip' ? 'pass' : overall,
    lastCheck: { checkedAt: result.checkedAt, ok: result.ok, advisersChecked: result.advisersChecked, steps },
  };
}
