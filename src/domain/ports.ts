/**
 * What the domain needs from storage. Every method is async so that the embedded SQLite store
 * and PostgreSQL fill the same contract; no SQL or engine detail crosses this line.
 */
import type { MeetingRecord, PendingMeeting } from './meetings/meeting.record';
import type { CertificateRecord } from './partners/certificates';
import type { PartnerRecord } from './partners/partner.model';
import type { AttendanceRecord } from './microsoft.port';

export interface ApiKeyRecord {
  id: string;
  partnerId: string;
  /** Hex SHA-256 of the whole key; the key itself is never stored. */
  keyHash: string;
  /** The first characters of the key, so that people can tell keys apart in listings. */
  keyPrefix: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface PartnerRepository {
  get(id: string): Promise<PartnerRecord | null>;
  list(): Promise<PartnerRecord[]>;
  /** Inserts a new partner; false when one with that id exists already. */
  insert(record: PartnerRecord): Promise<boolean>;
  /**
   * Writes `record` (its `version` the new one) if the stored version is still `expectedVersion`;
   * false when another change won or the partner is gone. `createdAt` is never changed.
   */
  update(record: PartnerRecord, expectedVersion: number): Promise<boolean>;
  /** Removes the partner with its keys and meeting records; false when it did not exist. */
  delete(id: string): Promise<boolean>;
  /** Secret expiry dates of every partner, for health: no names, no secrets. */
  expiries(): Promise<Array<string | null>>;
}

/** A partner key and the partner it belongs to. */
export interface KeyHolder {
  key: ApiKeyRecord;
  partner: PartnerRecord;
}

export interface ApiKeyRepository {
  insert(record: ApiKeyRecord): Promise<void>;
  listByPartner(partnerId: string): Promise<ApiKeyRecord[]>;
  /** The key with this hash and its partner, read together (one query on the hot path). */
  findByHash(keyHash: string): Promise<KeyHolder | null>;
  delete(partnerId: string, keyId: string): Promise<boolean>;
  touch(keyId: string, at: string): Promise<void>;
}

export interface MeetingRepository {
  get(partnerId: string, appointmentId: string): Promise<MeetingRecord | null>;
  /**
   * Inserts a `pending` record unless one exists for that partner and appointment (a database
   * constraint, so it holds across instances). Returns the existing record when there is one.
   */
  claim(record: PendingMeeting): Promise<{ claimed: true } | { claimed: false; existing: MeetingRecord }>;
  /** Writes `record` if the stored version is still `expectedVersion`; false when someone else won. */
  update(record: MeetingRecord, expectedVersion: number): Promise<boolean>;
  /** Removes a `pending` claim whose creation failed, so that a corrected request may try again. */
  releaseClaim(partnerId: string, appointmentId: string, version: number): Promise<void>;
}

export interface CertificateRepository {
  /** Stores the certificate unless the partner has it already (same SHA-256 thumbprint): then the stored one. */
  insertOnce(record: CertificateRecord): Promise<{ created: boolean; record: CertificateRecord }>;
  /** A partner's certificates, newest first. */
  listByPartner(partnerId: string): Promise<CertificateRecord[]>;
  get(partnerId: string, id: string): Promise<CertificateRecord | null>;
  delete(partnerId: string, id: string): Promise<boolean>;
  /** For health: the latest expiry among each certificate-using partner's certificates (null: none). */
  inUseExpiries(): Promise<Array<string | null>>;
}

/** A setup link: its token only as a SHA-256 hash, for one partner, until it expires. */
export interface SetupLinkRecord {
  id: string;
  partnerId: string;
  tokenHash: string;
  createdAt: string;
  expiresAt: string;
}

export interface SetupLinkRepository {
  insert(record: SetupLinkRecord): Promise<void>;
  /** A partner's links, newest first. */
  listByPartner(partnerId: string): Promise<SetupLinkRecord[]>;
  /** The link with this token hash and its partner, read together. */
  findByHash(tokenHash: string): Promise<{ link: SetupLinkRecord; partner: PartnerRecord } | null>;
  delete(partnerId: string, id: string): Promise<boolean>;
}

/** A session's attendance report as read once from Graph: a finished session's report does not change. */
export interface StoredAttendanceReport {
  partnerId: string;
  appointmentId: string;
  meetingId: string;
  reportId: string;
  meetingStartDateTime: string;
  meetingEndDateTime: string;
  totalParticipantCount: number;
  records: AttendanceRecord[];
}

export interface AttendanceRepository {
  /** The reports kept for this appointment's meeting, oldest session first. */
  listByMeeting(
    partnerId: string,
    appointmentId: string,
    meetingId: string,
  ): Promise<StoredAttendanceReport[]>;
  /** Keeps a report unless it is kept already (two readers at once store it once). */
  insert(report: StoredAttendanceReport): Promise<void>;
}

export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  readonly partners: PartnerRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly meetings: MeetingRepository;
  readonly certificates: CertificateRepository;
  readonly setupLinks: SetupLinkRepository;
  readonly attendance: AttendanceRepository;
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
