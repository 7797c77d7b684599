/**
 * Keys: the admin key from the configuration, and partner keys that are shown once and kept only
 * as SHA-256 hashes. A partner key decides which partner a request acts for. Setup links' tokens
 * (`tms_…`) are bearers too; setup-link.service.ts knows them.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors';
import type { ApiKeyRecord } from './api-key.record';
import type { ApiKeyRepository, PartnerRepository } from './partners.port';
import { partnerNotFound } from './partner.service';
import { SETUP_TOKEN_PREFIX, type SetupLinkService } from './setup-link.service';
import type { PartnerRecord } from './partner.record';
import { isoNow, systemClock, type Clock } from '../../clock';

export const PARTNER_KEY_PREFIX = 'tmk_';
/** How often a key's `lastUsedAt` is written at most: a write per request would dominate the hot path. */
const TOUCH_INTERVAL_MS = 60_000;

/** Who a key belongs to; a partner key comes with its partner's record, read with the key. */
export type Principal =
  | { kind: 'admin' }
  | { kind: 'partner'; partnerId: string; keyId: string; partner: PartnerRecord }
  /** A setup link's token: its own partner's setup only (access.setup). */
  | { kind: 'setup'; partnerId: string; linkId: string; expiresAt: string; partner: PartnerRecord };

export interface IssuedKey {
  id: string;
  key: string;
  keyPrefix: string;
  createdAt: string;
}

export type ApiKeyView = Omit<ApiKeyRecord, 'keyHash' | 'partnerId'>;

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export class ApiKeyService {
  private readonly adminDigest: Buffer;
  private readonly lastTouched = new Map<string, number>();

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly partners: PartnerRepository,
    adminApiKey: string,
    private readonly clock: Clock = systemClock,
    private readonly setupLinks?: SetupLinkService,
  ) {
    this.adminDigest = createHash('sha256').update(adminApiKey, 'utf8').digest();
  }

  /** Who holds this bearer key; UNAUTHENTICATED when nobody does. */
  async authenticate(bearer: string | undefined): Promise<Principal> {
    if (!bearer) throw unauthenticated('Send the key as `Authorization: Bearer <key>`.');
    // Comparing fixed-length digests keeps the comparison constant-time whatever the length sent.
    const digest = createHash('sha256').update(bearer, 'utf8').digest();
    if (timingSafeEqual(digest, this.adminDigest)) return { kind: 'admin' };
    if (this.setupLinks && bearer.startsWith(SETUP_TOKEN_PREFIX)) {
      const { link, partner } = await this.setupLinks.authenticateHash(digest.toString('hex'));
      return { kind: 'setup', partnerId: partner.id, linkId: link.id, expiresAt: link.expiresAt, partner };
    }
    if (!bearer.startsWith(PARTNER_KEY_PREFIX)) throw unauthenticated('The key is not known.');
    const holder = await this.keys.findByHash(digest.toString('hex'));
    if (!holder) throw unauthenticated('The key is not known or was revoked.');
    this.touch(holder.key.id);
    return { kind: 'partner', partnerId: holder.partner.id, keyId: holder.key.id, partner: holder.partner };
  }

  async issue(partnerId: string): Promise<IssuedKey> {
    if (!(await this.partners.get(partnerId))) throw partnerNotFound(partnerId);
    const key = PARTNER_KEY_PREFIX + randomBytes(32).toString('base64url');
    const record: ApiKeyRecord = {
      id: randomUUID(),
      partnerId,
      keyHash: hashKey(key),
      keyPrefix: key.slice(0, PARTNER_KEY_PREFIX.length + 4),
      createdAt: isoNow(this.clock),
      lastUsedAt: null,
    };
    await this.keys.insert(record);
    return { id: record.id, key, keyPrefix: record.keyPrefix, createdAt: record.createdAt };
  }

  async list(partnerId: string): Promise<ApiKeyView[]> {
    if (!(await this.partners.get(partnerId))) throw partnerNotFound(partnerId);
    return (await this.keys.listByPartner(partnerId)).map(({ id, keyPrefix, createdAt, lastUsedAt }) => ({
      id,
      keyPrefix,
      createdAt,
      lastUsedAt,
    }));
  }

  async revoke(partnerId: string, keyId: string): Promise<void> {
    if (!(await this.partners.get(partnerId))) throw partnerNotFound(partnerId);
    if (!(await this.keys.delete(partnerId, keyId))) {
      throw new AppError('NOT_FOUND', { detail: `Partner '${partnerId}' has no API key '${keyId}'.` });
    }
  }

  private touch(keyId: string): void {
    const now = this.clock.now();
    if (now - (this.lastTouched.get(keyId) ?? 0) < TOUCH_INTERVAL_MS) return;
    this.lastTouched.set(keyId, now);
    // Best effort: a failed bookkeeping write must not fail the request it rides on.
    this.keys.touch(keyId, new Date(now).toISOString()).catch(() => this.lastTouched.delete(keyId));
  }
}

function unauthenticated(detail: string): AppError {
  return new AppError('UNAUTHENTICATED', { detail });
}
