/**
 * Setup links (API: "Setup links"): a university's IT team does its own part of the setup, for its
 * own partner only, without the admin key. The token is shown once, inside the link's fragment
 * (`PUBLIC_BASE_URL/setup#<token>`, so no server log sees it), and kept only as a SHA-256 hash;
 * a link expires, and a revoked one is gone from the store, so both take effect at once on every
 * instance (no instance caches a link).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AppError } from '../errors';
import type { PartnerRepository, SetupLinkRepository } from './partners.port';
import type { SetupLinkRecord } from './setup-link.record';
import type { PartnerRecord } from './partner.record';
import { partnerNotFound } from './partner.service';
import { systemClock, type Clock } from '../../clock';

export const SETUP_TOKEN_PREFIX = 'tms_';
export const DEFAULT_SETUP_LINK_HOURS = 168;

export interface IssuedSetupLink {
  id: string;
  url: string;
  createdAt: string;
  expiresAt: string;
}

export interface SetupLinkView {
  id: string;
  createdAt: string;
  expiresAt: string;
  expired: boolean;
}

export function hashSetupToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export class SetupLinkService {
  constructor(
    private readonly links: SetupLinkRepository,
    private readonly partners: PartnerRepository,
    /** PUBLIC_BASE_URL, without a trailing slash. */
    private readonly publicBaseUrl: string,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * A new link for the partner. `notAfter`: a setup link handing the setup to the next person
   * makes one that expires no later than itself (so a link never outlives the one it came from).
   */
  async issue(
    partnerId: string,
    expiresInHours = DEFAULT_SETUP_LINK_HOURS,
    notAfter?: string,
  ): Promise<IssuedSetupLink> {
    if (!(await this.partners.get(partnerId))) throw partnerNotFound(partnerId);
    const token = SETUP_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const now = new Date(this.clock.now());
    const wanted = now.getTime() + expiresInHours * 3_600_000;
    const expiresAt = notAfter === undefined ? wanted : Math.min(wanted, Date.parse(notAfter));
    const record: SetupLinkRecord = {
      id: randomUUID(),
      partnerId,
      tokenHash: hashSetupToken(token),
      createdAt: now.toISOString(),
      expiresAt: new Date(expiresAt).toISOString(),
    };
    await this.links.insert(record);
    return {
      id: record.id,
      url: `${this.publicBaseUrl}/setup#${token}`,
      createdAt: record.createdAt,
      expiresAt: record.expiresAt,
    };
  }

  async list(partnerId: string): Promise<SetupLinkView[]> {
    if (!(await this.partners.get(partnerId))) throw partnerNotFound(partnerId);
    const now = this.clock.now();
    return (await this.links.listByPartner(partnerId)).map(({ id, createdAt, expiresAt }) => ({
      id,
      createdAt,
      expiresAt,
      expired: Date.parse(expiresAt) <= now,
    }));
  }

  async revoke(partnerId: string, linkId: string): Promise<void> {
    if (!(await this.partners.get(partnerId))) throw partnerNotFound(partnerId);
    if (!(await this.links.delete(partnerId, linkId))) {
      throw new AppError('NOT_FOUND', { detail: `Partner '${partnerId}' has no setup link '${linkId}'.` });
    }
  }

  /**
   * The link and partner a setup token stands for, by the token's SHA-256 (hex; the caller has it
   * already); UNAUTHENTICATED when unknown, revoked or expired.
   */
  async authenticateHash(tokenHash: string): Promise<{ link: SetupLinkRecord; partner: PartnerRecord }> {
    const holder = await this.links.findByHash(tokenHash);
    if (!holder) {
      throw new AppError('UNAUTHENTICATED', {
        detail: 'This setup link is not known or was revoked; ask TARGETconnect for a new one.',
      });
    }
    if (Date.parse(holder.link.expiresAt) <= this.clock.now()) {
      throw new AppError('UNAUTHENTICATED', {
        detail: `This setup link expired at ${holder.link.expiresAt}; ask TARGETconnect for a new one.`,
      });
    }
    return holder;
  }
}
