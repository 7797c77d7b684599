/**
 * The setup guide, checked: one call tells the IT team which of the four steps works and exactly
 * what to do about the ones that do not. Nothing here creates a meeting.
 */
import { AppError, TRANSIENT_MICROSOFT_CODES } from '../errors';
import { localValue, type Identity } from '../identity/identity';
import type { SetupCheckRepository } from './setup-check.port';
import type { IdentityMatcher } from '../identity/identity-matcher';
import { UnknownOrganizerError, type MicrosoftGateway, type SetupProbe } from '../microsoft.port';
import type { PartnerRecord } from '../partners/partner.record';
import { SECRETS_KEY_REMEDIATION, type PartnerService } from '../partners/partner.service';
import type { CertificateService, UsableCertificate } from '../partners/certificate.service';
import { SECRET_EXPIRY_WARNING_DAYS } from '../health/health.service';
import { accessPolicyScript, type GroupGrant, type OperatorOutcome } from './access-policy-script';
import { exchangeScopeScript } from './exchange-scope-script';
import {
  ATTENDANCE_PERMISSION,
  CALENDAR_PERMISSION,
  REQUIRED_PERMISSIONS,
  SETUP_STEPS,
  missingPermissions,
  type SetupStep,
} from './setup-guide';
import { systemClock, type Clock } from '../../clock';
import { CONSENT_PROPAGATION_MS } from '../credentials/tenant-connection';
import type { Adviser } from './setup-watch.port';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface SetupCheck {
  id: string;
  step: SetupStep;
  status: CheckStatus;
  detail: string;
  remediation: string | null;
  /** What failed or warns, as a stable code (the error catalogue's where Microsoft answered one). */
  code?: string;
}

export interface VerifyResult {
  partnerId: string;
  ok: boolean;
  /** When the checks ran. */
  checkedAt: string;
  /** The advisers checked (those of the request, or else those the last check named). */
  operators: Identity[];
  /**
   * When the Teams admin's PowerShell was last written for the partner (a grant takes up to 30
   * minutes: a failing policy within them is waiting, not broken); absent when never.
   */
  accessPolicyScriptAt?: string;
  checks: SetupCheck[];
}

/** A userPrincipalName nobody has: the lookup probe finds nothing and creates nothing. */
const LOOKUP_PROBE = 'teams-meetings-setup-check@invalid.invalid';

function check(
  id: string,
  step: SetupStep,
  status: CheckStatus,
  detail: string,
  remediation: string | null = null,
  code?: string,
): SetupCheck {
  const fine = status === 'pass' || status === 'skip';
  return {
    id,
    step,
    status,
    detail,
    remediation: fine ? null : remediation,
    ...(fine || code === undefined ? {} : { code }),
  };
}

function failureOf(id: string, step: SetupStep, error: unknown, what: string): SetupCheck {
  if (error instanceof AppError) {
    const transient = TRANSIENT_MICROSOFT_CODES.has(error.code);
    return check(
      id,
      step,
      'fail',
      `${what}: ${error.code}: ${error.detail}`,
      error.remediation ??
        (transient
          ? 'Microsoft was unavailable or slow during the check; run it again in a few minutes.'
          : null),
      error.code,
    );
  }
  throw error;
}

export class SetupDiagnosticsService {
  constructor(
    private readonly partners: PartnerService,
    private readonly certificates: CertificateService,
    private readonly gateway: MicrosoftGateway & SetupProbe,
    private readonly identities: IdentityMatcher,
    private readonly clock: Clock = systemClock,
    private readonly lastChecks?: SetupCheckRepository,
  ) {}

  /** The partner's last check, as it answered; null before the first. */
  async lastCheck(partnerId: string): Promise<VerifyResult | null> {
    await this.partners.require(partnerId);
    const kept = await this.lastChecks?.get(partnerId);
    return kept ? this.withScriptTime(kept.result as VerifyResult) : null;
  }

  private async withScriptTime(result: VerifyResult): Promise<VerifyResult> {
    const { accessPolicyScriptAt: _old, ...rest } = result;
    const at = await this.lastChecks?.accessPolicyScriptAt(result.partnerId);
    return at ? { ...rest, accessPolicyScriptAt: at } : rest;
  }

