/**
 * What the domain needs from Microsoft (Entra ID + Graph), in the domain's own terms. The
 * implementation (src/integrations/microsoft) owns MSAL, HTTP, retries and the translation of
 * every Entra/Graph failure into an AppError from the catalogue.
 */
import { AppError } from './errors';
import type { MeetingOptions, PartnerRecord } from './partners/partner.record';

/** A directory user as `User.ReadBasic.All` shows it. */
export interface DirectoryUser {
  id: string;
  userPrincipalName: string;
  mail: string | null;
  displayName: string | null;
}

export interface MeetingAttendeeInput {
  id: string;
  userPrincipalName: string;
  /** The mailbox address, where Exchange sends an event's invitation (the UPN without one). */
  mail?: string | null | undefined;
}

export interface MeetingInput {
  subject: string;
  /** ISO 8601 in UTC. */
  startDateTime: string;
  endDateTime: string;
  attendees: MeetingAttendeeInput[];
}

/** The fields of a Graph onlineMeeting that the service keeps. */
export interface TeamsMeeting {
  id: string;
  joinWebUrl: string;
  joinMeetingId: string | null;
  passcode: string | null;
  subject: string;
  startDateTime: string;
  endDateTime: string;
  attendeeIds: string[];
  /** The options as Teams holds them (Teams' defaults where never set). */
  options: Required<MeetingOptions>;
  /**
   * Calendar mode: the adviser's Outlook event the Teams meeting belongs to, and who it holds
   * (lower-cased addresses: the event knows its attendees by address, not by object id).
   */
  event?: { id: string; iCalUId: string; attendees?: string[] } | undefined;
  /** Steps a provider could not do after the meeting existed (calendar mode): reported, tried again later. */
  warnings?: MeetingWarning[] | undefined;
}

/** A step that failed after the meeting existed: the create still succeeds, and says so. */
export interface MeetingWarning {
  code: string;
  detail: string;
  remediation?: string | undefined;
}

/** An event in an adviser's Outlook calendar with a Teams meeting, as the service reads it. */
export interface CalendarEvent {
  id: string;
  /** The UID every calendar sees (meeting.ics uses it too). */
  iCalUId: string;
  /** The Teams link; null while Graph has not filled it in yet. */
  joinUrl: string | null;
  subject: string;
  /** UTC, `…Z`. */
  startDateTime: string;
  endDateTime: string;
  /** The attendees' addresses, lower-cased. */
  attendees: string[];
}

export interface CalendarEventInput {
  subject: string;
  startDateTime: string;
  endDateTime: string;
  /** Exchange mails each an invitation, updates and the cancellation. */
  attendees: Array<{ address: string; name: string | null }>;
}

/** Full values only; never the body (Graph may then give the event a new Teams link, or none). */
export type CalendarEventPatch = Partial<CalendarEventInput>;

export interface MeetingPatch {
  subject?: string;
  startDateTime?: string;
  endDateTime?: string;
  attendees?: MeetingAttendeeInput[];
  options?: MeetingOptions;
}

/** One session of a meeting, as Teams reports it once the session ended. */
export interface AttendanceReportSummary {
  id: string;
  meetingStartDateTime: string;
  meetingEndDateTime: string;
  totalParticipantCount: number;
}

/** One participant of a session; an anonymous joiner has no object id. */
export interface AttendanceRecord {
  objectId: string | null;
  email: string | null;
  role: string;
  totalAttendanceInSeconds: number;
  intervals: Array<{ joinDateTime: string; leaveDateTime: string }>;
}

