/**
 * Partners: the setup guide's Step 4 configuration of one university. The client secret is
 * sealed here before it reaches the store and is never handed back out of the domain.
 */
import { AppError } from '../errors';
import type {
  Cloud,
  CredentialType,
  MeetingMode,
  MeetingOptions,
  PartnerRecord,
  PartnerView,
  RemoteMatchField,
} from './partner.record';
import { NO_CONSENT, toPartnerView } from './partner.record';
import type { PartnerRepository } from './partners.port';
import type { SecretCipher } from './secret-cipher';
import { isoNow, systemClock, type Clock } from '../../clock';

/** What to do when a stored secret cannot be read (the create's 424 and verify say the same). */
export const SECRETS_KEY_REMEDIATION =
  "SECRETS_KEY changed since the secret was stored: store the client secret's Value again with PATCH /partners/{partnerId}.";

export interface PartnerInput {
  /** Absent for a platform-app partner (it is the platform app's). */
  applicationId?: string | undefined;
  tenantId: string;
  clientSecret?: string | undefined;
  clientSecretExpiresAt?: string | null | undefined;
  operatorLocalMatchField: string;
  operatorRemoteMatchField: RemoteMatchField;
  userLocalMatchField: string;
  userRemoteMatchField: RemoteMatchField;
  cloud?: Cloud | undefined;
  credentialType?: CredentialType | undefined;
  meetingDefaults?: MeetingOptions | undefined;
  meetingMode?: MeetingMode | undefined;
  sendInvitations?: boolean | undefined;
}

/** Any of the fields; `clientSecret: null` removes the stored secret (certificates sign). */
export type PartnerPatch = Partial<Omit<PartnerInput, 'clientSecret'>> & {
  clientSecret?: string | null | undefined;
};

/** How often a change beaten by another is made again before the request gives up. */
const MAX_WRITE_ATTEMPTS = 5;

/** Told when a partner's configuration changes, so that caches built from it (MSAL) are rebuilt. */
export type PartnerChangeListener = (partnerId: string) => void;

export class PartnerService {
  private readonly listeners: PartnerChangeListener[] = [];

  constructor(
    private readonly partners: PartnerRepository,
    private readonly cipher: SecretCipher,
    private readonly clock: Clock = systemClock,
    /** TARGETconnect's platform app (PLATFORM_APP_ID), when this deployment runs one. */
    private readonly platformAppId: string | null = null,
  ) {}

  onChange(listener: PartnerChangeListener): void {
    this.listeners.push(listener);
  }

  async list(): Promise<PartnerView[]> {
    return (await this.partners.list()).map(toPartnerView);
  }

  async get(id: string): Promise<PartnerView> {
    return toPartnerView(await this.require(id));
  }

  /** Creates or replaces the whole configuration; a missing secret keeps the stored one. */
  async put(id: string, input: PartnerInput): Promise<{ created: boolean; partner: PartnerView }> {
    const { created, record } = await this.write(id, (existing) => {
      const credentialType = input.credentialType ?? existing?.credentialType ?? 'clientSecret';
      const platformAppId = credentialType === 'platformApp' ? this.platformFor(input) : null;
      if (!existing && input.clientSecret === undefined && credentialType === 'clientSecret') {
        throw secretRequired(
          'A new partner needs its client secret.',
          "Required when creating a partner: the client secret's Value from Certificates & secrets (Step 1, items 5-8).",
        );
      }
      const timestamp = isoNow(this.clock);
      const record: PartnerRecord = {
        id,
        applicationId: platformAppId ?? input.applicationId!,
        tenantId: input.tenantId,
        clientSecretCiphertext:
          input.clientSecret === undefined
            ? (existing?.clientSecretCiphertext ?? null)
            : this.cipher.encrypt(input.clientSecret, id),
        clientSecretExpiresAt:
          input.clientSecretExpiresAt === undefined && input.clientSecret === undefined
            ? (existing?.clientSecretExpiresAt ?? null)
            : (input.clientSecretExpiresAt ?? null),
        operatorLocalMatchField: input.operatorLocalMatchField,
        operatorRemoteMatchField: input.operatorRemoteMatchField,
        userLocalMatchField: input.userLocalMatchField,
        userRemoteMatchField: input.userRemoteMatchField,
        cloud: input.cloud ?? 'global',
        credentialType,
        meetingDefaults: input.meetingDefaults ?? {},
        meetingMode: input.meetingMode ?? 'onlineMeeting',
        sendInvitations: input.sendInvitations ?? true,
        createdAt: existing?.createdAt ?? timestamp,
        updatedAt: timestamp,
        version: (existing?.version ?? 0) + 1,
        consent: consentFor(existing, input.tenantId),
      };
      if (record.credentialType === 'clientSecret' && record.clientSecretCiphertext === null)
        throw noSecretStored();
      return record;
    });
    return { created, partner: toPartnerView(record) };
  }