  /**
   * Runs the checks and keeps the result as the partner's last. Without `operators` the advisers
   * of the last check are checked again (the next person need not type them).
   */
  async verify(partnerId: string, named?: Identity[]): Promise<VerifyResult> {
    const operators = named ?? (await this.lastChecks?.get(partnerId))?.operators ?? [];
    const result = await this.run(partnerId, operators, (partner, roles) =>
      roles === undefined
        ? Promise.resolve(
            operators.flatMap((_, index) => [
              check(`operator-lookup:${index}`, SETUP_STEPS.platform, 'skip', 'Not checked: no token.'),
              check(`access-policy:${index}`, SETUP_STEPS.teams, 'skip', 'Not checked: no token.'),
            ]),
          )
        : this.operatorChecks(partner, operators),
    );
    await this.lastChecks?.save({ partnerId, checkedAt: result.checkedAt, operators, result });
    return this.withScriptTime(result);
  }

  /**
   * The daily watch's check (setup-watch.ts): the same checks, with the advisers of the partner's
   * recent meetings by their object id, one Graph call each: the access policy for standalone
   * meetings, the calendar in calendar mode. Not kept as the partner's last check (that is a
   * person's, with the advisers they named).
   */
  async watch(partnerId: string, advisers: Adviser[]): Promise<VerifyResult> {
    return this.run(partnerId, [], async (partner, roles) => {
      const calendarMode = partner.meetingMode === 'calendarEvent';
      const step = calendarMode ? SETUP_STEPS.exchange : SETUP_STEPS.teams;
      if (roles === undefined) {
        return advisers.map((a) =>
          check(
            `${calendarMode ? 'calendar' : 'access-policy'}:${a.id}`,
            step,
            'skip',
            'Not checked: no token.',
          ),
        );
      }
      // A few at a time: one tenant's advisers, within Graph's per-app limits even for hundreds.
      return mapInTurns(advisers, WATCH_CONCURRENCY, async (adviser) => {
        const user = { id: adviser.id, userPrincipalName: adviser.userPrincipalName ?? adviser.id };
        if (calendarMode) return this.calendarCheck(partner, adviser.id, user);
        const id = `access-policy:${adviser.id}`;
        try {
          await this.gateway.checkAccessPolicy(partner, adviser.id);
          return check(
            id,
            step,
            'pass',
            `${user.userPrincipalName} holds an application access policy for this application.`,
          );
        } catch (error) {
          if (error instanceof UnknownOrganizerError) {
            return check(
              id,
              step,
              'warn',
              `Graph no longer knows ${user.userPrincipalName} (object ID ${adviser.id}): the account was deleted or recreated in Entra ID.`,
              'Nothing to do if the adviser left; otherwise their next appointment finds the new account.',
              'OPERATOR_NOT_FOUND',
            );
          }
          return failureOf(id, step, error, `Graph refused to act for ${user.userPrincipalName}`);
        }
      });
    });
  }

