/**
 * The credentials capability: from a partner to its tenant connection. The university's own
 * registration signs with its stored secret or its certificates; a platform-app partner's tokens
 * are asked by TARGETconnect's application, with the platform's credential, in the partner's
 * tenant (where its admin consented).
 */
import fs from 'node:fs/promises';
import { AppError } from '../errors';
import type { PartnerRecord } from '../partners/partner.record';
import type { PartnerService } from '../partners/partner.service';
import type { CertificateService } from '../partners/certificate.service';
import type { PlatformApp } from './platform-app';
import { connectionOf, type ConnectionCredential, type TenantConnection } from './tenant-connection';

export class CredentialsService {
  constructor(
    private readonly partners: PartnerService,
    private readonly certificates: CertificateService,
    private readonly platform: PlatformApp | null,
  ) {}

  /** The platform app, when this deployment runs one. */
  platformApp(): PlatformApp | null {
    return this.platform;
  }

  connectionOf(partner: PartnerRecord): TenantConnection {
    const platform = partner.credentialType === 'platformApp' ? this.platform : null;
    return connectionOf(partner, () => this.credentialOf(partner), platform?.appId ?? partner.applicationId);
  }

  private async credentialOf(partner: PartnerRecord): Promise<ConnectionCredential> {
    if (partner.credentialType === 'certificate') {
      return { type: 'certificate', ...(await this.certificates.usable(partner)) };
    }
    if (partner.credentialType === 'clientSecret') {
      return { type: 'clientSecret', secret: await this.partners.clientSecretOf(partner) };
    }
    const platform = this.platform;
    if (platform === null) {
      throw new AppError('NO_USABLE_CREDENTIAL', {
        detail:
          "The partner uses TARGETconnect's platform app, but this deployment runs none (PLATFORM_APP_ID is not set).",
        remediation:
          "Set PLATFORM_APP_ID and its credential on the service, or give the partner its own registration (Step 1) with credentialType 'clientSecret'.",
      });
    }
    if (partner.consent.status !== 'granted') throw consentRequired(partner);
    const credential = platform.credential;
    if (credential.type === 'clientSecret') return { type: 'clientSecret', secret: credential.secret };
    if (credential.type === 'certificate') {
      const { thumbprint, thumbprintSha256, privateKeyPem } = credential;
      return {
        type: 'certificate',
        certificates: [{ thumbprint, thumbprintSha256, privateKeyPem }],
        expired: 0,
      };
    }
    return { type: 'federated', assertion: () => readAssertion(credential.tokenFile) };
  }
}

/** The federated token as the platform wrote it last (it is rewritten before it expires). */
async function readAssertion(file: string): Promise<string> {
  try {
    const token = (await fs.readFile(file, 'utf8')).trim();
    if (token === '') throw new Error('empty');
    return token;
  } catch (error) {
    throw new AppError('NO_USABLE_CREDENTIAL', {
      detail: `The platform app's federated token file cannot be read (${(error as NodeJS.ErrnoException).code ?? 'empty'}).`,
      remediation:
        'AZURE_FEDERATED_TOKEN_FILE must name a file holding the workload identity token (Azure Workload Identity mounts it); check the pod or host that runs the service.',
      cause: error,
    });
  }
}

/** Before the university's admin consented (or after a denial): what to do, in the guide's terms. */
export function consentRequired(partner: PartnerRecord): AppError {
  const denied = partner.consent.status === 'denied';
  return new AppError('CONSENT_REQUIRED', {
    detail: denied
      ? `An admin of tenant ${partner.tenantId} declined TARGETconnect's platform app${partner.consent.error ? ` (${partner.consent.error})` : ''}.`
      : `No admin of tenant ${partner.tenantId} has consented to TARGETconnect's platform app yet.`,
    remediation:
      "Step 1 (the platform app): a Global or Privileged Role Administrator of the university's tenant opens the consent link " +
      `(the setup page's "Use TARGETconnect's app" button, or POST /partners/${partner.id}/consent-link) and accepts. ` +
      'Then the Teams admin grants the access policy to the advisers (Steps 2-3), naming the platform app.',
  });
}
