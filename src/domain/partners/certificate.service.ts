/**
 * A partner's certificates (API: "Certificates"): made here, so that the private key never leaves
 * the service, or imported; listed, downloaded for upload in the portal, deleted. The private key
 * is sealed with SECRETS_KEY, bound to its partner and certificate, and only ever opened to sign
 * a token request (`usable`).
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../errors';
import type { CertificateRepository } from './partners.port';
import {
  isValidAt,
  toCertificateView,
  type CertificateImport,
  type CertificateRecord,
  type CertificateView,
} from './certificate.record';
import { type CertificateAuthority } from './certificate-authority.port';
import type { PartnerRecord } from './partner.record';
import type { PartnerService } from './partner.service';
import type { SecretCipher } from './secret-cipher';
import { systemClock, type Clock } from '../../clock';

export const DEFAULT_VALIDITY_DAYS = 365;

export type CertificateRequest = { validityDays?: number | undefined } | CertificateImport;

/** A certificate that can sign now, with its key in clear (for the token request only). */
export interface UsableCertificate {
  id: string;
  thumbprint: string;
  thumbprintSha256: string;
  notAfter: string;
  privateKeyPem: string;
}

function associatedData(partnerId: string, certificateId: string): string {
  return `${partnerId}\ncertificate\n${certificateId}`;
}

export class CertificateService {
  constructor(
    private readonly certificates: CertificateRepository,
    private readonly partners: PartnerService,
    private readonly cipher: SecretCipher,
    private readonly authority: CertificateAuthority,
    private readonly clock: Clock = systemClock,
  ) {}

  async create(
    partnerId: string,
    request: CertificateRequest,
  ): Promise<{ created: boolean; certificate: CertificateView }> {
    const partner = await this.partners.require(partnerId);
    if (partner.credentialType === 'platformApp') {
      throw new AppError('VALIDATION_FAILED', {
        detail:
          "The partner uses TARGETconnect's platform app: its tokens are signed with the platform's credential, so it has no certificate of its own.",
        errors: [
          {
            field: 'params.partnerId',
            message: "must name a partner with its own app registration (not 'platformApp')",
          },
        ],
      });
    }
    const now = new Date(this.clock.now());
    const imported = 'certificatePem' in request;
    const facts = imported
      ? this.authority.inspect(request, now)
      : await this.authority.generate(
          `TARGETconnect Teams meetings ${partnerId}`,
          request.validityDays ?? DEFAULT_VALIDITY_DAYS,
          now,
        );
    const id = randomUUID();
    const record: CertificateRecord = {
      id,
      partnerId,
      thumbprint: facts.thumbprint,
      thumbprintSha256: facts.thumbprintSha256,
      subject: facts.subject,
      notBefore: facts.notBefore,
      notAfter: facts.notAfter,
      source: imported ? 'imported' : 'generated',
      certificatePem: facts.certificatePem,
      privateKeyCiphertext: this.cipher.encrypt(facts.privateKeyPem, associatedData(partnerId, id)),
      createdAt: now.toISOString(),
    };
    // An import repeated (the same certificate) answers the stored one, key and id unchanged.
    const stored = await this.certificates.insertOnce(record);
    return { created: stored.created, certificate: toCertificateView(stored.record) };
  }

  async list(partnerId: string): Promise<CertificateView[]> {
    await this.partners.require(partnerId);
    return (await this.certificates.listByPartner(partnerId)).map(toCertificateView);
  }

  /** The certificate as the file the portal's *Upload certificate* takes. */
  async file(partnerId: string, certificateId: string): Promise<{ filename: string; pem: string }> {
    const record = await this.require(partnerId, certificateId);
    return { filename: `${partnerId}-${record.thumbprint}.cer`, pem: record.certificatePem };
  }

  async delete(partnerId: string, certificateId: string): Promise<void> {
    await this.partners.require(partnerId);
    if (!(await this.certificates.delete(partnerId, certificateId))) throw notFound(certificateId);
  }

  /** The partner's certificates valid now, newest first, with their keys opened; and how many expired. */
  async usable(partner: PartnerRecord): Promise<{ certificates: UsableCertificate[]; expired: number }> {
    const now = new Date(this.clock.now());
    const all = await this.certificates.listByPartner(partner.id);
    const valid = all.filter((c) => isValidAt(c, now));
    const certificates = valid.map((c) => ({
      id: c.id,
      thumbprint: c.thumbprint,
      thumbprintSha256: c.thumbprintSha256,
      notAfter: c.notAfter,
      privateKeyPem: this.open(c),
    }));
    return { certificates, expired: all.filter((c) => Date.parse(c.notAfter) <= now.getTime()).length };
  }

  private open(record: CertificateRecord): string {
    try {
      return this.cipher.decrypt(record.privateKeyCiphertext, associatedData(record.partnerId, record.id));
    } catch (error) {
      throw new AppError('CLIENT_SECRET_UNREADABLE', {
        detail: `The private key of certificate ${record.thumbprint} cannot be decrypted with this service's SECRETS_KEY.`,
        remediation:
          'SECRETS_KEY changed since the certificate was made: make a new one (POST /partners/{partnerId}/certificates) and upload it.',
        cause: error,
      });
    }
  }

  private async require(partnerId: string, certificateId: string): Promise<CertificateRecord> {
    await this.partners.require(partnerId);
    const record = await this.certificates.get(partnerId, certificateId);
    if (!record) throw notFound(certificateId);
    return record;
  }
}

function notFound(certificateId: string): AppError {
  return new AppError('NOT_FOUND', {
    detail: `There is no certificate '${certificateId}' for this partner.`,
  });
}
