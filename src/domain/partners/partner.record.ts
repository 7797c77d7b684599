/** The remote match fields that `User.ReadBasic.All` can filter on (README, "How it works"). */
export const REMOTE_MATCH_FIELDS = ['mail', 'userPrincipalName', 'id'] as const;
export type RemoteMatchField = (typeof REMOTE_MATCH_FIELDS)[number];

/** Microsoft clouds where Teams online meetings exist (not China/21Vianet). */
export const CLOUDS = ['global', 'usgov', 'usgovdod'] as const;
export type Cloud = (typeof CLOUDS)[number];

export const CREDENTIAL_TYPES = ['clientSecret', 'certificate', 'platformApp'] as const;

/**
 * Where a partner's meetings live: a standalone Teams meeting (on nobody's calendar), or an event
 * in the adviser's Outlook calendar with a Teams meeting, whose invitations Exchange sends.
 */
export const MEETING_MODES = ['onlineMeeting', 'calendarEvent'] as const;
export type MeetingMode = (typeof MEETING_MODES)[number];
export type CredentialType = (typeof CREDENTIAL_TYPES)[number];

export const LOBBY_BYPASS_SCOPES = [
  'organizer',
  'organization',
  'organizationAndFederated',
  'everyone',
  'invited',
  'organizationExcludingGuests',
] as const;
export const ALLOWED_PRESENTERS = ['everyone', 'organization', 'roleIsPresenter', 'organizer'] as const;
export const MEETING_CHAT_MODES = ['enabled', 'disabled', 'limited'] as const;

export interface MeetingOptions {
  lobbyBypassScope?: (typeof LOBBY_BYPASS_SCOPES)[number];
  allowedPresenters?: (typeof ALLOWED_PRESENTERS)[number];
  allowMeetingChat?: (typeof MEETING_CHAT_MODES)[number];
  recordAutomatically?: boolean;
}

/** What Teams applies to a meeting made through Graph when nothing else is said. */
export const TEAMS_MEETING_DEFAULTS: Required<MeetingOptions> = {
  lobbyBypassScope: 'organization',
  allowedPresenters: 'everyone',
  allowMeetingChat: 'enabled',
  recordAutomatically: false,
};

/** A partner as stored: the setup guide's Step 4 fields, the secret only as ciphertext. */
export interface PartnerRecord {
  id: string;
  applicationId: string;
  tenantId: string;
  /** AES-256-GCM ciphertext (see secret-cipher); null when no secret was stored yet. */
  clientSecretCiphertext: string | null;
  clientSecretExpiresAt: string | null;
  operatorLocalMatchField: string;
  operatorRemoteMatchField: RemoteMatchField;
  userLocalMatchField: string;
  userRemoteMatchField: RemoteMatchField;
  cloud: Cloud;
  /** Which credential token requests use: the stored secret, or the partner's certificates. */
  credentialType: CredentialType;
  meetingDefaults: MeetingOptions;
  meetingMode: MeetingMode;
  /** calendarEvent only: false keeps the students off the event (TARGETconnect sends meeting.ics). */
  sendInvitations: boolean;
  createdAt: string;
  updatedAt: string;
  /** Raised by every write; a write is made only over the version it was made from. */
  version: number;
  /** platformApp: whether the university's admin consented to TARGETconnect's application. */
  consent: PartnerConsent;
}

export interface PartnerConsent {
  status: 'none' | 'granted' | 'denied';
  /** When the admin consented (granted). */
  grantedAt: string | null;
  /** Entra's reason, when denied. */
  error: string | null;
}

export const NO_CONSENT: PartnerConsent = { status: 'none', grantedAt: null, error: null };

/** A partner as the API shows it: never the secret, only whether one is stored. */
export interface PartnerView extends Omit<PartnerRecord, 'clientSecretCiphertext' | 'version' | 'consent'> {
  hasClientSecret: boolean;
  consent?: { status: PartnerConsent['status']; grantedAt?: string; error?: string };
}

export function toPartnerView(record: PartnerRecord): PartnerView {
  const { clientSecretCiphertext, version: _version, consent, ...rest } = record;
  return {
    ...rest,
    hasClientSecret: clientSecretCiphertext !== null,
    // Only a platform-app partner consents; the others' registration is their own.
    ...(record.credentialType === 'platformApp' ? { consent: consentView(consent) } : {}),
  };
}

function consentView(consent: PartnerConsent): {
  status: PartnerConsent['status'];
  grantedAt?: string;
  error?: string;
} {
  return {
    status: consent.status,
    ...(consent.grantedAt === null ? {} : { grantedAt: consent.grantedAt }),
    ...(consent.error === null ? {} : { error: consent.error }),
  };
}