  /** Changes some fields, e.g. a new secret after the old one expired. */
  async patch(id: string, patch: PartnerPatch): Promise<PartnerView> {
    const { record } = await this.write(id, (existing) => {
      if (!existing) throw partnerNotFound(id);
      const { clientSecret, ...fields } = patch;
      const credentialType = patch.credentialType ?? existing.credentialType;
      const platformAppId = credentialType === 'platformApp' ? this.platformFor(patch) : null;
      if (
        existing.credentialType === 'platformApp' &&
        credentialType !== 'platformApp' &&
        patch.applicationId === undefined
      ) {
        throw new AppError('VALIDATION_FAILED', {
          detail: "Leaving the platform app needs the university's own registration.",
          errors: [
            {
              field: 'body.applicationId',
              message:
                'applicationId is required when leaving the platform app: the Application (client) ID of your own app registration (Step 1).',
            },
          ],
        });
      }
      const record: PartnerRecord = {
        ...existing,
        ...definedOnly(fields),
        ...(platformAppId === null ? {} : { applicationId: platformAppId }),
        consent: consentFor(existing, patch.tenantId ?? existing.tenantId),
        clientSecretCiphertext:
          clientSecret === undefined
            ? existing.clientSecretCiphertext
            : clientSecret === null
              ? null
              : this.cipher.encrypt(clientSecret, id),
        updatedAt: isoNow(this.clock),
        version: existing.version + 1,
      };
      // A new secret without a new expiry date makes the old date meaningless; no secret has none.
      if (clientSecret !== undefined && patch.clientSecretExpiresAt === undefined)
        record.clientSecretExpiresAt = null;
      if (record.credentialType === 'clientSecret' && record.clientSecretCiphertext === null) {
        throw clientSecret === null
          ? secretRequired(
              'Tokens are signed with the client secret; it cannot be removed.',
              "Switch to certificates first (credentialType 'certificate', once the certificate is uploaded and verify passes), then remove the secret.",
            )
          : noSecretStored();
      }
      return record;
    });
    return toPartnerView(record);
  }

  /**
   * Read, change, write over the version read: a change that another one beat is made again on
   * the newer record (so both are kept); one that keeps losing answers 409 CONCURRENT_UPDATE.
   */
  private async write(
    id: string,
    change: (existing: PartnerRecord | null) => PartnerRecord,
  ): Promise<{ created: boolean; record: PartnerRecord }> {
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      const existing = await this.partners.get(id);
      const record = change(existing);
      const written = existing
        ? await this.partners.update(record, existing.version)
        : await this.partners.insert(record);
      if (written) {
        this.notify(id);
        return { created: !existing, record };
      }
    }
    throw new AppError('CONCURRENT_UPDATE', {
      detail: `Partner '${id}' kept changing while this request ran; nothing of it was stored.`,
      remediation: 'Read the partner again and repeat the change.',
    });
  }

  async delete(id: string): Promise<void> {
    if (!(await this.partners.delete(id))) throw partnerNotFound(id);
    this.notify(id);
  }

  /**
   * The partner's client secret in clear, or null when none is stored. A secret this service's
   * SECRETS_KEY cannot open (the key changed since it was stored) is a configuration failure:
   * 424 CLIENT_SECRET_UNREADABLE, with what to do.
   */
  async clientSecretOf(partner: PartnerRecord): Promise<string | null> {
    if (partner.clientSecretCiphertext === null) return null;
    try {
      return this.cipher.decrypt(partner.clientSecretCiphertext, partner.id);
    } catch (error) {
      throw new AppError('CLIENT_SECRET_UNREADABLE', {
        detail: `The client secret stored for partner '${partner.id}' cannot be decrypted with this service's SECRETS_KEY.`,
        remediation: SECRETS_KEY_REMEDIATION,
        cause: error,
      });
    }
  }

  async require(id: string): Promise<PartnerRecord> {
    const partner = await this.partners.get(id);
    if (!partner) throw partnerNotFound(id);
    return partner;
  }

  /**
   * The platform app's id for a partner that uses it: refused when this deployment runs none, when
   * a secret is sent (the credential is the platform's), or another application is named.
   */
  private platformFor(input: {
    applicationId?: string | undefined;
    clientSecret?: string | null | undefined;
  }): string {
    const issue = (field: string, message: string) =>
      new AppError('VALIDATION_FAILED', {
        detail: "The partner cannot use TARGETconnect's platform app as sent.",
        errors: [{ field: `body.${field}`, message }],
      });
    if (this.platformAppId === null) {
      throw issue(
        'credentialType',
        "this deployment runs no platform app (PLATFORM_APP_ID is not set): give the university's own registration (Step 1) with credentialType 'clientSecret'.",
      );
    }
    if (typeof input.clientSecret === 'string') {
      throw issue(
        'clientSecret',
        "a platform-app partner has no secret: the university's admin consents instead (POST /partners/{partnerId}/consent-link).",
      );
    }
    if (
      input.applicationId !== undefined &&
      input.applicationId.toLowerCase() !== this.platformAppId.toLowerCase()
    ) {
      throw issue(
        'applicationId',
        `must be absent or the platform app's (${this.platformAppId}) for credentialType 'platformApp'.`,
      );
    }
    return this.platformAppId;
  }

  /** Records what the admin's consent (or its refusal) was, over the partner's latest version. */
  async recordConsent(id: string, consent: PartnerRecord['consent']): Promise<PartnerView> {
    const { record } = await this.write(id, (existing) => {
      if (!existing) throw partnerNotFound(id);
      return { ...existing, consent, updatedAt: isoNow(this.clock), version: existing.version + 1 };
    });
    return toPartnerView(record);
  }

  private notify(id: string): void {
    for (const listener of this.listeners) listener(id);
  }
}

function noSecretStored(): AppError {
  return secretRequired(
    'No client secret is stored to sign tokens with.',
    "Send the client secret's Value (Certificates & secrets, Step 1, items 5-8) with credentialType 'clientSecret'.",
  );
}

function secretRequired(detail: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', { detail, errors: [{ field: 'body.clientSecret', message }] });
}

export function partnerNotFound(id: string): AppError {
  return new AppError('PARTNER_NOT_FOUND', { detail: `There is no partner '${id}'.` });
}

/** A consent is the tenant's: moving the partner to another tenant starts over. */
function consentFor(existing: PartnerRecord | null | undefined, tenantId: string): PartnerRecord['consent'] {
  return existing && existing.tenantId === tenantId ? existing.consent : NO_CONSENT;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