  private async run(
    partnerId: string,
    operators: Identity[],
    adviserChecks: (partner: PartnerRecord, roles: string[] | undefined) => Promise<SetupCheck[]>,
  ): Promise<VerifyResult> {
    const partner = await this.partners.require(partnerId);
    // Every certificate is probed, also while the secret still signs: the check before switching.
    // A platform-app partner has no certificate of its own: the credential is the platform's.
    const platform = partner.credentialType === 'platformApp';
    const certificates = platform ? { certificates: [], expired: 0 } : await this.usableCertificates(partner);
    const usable = partner.credentialType === 'certificate' ? certificates : undefined;
    const configuration = platform
      ? this.consentCheck(partner)
      : usable === undefined
        ? await this.configurationCheck(partner)
        : this.certificateConfigurationCheck(usable);
    const expiry = platform
      ? check(
          'secret-expiry',
          SETUP_STEPS.azure,
          'skip',
          "No secret of the university's: the platform app's credential is TARGETconnect's.",
        )
      : usable === undefined
        ? this.expiryCheck(partner)
        : this.certificateExpiryCheck(usable);
    const checks: SetupCheck[] = [configuration];

    let roles: string[] | undefined;
    let credentials: SetupCheck;
    if (configuration.status === 'fail') {
      credentials = check(
        'credentials',
        SETUP_STEPS.azure,
        'skip',
        'Not checked: the stored configuration is incomplete.',
      );
    } else {
      try {
        roles = await this.gateway.tokenRoles(partner);
        credentials = check(
          'credentials',
          SETUP_STEPS.azure,
          'pass',
          platform
            ? "Entra ID issued a token for TARGETconnect's platform app in the university's tenant."
            : usable === undefined
              ? 'Entra ID issued a token for the application with the stored secret.'
              : `Entra ID issued a token for the application with certificate ${usable.certificates[0]?.thumbprint}.`,
        );
      } catch (error) {
        credentials =
          error instanceof AppError &&
          error.code === 'CONSENT_REQUIRED' &&
          partner.consent.status === 'granted' &&
          this.clock.now() - Date.parse(partner.consent.grantedAt ?? '') < CONSENT_PROPAGATION_MS
            ? check(
                'credentials',
                SETUP_STEPS.azure,
                'warn',
                `Consent granted (${partner.consent.grantedAt}), not yet in effect: Entra ID's tokens carry no permission so far.`,
                'Microsoft usually makes a new consent effective within minutes: check again shortly.',
                'CONSENT_REQUIRED',
              )
            : failureOf('credentials', SETUP_STEPS.azure, error, 'Entra ID issued no token');
      }
    }
    checks.push(credentials);
    if (configuration.status !== 'fail' && certificates.certificates.length > 0) {
      const probed = await this.certificateChecks(partner, certificates.certificates);
      // Not signing yet: a certificate Entra refuses breaks nothing, but must be fixed before switching.
      checks.push(...(usable !== undefined ? probed : probed.map(notInUseYet)));
    }
    checks.push(this.permissionsCheck(roles), this.attendancePermissionCheck(roles));
    if (partner.meetingMode === 'calendarEvent') checks.push(this.calendarConsentCheck(roles));
    checks.push(expiry);

    const [userLookup, operatorChecks] = await Promise.all([
      roles === undefined
        ? Promise.resolve(check('user-lookup', SETUP_STEPS.azure, 'skip', 'Not checked: no token.'))
        : this.userLookupCheck(partner),
      adviserChecks(partner, roles),
    ]);
    checks.push(userLookup, ...operatorChecks);
    return {
      partnerId,
      ok: checks.every((c) => c.status !== 'fail'),
      checkedAt: new Date(this.clock.now()).toISOString(),
      operators,
      checks,
    };
  }

  /** The PowerShell a Teams admin pastes (Steps 2-3), for the operators given (looked up afresh). */
  async accessPolicyScript(
    partnerId: string,
    operators: Identity[] = [],
    group?: GroupGrant,
  ): Promise<string> {
    const partner = await this.partners.require(partnerId);
    const outcomes = operators.length === 0 ? [] : await this.resolveOperators(partner, operators);
    const script = accessPolicyScript(partner, outcomes, group);
    await this.lastChecks?.noteAccessPolicyScript(partnerId, new Date(this.clock.now()).toISOString());
    return script;
  }

  /**
   * The PowerShell an Exchange admin pastes (the Exchange step), for the advisers given (looked up
   * afresh) or their group; the application's object id in the tenant is its token's `oid`.
   */
  async exchangeScopeScript(
    partnerId: string,
    operators: Identity[] = [],
    group?: GroupGrant,
  ): Promise<string> {
    const partner = await this.partners.require(partnerId);
    const [outcomes, objectId] = await Promise.all([
      operators.length === 0 ? Promise.resolve([]) : this.resolveOperators(partner, operators),
      this.gateway.servicePrincipalId(partner),
    ]);
    return exchangeScopeScript(partner, objectId, outcomes, group);
  }

