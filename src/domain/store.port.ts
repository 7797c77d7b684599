/**
 * The store as a whole: every capability's repositories, its health and its counters. No SQL or
 * engine detail crosses this line.
 */
import type { OutboxRepository, WebhookRepository } from './events/events.port';
import type { ConsentStateRepository } from './credentials/consent.port';
import type { SetupCheckRepository } from './setup/setup-check.port';
import type { SetupWatchRepository } from './setup/setup-watch.port';
import type { AttendanceRepository, MeetingRepository } from './meetings/meetings.port';
import type {
  ApiKeyRepository,
  CertificateRepository,
  PartnerRepository,
  SetupLinkRepository,
} from './partners/partners.port';

export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  readonly partners: PartnerRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly meetings: MeetingRepository;
  readonly certificates: CertificateRepository;
  readonly setupLinks: SetupLinkRepository;
  readonly attendance: AttendanceRepository;
  readonly webhooks: WebhookRepository;
  /** Events for TARGETconnect and their deliveries (written with the changes they report). */
  readonly outbox: OutboxRepository;
  /** Admin consent links' single-use states (the platform app). */
  readonly consentStates: ConsentStateRepository;
  /** Each partner's last setup check (verify), with the advisers it named. */
  readonly setupChecks: SetupCheckRepository;
  /** The daily setup watch: each partner's next check, last result and last Microsoft error. */
  readonly setupWatch: SetupWatchRepository;
  /** Resolves when the store answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** What the store has done since it opened, for /metrics. */
  stats(): StoreStats;
}
/** Counters since the store opened (each engine fills what it has) and the pool as it is now. */
export interface StoreStats {
  /** Statements sent to the server (PostgreSQL). */
  statements?: number;
  /** Statements that waited for a pool connection because all were busy, and for how long. */
  poolWaits?: number;
  poolWaitSeconds?: number;
  poolSize?: number;
  poolOpen?: number;
  poolIdle?: number;
  poolWaiting?: number;
  /** Transactions committed by the group commit, and the writes they carried (SQLite). */
  commits?: number;
  writes?: number;
}
/** The store could not be reached or used (closed, locked too long, disk, network): 503, retry later. */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('The store is unavailable', { cause });
    this.name = 'StoreUnavailableError';
  }
}
