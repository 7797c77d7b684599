/**
 * `partner.setup_problem` (API.md "Events to TARGETconnect"): a credential that expires within
 * 30 days (looked at daily), a credential Entra ID refuses, an adviser without the Teams access
 * policy or the calendar scope, met by a request. At most one event per code and adviser a day:
 * the day is part of the event's dedupe key, so instances and retries cannot send two.
 */
import { createHash } from 'node:crypto';
import { isoNow, type Clock } from '../../clock';
import { AppError, type ErrorCode } from '../errors';
import type { PartnerRepository, CertificateRepository } from '../partners/partners.port';
import { SECRET_EXPIRY_WARNING_DAYS } from '../health/health.service';
import { newEventId } from './event.record';
import type { Adviser } from '../setup/setup-watch.port';
import type { OutboxRepository } from './events.port';

/** The codes a request meets that mean the university's setup needs someone. */
const SETUP_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ACCESS_POLICY_MISSING',
  'CALENDAR_ACCESS_DENIED',
  'INVALID_CLIENT_SECRET',
  'CLIENT_SECRET_EXPIRED',
  'CLIENT_SECRET_UNREADABLE',
  'CERTIFICATE_NOT_REGISTERED',
  'CERTIFICATE_EXPIRED',
  'NO_USABLE_CREDENTIAL',
  'APPLICATION_NOT_FOUND',
  'TENANT_NOT_FOUND',
  'PERMISSION_MISSING',
]);

export interface SetupProblem {
  code: string;
  detail: string;
  remediation?: string | undefined;
  /** The adviser as TARGETconnect named them, when a request met the problem. */
  operator?: Record<string, unknown> | undefined;
  /** The adviser as Entra ID knows them, when the daily check met the problem. */
  adviser?: Adviser | undefined;
}

export class SetupProblems {
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly clock: Clock,
    private readonly recorded: () => void = () => undefined,
    /** Also told of every error a request met (the partner's last Microsoft error). */
    private readonly noteError: (partnerId: string, error: unknown) => Promise<void> = async () => undefined,
  ) {}

  /** Records the problem an error of a request means, if it means one. Never throws. */
  async fromError(partnerId: string, error: unknown, operator?: Record<string, unknown>): Promise<void> {
    await this.noteError(partnerId, error).catch(() => undefined);
    if (!(error instanceof AppError) || !SETUP_CODES.has(error.code)) return;
    // Only the adviser's own problems name the adviser; a credential is the partner's.
    const personal = error.code === 'ACCESS_POLICY_MISSING' || error.code === 'CALENDAR_ACCESS_DENIED';
    await this.record(partnerId, {
      code: error.code,
      detail: error.detail,
      remediation: error.remediation,
      operator: personal ? operator : undefined,
    }).catch(() => undefined);
  }

  /** At most one per code and adviser a day. true when recorded (someone wants it, not sent today). */
  async record(partnerId: string, problem: SetupProblem): Promise<boolean> {
    const now = isoNow(this.clock);
    const person =
      problem.operator ?? (problem.adviser === undefined ? undefined : { id: problem.adviser.id });
    const who =
      person === undefined
        ? '-'
        : createHash('sha256').update(JSON.stringify(person)).digest('base64url').slice(0, 22);
    const recorded = await this.outbox.record(
      {
        id: newEventId(),
        type: 'partner.setup_problem',
        partnerId,
        createdAt: now,
        dedupeKey: `setup_problem:${partnerId}:${problem.code}:${who}:${now.slice(0, 10)}`,
        data: {
          code: problem.code,
          detail: problem.detail,
          ...(problem.remediation === undefined ? {} : { remediation: problem.remediation }),
          ...(problem.operator === undefined ? {} : { operator: problem.operator }),
          ...(problem.adviser === undefined ? {} : { adviser: problem.adviser }),
        },
      },
      now,
    );
    if (recorded) this.recorded();
    return recorded;
  }
}

/** The daily look at every partner's credential: one that expires within 30 days is a problem. */
export class CredentialExpiryWatch {
  constructor(
    private readonly partners: PartnerRepository,
    private readonly certificates: CertificateRepository,
    private readonly problems: SetupProblems,
    private readonly clock: Clock,
  ) {}

  async run(): Promise<number> {
    const now = this.clock.now();
    const soon = now + SECRET_EXPIRY_WARNING_DAYS * 86_400_000;
    let recorded = 0;
    for (const partner of await this.partners.list()) {
      const expiry =
        partner.credentialType === 'certificate'
          ? newest((await this.certificates.listByPartner(partner.id)).map((c) => c.notAfter))
          : partner.clientSecretExpiresAt;
      if (expiry === null || Date.parse(expiry) > soon) continue;
      const kind = partner.credentialType === 'certificate' ? 'certificate' : 'client secret';
      const expired = Date.parse(expiry) <= now;
      const days = Math.max(0, Math.ceil((Date.parse(expiry) - now) / 86_400_000));
      const ok = await this.problems.record(partner.id, {
        code:
          partner.credentialType === 'certificate'
            ? expired
              ? 'CERTIFICATE_EXPIRED'
              : 'CERTIFICATE_EXPIRING'
            : expired
              ? 'CLIENT_SECRET_EXPIRED'
              : 'CLIENT_SECRET_EXPIRING',
        detail: expired
          ? `The partner's ${kind} expired on ${expiry.slice(0, 10)}: meetings cannot be made until it is replaced.`
          : `The partner's ${kind} expires on ${expiry.slice(0, 10)} (in ${days} days).`,
        remediation:
          partner.credentialType === 'certificate'
            ? 'Make a new certificate (POST /partners/{partnerId}/certificates, or the setup page) and upload it to the app registration in Entra ID (Step 1), before the old one expires.'
            : 'Step 1: in Entra ID, App registrations > your app > Certificates & secrets, add a new client secret, then store it with PATCH /partners/{partnerId} (clientSecret, clientSecretExpiresAt).',
      });
      if (ok) recorded += 1;
    }
    return recorded;
  }
}

function newest(values: string[]): string | null {
  return values.length === 0 ? null : values.reduce((a, b) => (a > b ? a : b));
}