  private async usableCertificates(
    partner: PartnerRecord,
  ): Promise<{ certificates: UsableCertificate[]; expired: number; unreadable?: string }> {
    try {
      return await this.certificates.usable(partner);
    } catch (error) {
      if (error instanceof AppError)
        return { certificates: [], expired: 0, unreadable: error.remediation ?? error.detail };
      throw error;
    }
  }

  private certificateConfigurationCheck(usable: {
    certificates: UsableCertificate[];
    expired: number;
    unreadable?: string;
  }): SetupCheck {
    const id = 'configuration';
    if (usable.unreadable !== undefined) {
      return check(
        id,
        SETUP_STEPS.platform,
        'fail',
        'A stored certificate key cannot be decrypted.',
        usable.unreadable,
        'CERTIFICATE_UNREADABLE',
      );
    }
    if (usable.certificates.length === 0) {
      return check(
        id,
        SETUP_STEPS.platform,
        'fail',
        usable.expired > 0
          ? `The partner signs with certificates, and all ${usable.expired} have expired.`
          : 'The partner signs with certificates, and has none.',
        'Make one with POST /partners/{partnerId}/certificates and upload it under Certificates & secrets > Certificates (Step 1).',
        usable.expired > 0 ? 'CERTIFICATE_EXPIRED' : 'NO_USABLE_CREDENTIAL',
      );
    }
    return check(
      id,
      SETUP_STEPS.platform,
      'pass',
      `Signs with certificates: ${usable.certificates.length} valid now, newest ${usable.certificates[0]!.thumbprint}.`,
    );
  }

  /** Each certificate valid now, asked of Entra on its own: registered on the app or not. */
  private async certificateChecks(
    partner: PartnerRecord,
    certificates: UsableCertificate[],
  ): Promise<SetupCheck[]> {
    return Promise.all(
      certificates.map(async (certificate) => {
        const id = `certificate:${certificate.thumbprint}`;
        try {
          await this.gateway.probeCertificate(partner, certificate);
          return check(
            id,
            SETUP_STEPS.azure,
            'pass',
            `Entra ID accepts certificate ${certificate.thumbprint}.`,
          );
        } catch (error) {
          return failureOf(
            id,
            SETUP_STEPS.azure,
            error,
            `Entra ID refused certificate ${certificate.thumbprint}`,
          );
        }
      }),
    );
  }

  /** The certificate in use (the newest valid): fail when none, warn within 30 days of its end. */
  private certificateExpiryCheck(usable: { certificates: UsableCertificate[] }): SetupCheck {
    const id = 'certificate-expiry';
    const inUse = usable.certificates[0];
    const renew =
      'Make a new certificate (POST /partners/{partnerId}/certificates), upload it under Certificates & secrets > Certificates (Step 1), and delete the old one once verify passes.';
    if (inUse === undefined)
      return check(
        id,
        SETUP_STEPS.azure,
        'fail',
        'No certificate is valid now.',
        renew,
        'CERTIFICATE_EXPIRED',
      );
    const remaining = Date.parse(inUse.notAfter) - this.clock.now();
    const days = Math.floor(remaining / 86_400_000);
    const on = inUse.notAfter.slice(0, 10);
    if (days < SECRET_EXPIRY_WARNING_DAYS) {
      return check(
        id,
        SETUP_STEPS.azure,
        'warn',
        `Certificate ${inUse.thumbprint} expires in ${days} day(s), on ${on}.`,
        renew,
        'CERTIFICATE_EXPIRING',
      );
    }
    return check(
      id,
      SETUP_STEPS.azure,
      'pass',
      `Certificate ${inUse.thumbprint} expires on ${on} (${days} days).`,
    );
  }

  /** The platform app: whether the university's admin consented (Step 1's one click). */
  private consentCheck(partner: PartnerRecord): SetupCheck {
    const id = 'configuration';
    const consent = partner.consent;
    if (consent.status === 'granted') {
      return check(
        id,
        SETUP_STEPS.azure,
        'pass',
        `TARGETconnect's platform app (${partner.applicationId}) in tenant ${partner.tenantId}, consented ${consent.grantedAt}.`,
      );
    }
    return check(
      id,
      SETUP_STEPS.azure,
      'fail',
      consent.status === 'denied'
        ? `The tenant's admin declined the platform app${consent.error ? `: ${consent.error}` : ''}.`
        : "No admin of the tenant has consented to TARGETconnect's platform app yet.",
      "A Global or Privileged Role Administrator opens the consent link (the setup page's Step 1, or POST /partners/{partnerId}/consent-link) and accepts.",
      'CONSENT_REQUIRED',
    );
  }

