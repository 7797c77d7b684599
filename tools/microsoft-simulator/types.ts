import type { TokenSigner } from './access-tokens';
import type { CalendarStore } from './calendar/model';
import type { Directory } from './directory';
import type { AnswerContext } from './responses';
/**
 * The shapes the Microsoft simulator keeps and shows: directory objects, recorded requests, faults.
 * Kept apart from the handlers so that tests and the sandbox can import them without the server.
 */

/** Which side of Microsoft a request was for. */
export type RequestKind = 'token' | 'openid' | 'graph' | 'portal';

export type Operation =
  | 'token'
  | 'openid-configuration'
  | 'jwks'
  | 'instance-discovery'
  | 'users.list'
  | 'users.get'
  | 'onlineMeetings.create'
  | 'onlineMeetings.createOrGet'
  | 'onlineMeetings.get'
  | 'onlineMeetings.list'
  | 'onlineMeetings.update'
  | 'onlineMeetings.delete'
  | 'attendanceReports.list'
  | 'attendanceRecords.list'
  | 'batch'
  | 'events.create'
  | 'events.list'
  | 'events.get'
  | 'events.update'
  | 'events.cancel'
  | 'events.delete'
  | 'portal.uploadCertificate'
  | 'portal.meetingSession'
  | 'adminconsent'
  | 'unknown';

export interface SimTenant {
  /** Lower-case GUID. */
  id: string;
  /** Verified domains, lower-case. */
  domains: string[];
}

export interface SimSecret {
  value: string;
  /** The secret's ID, as the portal shows it next to the value (people paste it by mistake). */
  id: string;
  expiresAt?: Date;
}

/** A certificate uploaded under *Certificates & secrets → Certificates* (its public part only). */
export interface SimCertificate {
  pem: string;
  /** Upper-case hex SHA-1 of the DER, as the portal's Thumbprint column shows it. */
  thumbprint: string;
  /** Lower-case hex SHA-256 of the DER. */
  thumbprintSha256: string;
  notAfter: Date;
}

export interface SimApp {
  tenantId: string;
  appId: string;
  secrets: SimSecret[];
  certificates: SimCertificate[];
  /** Application permissions with admin consent; they become the token's `roles`. */
  roles: string[];
  /** The tenant refuses app-only `User.ReadBasic.All` on /users (User.Read.All still works). */
  usersEndpointForbidden: boolean;
  /** Registered as multi-tenant: other tenants' admins may consent to it. */
  multiTenant: boolean;
  /** Where admin consent may send the browser back (exact match). */
  redirectUris: string[];
  /** Workload identity federation: the issuers' tokens it accepts as client assertions. */
  federatedCredentials: SimFederatedCredential[];
}

/** A federated identity credential, with the issuer's signing key (the test holds the private one). */
export interface SimFederatedCredential {
  issuer: string;
  subject: string;
  audience: string;
  /** The issuer's public key (PEM, RSA): what Entra would fetch from the issuer's JWKS. */
  publicKeyPem: string;
}

/** A tenant admin's consent to another tenant's multi-tenant app: its service principal here. */
export interface SimConsent {
  tenantId: string;
  appId: string;
  roles: string[];
  grantedAt: number;
  /** Tokens carry the roles only from this moment (Entra's replication lag). */
  effectiveAt: number;
}

export interface SimUser {
  id: string;
  tenantId: string;
  userPrincipalName: string;
  mail: string | null;
  displayName: string | null;
  givenName: string | null;
  surname: string | null;
}

export interface NewTenant {
  id: string;
  domains?: string[];
}

export interface NewApp {
  tenantId: string;
  appId: string;
  secrets: Array<{ value: string; id?: string; expiresAt?: Date }>;
  /** Uploaded certificates, PEM. */
  certificates?: string[];
  roles?: string[];
  usersEndpointForbidden?: boolean;
  multiTenant?: boolean;
  redirectUris?: string[];
  federatedCredentials?: SimFederatedCredential[];
}

export interface NewUser {
  tenantId: string;
  id?: string;
  userPrincipalName: string;
  mail?: string | null;
  displayName?: string;
  givenName?: string;
  surname?: string;
}

export type LobbyBypassScope =
  | 'organizer'
  | 'organization'
  | 'organizationAndFederated'
  | 'everyone'
  | 'invited'
  | 'organizationExcludingGuests';

export type AllowedPresenters = 'everyone' | 'organization' | 'roleIsPresenter' | 'organizer';
export type MeetingChatMode = 'enabled' | 'disabled' | 'limited';
export type ParticipantRole = 'attendee' | 'presenter' | 'producer' | 'coorganizer';

export interface SimAttendee {
  upn: string;
  role: ParticipantRole | null;
  /** Entra object ID when the caller gave one. */
  userId: string | null;
  /** Tenant of the attendee when the caller gave one. */
  tenantId: string | null;
  displayName: string | null;
}

export interface SimMeetingOptions {
  lobbyBypassSettings: { scope: LobbyBypassScope; isDialInBypassEnabled: boolean };
  allowedPresenters: AllowedPresenters;
  allowMeetingChat: MeetingChatMode;
  recordAutomatically: boolean;
  isEntryExitAnnounced: boolean;
  allowAttendeeToEnableCamera: boolean;
  allowAttendeeToEnableMic: boolean;
}

export interface SimMeeting extends SimMeetingOptions {
  id: string;
  tenantId: string;
  organizerId: string;
  /** The app that made it. */
  appId: string;
  externalId: string | null;
  subject: string | null;
  /** UTC, ISO 8601 with `Z`. */
  startDateTime: string;
  endDateTime: string;
  creationDateTime: string;
  joinWebUrl: string;
  joinMeetingId: string;
  passcode: string;
  chatThreadId: string;
  attendees: SimAttendee[];
}