export interface MicrosoftGateway {
  /**
   * Users whose `field` equals one of `values` (case-insensitive), in as few Graph calls as the
   * limits allow (15 values a filter, 20 filters a $batch). Keys of the answer are the values
   * lower-cased; a value nobody has maps to [].
   */
  findUsers(
    partner: PartnerRecord,
    field: 'mail' | 'userPrincipalName',
    values: string[],
  ): Promise<Map<string, DirectoryUser[]>>;
  /** Users by object id; a id Graph does not know maps to null. */
  getUsersById(partner: PartnerRecord, ids: string[]): Promise<Map<string, DirectoryUser | null>>;
  /** Idempotent create (`createOrGet` by externalId): `created` false when it already existed. */
  createOrGetMeeting(
    partner: PartnerRecord,
    organizerId: string,
    externalId: string,
    input: MeetingInput,
  ): Promise<{ created: boolean; meeting: TeamsMeeting }>;
  getMeeting(partner: PartnerRecord, organizerId: string, meetingId: string): Promise<TeamsMeeting | null>;
  /** Throws MeetingGoneError when Teams no longer has it. */
  updateMeeting(
    partner: PartnerRecord,
    organizerId: string,
    meetingId: string,
    patch: MeetingPatch,
  ): Promise<TeamsMeeting>;
  /** The meeting's sessions (at most the 50 most recent); MeetingGoneError when Teams lost it. */
  attendanceReports(
    partner: PartnerRecord,
    organizerId: string,
    meetingId: string,
  ): Promise<AttendanceReportSummary[]>;
  /** Every record of one session's report, every page followed. */
  attendanceRecords(
    partner: PartnerRecord,
    organizerId: string,
    meetingId: string,
    reportId: string,
  ): Promise<AttendanceRecord[]>;
  /** 'gone' when Teams no longer had it: deleting twice is harmless. */
  deleteMeeting(partner: PartnerRecord, organizerId: string, meetingId: string): Promise<'deleted' | 'gone'>;
  /** The organizer's online meeting with this join link (an event's Teams meeting); null when none. */
  findMeetingByJoinUrl(
    partner: PartnerRecord,
    organizerId: string,
    joinUrl: string,
  ): Promise<TeamsMeeting | null>;
  /**
   * An event with a Teams meeting in the organizer's calendar. `transactionId` makes a repeated
   * POST answer the event already made; `stamp` is kept on it to find it again (`findEvents`).
   * CALENDAR_ACCESS_DENIED outside the app's Exchange scope; OPERATOR_MAILBOX_UNAVAILABLE without a mailbox.
   */
  createEvent(
    partner: PartnerRecord,
    organizerId: string,
    input: CalendarEventInput,
    keys: { transactionId: string; stamp: string },
  ): Promise<CalendarEvent>;
  /** The organizer's events stamped so (none or one, unless something went wrong). */
  findEvents(partner: PartnerRecord, organizerId: string, stamp: string): Promise<CalendarEvent[]>;
  /** The event; null when it is gone (cancelled or deleted). */
  getEvent(partner: PartnerRecord, organizerId: string, eventId: string): Promise<CalendarEvent | null>;
  /** Exchange mails the change to the attendees; MeetingGoneError when the event is gone. */
  updateEvent(
    partner: PartnerRecord,
    organizerId: string,
    eventId: string,
    patch: CalendarEventPatch,
  ): Promise<CalendarEvent>;
  /** Exchange mails the cancellation with `comment`; 'gone' when it was gone already. */
  cancelEvent(
    partner: PartnerRecord,
    organizerId: string,
    eventId: string,
    comment: string,
  ): Promise<'cancelled' | 'gone'>;
  /** Forget what was built from this partner's credentials (its MSAL client, its token). */
  forgetPartner(partnerId: string): void;
}

/** Graph does not know the organizer's object id (deleted or recreated user): re-resolve once. */
export class UnknownOrganizerError extends Error {
  constructor(readonly organizerId: string) {
    super('Microsoft Graph does not know the organizer');
    this.name = 'UnknownOrganizerError';
  }
}

/** Teams no longer has the meeting (deleted there, or with its organizer): 404 MEETING_NOT_FOUND. */
export class MeetingGoneError extends AppError {
  constructor() {
    super('MEETING_NOT_FOUND', {
      detail: 'Microsoft Teams no longer has this meeting (it was deleted in Teams).',
      remediation: 'Send the create (POST /appointments/meeting) again to make a new meeting for it.',
    });
    this.name = 'MeetingGoneError';
  }
}

/** What the setup checks need beyond the meeting calls: probes that create nothing. */
export interface SetupProbe {
  /** A token for the partner (held or new) and its application permissions (`roles`). */
  tokenRoles(partner: PartnerRecord): Promise<string[]>;
  /** Whether Entra accepts a token request signed with this one certificate. */
  probeCertificate(
    partner: PartnerRecord,
    certificate: { thumbprint: string; thumbprintSha256: string; privateKeyPem: string },
  ): Promise<string[]>;
  /** Resolves when Graph lets the app act for this user; throws ACCESS_POLICY_MISSING etc. otherwise. */
  checkAccessPolicy(partner: PartnerRecord, organizerId: string): Promise<void>;
  /**
   * Reads (never writes) the adviser's calendar: resolves when Exchange lets the app use it;
   * throws CALENDAR_ACCESS_DENIED / OPERATOR_MAILBOX_UNAVAILABLE otherwise.
   */
  checkCalendar(partner: PartnerRecord, organizerId: string): Promise<void>;
  /** The application's object id in the partner's tenant (its enterprise application): the token's `oid`. */
  servicePrincipalId(partner: PartnerRecord): Promise<string>;
}

/** What admin consent to the platform app needs from Entra ID's side. */
export interface ConsentEndpoints {
  /** Entra's sign-in host and the Graph scope of the partner's cloud (`…/.default`). */
  consentEndpoint(partner: PartnerRecord): { authorityHost: string; graphScope: string };
  /** The partner's tenant as a GUID (a verified domain resolved through its OpenID configuration). */
  tenantIdOf(partner: PartnerRecord): Promise<string>;
}