  private async configurationCheck(partner: PartnerRecord): Promise<SetupCheck> {
    const id = 'configuration';
    if (partner.clientSecretCiphertext === null) {
      return check(
        id,
        SETUP_STEPS.platform,
        'fail',
        'No client secret is stored.',
        "Store the client secret's Value with PATCH /partners/{partnerId} (clientSecret).",
        'NO_USABLE_CREDENTIAL',
      );
    }
    try {
      await this.partners.clientSecretOf(partner);
    } catch {
      return check(
        id,
        SETUP_STEPS.platform,
        'fail',
        "The stored client secret cannot be decrypted with this service's SECRETS_KEY.",
        SECRETS_KEY_REMEDIATION,
        'CLIENT_SECRET_UNREADABLE',
      );
    }
    const matchFields = `operators by ${partner.operatorLocalMatchField} → ${partner.operatorRemoteMatchField}, users by ${partner.userLocalMatchField} → ${partner.userRemoteMatchField}`;
    return check(
      id,
      SETUP_STEPS.platform,
      'pass',
      `Application ${partner.applicationId} in tenant ${partner.tenantId} (${partner.cloud} cloud); ${matchFields}.`,
    );
  }

  private permissionsCheck(roles: string[] | undefined): SetupCheck {
    const id = 'permissions';
    if (roles === undefined) return check(id, SETUP_STEPS.azure, 'skip', 'Not checked: no token.');
    const missing = missingPermissions(roles);
    if (missing.length === 0) {
      return check(id, SETUP_STEPS.azure, 'pass', `The token holds ${REQUIRED_PERMISSIONS.join(' and ')}.`);
    }
    return check(
      id,
      SETUP_STEPS.azure,
      'fail',
      roles.length === 0
        ? 'The token holds no application permission: admin consent has not been granted.'
        : `The token lacks ${missing.join(' and ')} (it holds ${roles.join(', ')}).`,
      `In the app registration's API permissions (Step 1, items 9-17): add the Microsoft Graph application permission${missing.length > 1 ? 's' : ''} ${missing.join(' and ')}, then click 'Grant admin consent' and check that every status shows a green tick.`,
      'PERMISSION_MISSING',
    );
  }

  /** Optional: only attendance reports need it, so its absence warns and never fails. */
  private attendancePermissionCheck(roles: string[] | undefined): SetupCheck {
    const id = 'attendance-permission';
    if (roles === undefined) return check(id, SETUP_STEPS.azure, 'skip', 'Not checked: no token.');
    if (roles.includes(ATTENDANCE_PERMISSION)) {
      return check(
        id,
        SETUP_STEPS.azure,
        'pass',
        `The token holds ${ATTENDANCE_PERMISSION}: attendance can be read.`,
      );
    }
    return check(
      id,
      SETUP_STEPS.azure,
      'warn',
      `The token lacks ${ATTENDANCE_PERMISSION} (optional): meetings work, attendance reports cannot be read.`,
      `For attendance and no-shows: in the app registration's API permissions (Step 1, items 9-17) add the Microsoft Graph application permission ${ATTENDANCE_PERMISSION}, then click 'Grant admin consent'. The same access policy covers it.`,
      'ATTENDANCE_PERMISSION_MISSING',
    );
  }

