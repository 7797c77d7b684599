/**
 * What the partners capability needs from storage: partners, their keys, certificates and setup
 * links. Every method is async so that SQLite and PostgreSQL fill the same contract.
 */
import type { ApiKeyRecord } from './api-key.record';
import type { CertificateRecord } from './certificate.record';
import type { PartnerRecord } from './partner.record';
import type { SetupLinkRecord } from './setup-link.record';

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
export interface SetupLinkRepository {
  insert(record: SetupLinkRecord): Promise<void>;
  /** A partner's links, newest first. */
  listByPartner(partnerId: string): Promise<SetupLinkRecord[]>;
  /** The link with this token hash and its partner, read together. */
  findByHash(tokenHash: string): Promise<{ link: SetupLinkRecord; partner: PartnerRecord } | null>;
  delete(partnerId: string, id: string): Promise<boolean>;
}