export interface AccessTokenClaims {
  aud: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
  tid: string;
  appid: string;
  oid: string;
  sub: string;
  idtyp: 'app';
  ver: '1.0';
  uti: string;
  roles?: string[];
}

/** Match conditions of a fault; every given field must match. */
export interface FaultMatch {
  method?: string;
  /** Substring of the path (as sent, or percent-decoded). */
  pathIncludes?: string;
  operation?: Operation | string;
  kind?: RequestKind;
}

export interface FaultSpec {
  match?: FaultMatch;
  /** How many matching requests it hits; default 1, `Infinity` allowed. */
  times?: number;
  /** Answer with this status and Microsoft's error shape for it (or `body`). */
  status?: number;
  /**
   * `Retry-After` header value, e.g. '1.5'. 429 and 503 answers get '1' unless given; `null` sends
   * none (to test backoff without the header).
   */
  retryAfter?: string | null;
  /** Replaces the error body. */
  body?: unknown;
  /** Extra answer headers. */
  headers?: Record<string, string>;
  /**
   * Destroy the connection without answering. 'before': nothing was done. 'after': the request
   * was fully handled (e.g. the meeting exists) and the answer is lost. Not applied to $batch items.
   */
  drop?: 'before' | 'after';
  /** Wait this long before answering (or dropping). */
  delayMs?: number;
}

export interface RecordedRequest {
  /** Position in the log, from 1. */
  seq: number;
  at: Date;
  method: string;
  /** The path as sent, without the query (meeting ids stay percent-encoded). */
  path: string;
  /** Decoded path parameters, e.g. `{ tenant }` or `{ userId, meetingId }`. */
  params: Record<string, string>;
  /** Decoded query, e.g. `{ $filter: "mail eq 'a@b'" }`. */
  query: Record<string, string>;
  rawQuery: string;
  /** Lower-case names; Authorization is kept. */
  headers: Record<string, string>;
  /** Parsed JSON, the form as an object (token requests), a string when unparseable, else undefined. */
  body: unknown;
  /** The answer's status; 0 when no answer was sent (dropped before handling). */
  status: number;
  kind: RequestKind;
  operation: Operation;
  /** Tenant GUID: the token's for Graph, the resolved one for token/openid requests. */
  tenantId?: string;
  /** client_id of a token request, or the token's `appid`. */
  appId?: string;
  /** Claims of a valid Bearer token. */
  tokenClaims?: AccessTokenClaims;
  /** Set when this was one item of a $batch: the batch's `seq` and the item's id. */
  fromBatch?: { batchSeq: number; itemId: string };
  /** Set when a fault dropped the connection. */
  dropped?: 'before' | 'after';
  /** Set when a fault's status answered instead of the handler. */
  faulted?: boolean;
  /** The `request-id` the simulator answered with. */
  requestId: string;
}

/** What a handler returns; the server (or the batch) writes it. */
export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** A request as the handlers see it: from the wire, or one item of a $batch. */
export interface SimRequest {
  method: string;
  /** The path as sent, without the query. */
  path: string;
  rawQuery: string;
  /** Decoded query; for a repeated name the first value. */
  query: Record<string, string>;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Parsed JSON or form object; a string when it could not be parsed; undefined when empty. */
  body: unknown;
  /** Set when the body claimed to be JSON and was not. */
  invalidJson?: boolean;
  /** Set when the body was application/x-www-form-urlencoded. */
  isForm?: boolean;
}

// Graph's side: who calls, with what, and the attendance reports it keeps.

/** The app a valid token speaks for. */
export interface GraphCaller {
  tenantId: string;
  appId: string;
  roles: string[];
  claims: AccessTokenClaims;
}

export interface GraphEnv {
  directory: Directory;
  /** Exchange: events, mails, RBAC scopes, mailboxes. */
  calendar: CalendarStore;
  signer: TokenSigner;
  answer: AnswerContext;
  /** `${origin}/v1.0`, for `@odata.context`. */
  graphBaseUrl: string;
  /** What a JoinWebUrl lookup that finds no meeting answers (undocumented in Graph). */
  meetingLookupMiss: MeetingLookupMiss;
  /** Attendance records a page. */
  attendancePageSize: number;
}

/** `empty`: an empty collection; `notFound`: 404 NotFound "Specified meeting is not found.". */
export type MeetingLookupMiss = 'empty' | 'notFound';

/** Everything a Graph operation handler gets. */
export interface GraphCall {
  req: SimRequest;
  params: Record<string, string>;
  env: GraphEnv;
  caller: GraphCaller;
  /** The request sent `Prefer: include-unknown-enum-members`. */
  includeUnknownEnumMembers: boolean;
}

export interface GraphResult {
  response: SimResponse;
  caller?: GraphCaller;
}

export interface SimAttendanceParticipant {
  /** The Entra object id; none for an anonymous joiner. */
  userId?: string;
  email?: string;
  displayName?: string;
  role?: 'Organizer' | 'Presenter' | 'Attendee';
  intervals: Array<{ join: string; leave: string }>;
}

export interface SimAttendanceSession {
  start: string;
  end: string;
  participants: SimAttendanceParticipant[];
}

export interface SimAttendanceReport {
  id: string;
  meetingId: string;
  totalParticipantCount: number;
  meetingStartDateTime: string;
  meetingEndDateTime: string;
  records: unknown[];
}