  /**
   * Calendar mode: Calendars.ReadWrite should come from Exchange's RBAC scope (then it is not in
   * the token); consented in Entra ID it reaches every mailbox of the tenant.
   */
  private calendarConsentCheck(roles: string[] | undefined): SetupCheck {
    const id = 'calendar-consent';
    if (roles === undefined) return check(id, SETUP_STEPS.exchange, 'skip', 'Not checked: no token.');
    if (!roles.includes(CALENDAR_PERMISSION)) {
      return check(
        id,
        SETUP_STEPS.exchange,
        'pass',
        `${CALENDAR_PERMISSION} is not consented tenant-wide: Exchange's RBAC scope decides which calendars the application reaches (checked per adviser).`,
      );
    }
    return check(
      id,
      SETUP_STEPS.exchange,
      'warn',
      `${CALENDAR_PERMISSION} is consented tenant-wide in Entra ID: the application can reach every mailbox of the tenant, whatever the Exchange scope says.`,
      `Scope it to the advisers with Exchange Online RBAC for Applications (the Exchange step's PowerShell), then remove the ${CALENDAR_PERMISSION} application permission from the app registration's API permissions (Step 1) and its admin consent.`,
      'CALENDAR_CONSENTED_TENANT_WIDE',
    );
  }

  private expiryCheck(partner: PartnerRecord): SetupCheck {
    const id = 'secret-expiry';
    if (partner.clientSecretExpiresAt === null) {
      return check(id, SETUP_STEPS.azure, 'skip', 'No expiry date is stored for the client secret.');
    }
    const remaining = Date.parse(partner.clientSecretExpiresAt) - this.clock.now();
    const days = Math.floor(remaining / 86_400_000);
    const renew =
      'Create a new client secret under Certificates & secrets (Step 1, items 5-8) and store its Value and expiry date with PATCH /partners/{partnerId} (clientSecret, clientSecretExpiresAt).';
    if (remaining <= 0) {
      return check(
        id,
        SETUP_STEPS.azure,
        'fail',
        `The client secret expired on ${partner.clientSecretExpiresAt.slice(0, 10)}.`,
        renew,
        'CLIENT_SECRET_EXPIRED',
      );
    }
    if (days < SECRET_EXPIRY_WARNING_DAYS) {
      return check(
        id,
        SETUP_STEPS.azure,
        'warn',
        `The client secret expires in ${days} day(s), on ${partner.clientSecretExpiresAt.slice(0, 10)}.`,
        renew,
        'CLIENT_SECRET_EXPIRING',
      );
    }
    return check(
      id,
      SETUP_STEPS.azure,
      'pass',
      `The client secret expires on ${partner.clientSecretExpiresAt.slice(0, 10)} (${days} days).`,
    );
  }

  private async userLookupCheck(partner: PartnerRecord): Promise<SetupCheck> {
    try {
      await this.gateway.findUsers(partner, 'userPrincipalName', [LOOKUP_PROBE]);
      return check(
        'user-lookup',
        SETUP_STEPS.azure,
        'pass',
        'Microsoft Graph answers user lookups (/users) for this application.',
      );
    } catch (error) {
      return failureOf('user-lookup', SETUP_STEPS.azure, error, 'Graph refused a user lookup');
    }
  }

  /** Every operator looked up in one go, then each one's access policy probed, all at once. */
  private async operatorChecks(partner: PartnerRecord, operators: Identity[]): Promise<SetupCheck[]> {
    if (operators.length === 0) return [];
    let outcomes: OperatorOutcome[];
    try {
      outcomes = await this.resolveOperators(partner, operators);
    } catch (error) {
      return operators.flatMap((_, index) => [
        failureOf(
          `operator-lookup:${index}`,
          SETUP_STEPS.platform,
          error,
          'The operator could not be looked up',
        ),
        check(
          `access-policy:${index}`,
          SETUP_STEPS.teams,
          'skip',
          'Not checked: the operator was not found.',
        ),
      ]);
    }
    const pairs = await Promise.all(outcomes.map((outcome) => this.operatorPair(partner, outcome)));
    return pairs.flat();
  }

  private async operatorPair(partner: PartnerRecord, outcome: OperatorOutcome): Promise<SetupCheck[]> {
    const lookupId = `operator-lookup:${outcome.index}`;
    const policyId = `access-policy:${outcome.index}`;
    const field = `${partner.operatorLocalMatchField} → ${partner.operatorRemoteMatchField}`;
    if (outcome.status !== 'matched') {
      const detail =
        outcome.status === 'missing_field'
          ? `The operator has no '${partner.operatorLocalMatchField}' value.`
          : outcome.status === 'ambiguous'
            ? `More than one Entra ID user has ${partner.operatorRemoteMatchField} '${outcome.value}'.`
            : `No Entra ID user has ${partner.operatorRemoteMatchField} '${outcome.value}'.`;
      return [
        check(
          lookupId,
          SETUP_STEPS.platform,
          'fail',
          detail,
          `Check the adviser's account in Entra ID, or the operator match fields (${field}) in the partner configuration (Step 4).`,
          outcome.status === 'missing_field'
            ? 'OPERATOR_IDENTITY_MISSING'
            : outcome.status === 'ambiguous'
              ? 'OPERATOR_AMBIGUOUS'
              : 'OPERATOR_NOT_FOUND',
        ),
        check(policyId, SETUP_STEPS.teams, 'skip', 'Not checked: the operator was not found.'),
      ];
    }
    const user = outcome.user!;
    const found = check(
      lookupId,
      SETUP_STEPS.platform,
      'pass',
      `Found ${user.userPrincipalName} (object ID ${user.id}) by ${field}.`,
    );
    const calendar =
      partner.meetingMode === 'calendarEvent' ? [await this.calendarCheck(partner, outcome.index, user)] : [];
    try {
      await this.gateway.checkAccessPolicy(partner, user.id);
      return [
        found,
        check(
          policyId,
          SETUP_STEPS.teams,
          'pass',
          `${user.userPrincipalName} holds an application access policy for this application.`,
        ),
        ...calendar,
      ];
    } catch (error) {
      if (error instanceof UnknownOrganizerError) {
        return [
          found,
          check(
            policyId,
            SETUP_STEPS.teams,
            'fail',
            `Graph does not know object ID ${user.id}.`,
            'Run the check again; if it persists, the account was deleted or recreated in Entra ID.',
            'OPERATOR_NOT_FOUND',
          ),
        ];
      }
      return [
        found,
        failureOf(policyId, SETUP_STEPS.teams, error, `Graph refused to act for ${user.userPrincipalName}`),
        ...calendar,
      ];
    }
  }

  /** Calendar mode: one read of the adviser's calendar (nothing is written). */
  private async calendarCheck(
    partner: PartnerRecord,
    index: number | string,
    user: { id: string; userPrincipalName: string },
  ): Promise<SetupCheck> {
    const id = `calendar:${index}`;
    try {
      await this.gateway.checkCalendar(partner, user.id);
      return check(
        id,
        SETUP_STEPS.exchange,
        'pass',
        `Exchange lets the application use the calendar of ${user.userPrincipalName}.`,
      );
    } catch (error) {
      return failureOf(
        id,
        SETUP_STEPS.exchange,
        error,
        `Exchange refused the calendar of ${user.userPrincipalName}`,
      );
    }
  }

  /** Looks operators up afresh (a diagnosis must not trust yesterday's cache). */
  private async resolveOperators(partner: PartnerRecord, operators: Identity[]): Promise<OperatorOutcome[]> {
    const field = partner.operatorRemoteMatchField;
    const values = operators.map((o) => localValue(o, partner.operatorLocalMatchField));
    for (const value of values) if (value !== null) this.identities.invalidate(partner, field, value);
    const outcomes = await this.identities.match(partner, field, values);
    return outcomes.map((outcome, index): OperatorOutcome => {
      if (outcome.status === 'matched') {
        const { id, userPrincipalName, mail } = outcome.user;
        return { index, value: outcome.value, status: 'matched', user: { id, userPrincipalName, mail } };
      }
      return { index, value: outcome.value, status: outcome.status };
    });
  }
}

/** The daily watch probes this many advisers of a partner at once. */
const WATCH_CONCURRENCY = 4;

/** `fn` over `items`, at most `limit` at once, results in the items' order. */
async function mapInTurns<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** A certificate check of a partner that still signs with its secret: a refusal is a warning. */
function notInUseYet(result: SetupCheck): SetupCheck {
  if (result.status !== 'fail') return result;
  return {
    ...result,
    status: 'warn',
    detail: `${result.detail} Tokens still use the client secret; fix this before switching credentialType to certificate.`,
  };
}
