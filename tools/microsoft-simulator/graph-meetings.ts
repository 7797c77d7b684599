/**
 * `/users/{userId}/onlineMeetings`: create, createOrGet (idempotent by tenant + user + externalId),
 * get, list by join URL, update and delete, with what Graph enforces on the way: the
 * OnlineMeetings permission, the user's Entra object ID in the path, the Teams application access
 * policy, evolvable enum members, and the observed 500 for attendees without `upn`.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { GraphCall } from './graph-api';
import { copyJson, isGuid } from './directory';
import {
  evaluate,
  FilterSyntaxError,
  FilterUnsupportedError,
  parseFilter,
  type FilterNode,
} from './odata-filter';
import { graphError, graphOk } from './responses';
import type {
  AllowedPresenters,
  LobbyBypassScope,
  MeetingChatMode,
  ParticipantRole,
  SimAttendee,
  SimMeeting,
  SimMeetingOptions,
  SimResponse,
  SimUser,
} from './types';

const LOBBY_SCOPES: LobbyBypassScope[] = [
  'organizer',
  'organization',
  'organizationAndFederated',
  'everyone',
  'invited',
  'organizationExcludingGuests',
];
const PRESENTERS: AllowedPresenters[] = ['everyone', 'organization', 'roleIsPresenter', 'organizer'];
const CHAT_MODES: MeetingChatMode[] = ['enabled', 'disabled', 'limited'];
const ROLES: ParticipantRole[] = ['attendee', 'presenter', 'producer', 'coorganizer'];
/** Members added after `unknownFutureValue`: hidden unless `Prefer: include-unknown-enum-members`. */
const EVOLVABLE = new Set<string>(['invited', 'organizationExcludingGuests', 'coorganizer']);

/** Teams' defaults for a meeting made through Graph. */
export const MEETING_DEFAULTS: SimMeetingOptions = {
  lobbyBypassSettings: { scope: 'organization', isDialInBypassEnabled: false },
  allowedPresenters: 'everyone',
  allowMeetingChat: 'enabled',
  recordAutomatically: false,
  isEntryExitAnnounced: true,
  allowAttendeeToEnableCamera: true,
  allowAttendeeToEnableMic: true,
};

/** Properties of `microsoft.graph.onlineMeeting`; anything else is refused as OData refuses it. */
const KNOWN_PROPERTIES = new Set<string>([
  'allowAttendeeToEnableCamera',
  'allowAttendeeToEnableMic',
  'allowBreakoutRooms',
  'allowCopyingAndSharingMeetingContent',
  'allowedLobbyAdmitters',
  'allowedPresenters',
  'allowLiveShare',
  'allowMeetingChat',
  'allowParticipantsToChangeName',
  'allowPowerPointSharing',
  'allowRecording',
  'allowTeamworkReactions',
  'allowTranscription',
  'allowWhiteboard',
  'anonymizeIdentityForRoles',
  'audioConferencing',
  'broadcastSettings',
  'chatInfo',
  'chatRestrictions',
  'creationDateTime',
  'endDateTime',
  'externalId',
  'id',
  'isBroadcast',
  'isEntryExitAnnounced',
  'joinInformation',
  'joinMeetingIdSettings',
  'joinUrl',
  'joinWebUrl',
  'lobbyBypassSettings',
  'participants',
  'recordAutomatically',
  'shareMeetingChatHistoryDefault',
  'startDateTime',
  'subject',
  'videoTeleconferenceId',
  'watermarkProtection',
]);
const CREATE_OR_GET_PARAMETERS = ['externalId', 'startDateTime', 'endDateTime', 'subject', 'participants'];

const WRITE_ROLES = ['OnlineMeetings.ReadWrite.All'];
const READ_ROLES = ['OnlineMeetings.Read.All', 'OnlineMeetings.ReadWrite.All'];

class RequestProblem {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly message: string,
  ) {}
}

function badRequest(message: string): RequestProblem {
  return new RequestProblem(400, 'BadRequest', message);
}

function cannotConvert(value: unknown, type: string): RequestProblem {
  return badRequest(`Cannot convert the literal '${String(value)}' to the expected type '${type}'.`);
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---- guard: permission, organizer, access policy ---------------------------------------------

type Guarded = { organizer: SimUser } | { response: SimResponse };

function guard(call: GraphCall, write: boolean): Guarded {
  const { answer, directory } = call.env;
  const roles = write ? WRITE_ROLES : READ_ROLES;
  if (!call.caller.roles.some((r) => roles.includes(r))) {
    return {
      response: graphError(
        answer,
        403,
        'Forbidden',
        `Application does not have permission to ${write ? 'write' : 'read'} online meetings. It needs ${roles.join(' or ')}.`,
      ),
    };
  }
  const ref = call.params['userId'] ?? '';
  // Only an object ID resolves here; a UPN or email is "not found", as Graph answers.
  const organizer = isGuid(ref) ? directory.userById(call.caller.tenantId, ref) : undefined;
  if (!organizer) {
    return { response: graphError(answer, 404, 'UnknownError', `User '${ref}' not found.`) };
  }
  if (!directory.hasPolicy(call.caller.tenantId, organizer.id, call.caller.appId)) {
    return {
      response: graphError(answer, 403, 'General', 'No application access policy found for this app.'),
    };
  }
  return { organizer };
}

// ---- reading request bodies ---------------------------------------------------------------------

function readBody(call: GraphCall): JsonObject {
  if (call.req.invalidJson) {
    throw badRequest(
      'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
    );
  }
  if (call.req.body === undefined) throw badRequest('Empty Payload. JSON content expected.');
  if (!isObject(call.req.body)) throw badRequest('Invalid request body: a JSON object is expected.');
  return call.req.body;
}

function checkKnownProperties(body: JsonObject): void {
  for (const key of Object.keys(body)) {
    if (key.startsWith('@odata.')) continue;
    if (!KNOWN_PROPERTIES.has(key)) {
      throw badRequest(
        `The property '${key}' does not exist on type 'microsoft.graph.onlineMeeting'. Make sure to only use ` +
          'property names that are defined by the type or mark the type as open type.',
      );
    }
  }
}

const DATE_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,7}))?(Z|[+-]\d{2}:\d{2})?$/i;

/** ISO 8601 with or without offset (none means UTC) → Graph's UTC form, keeping a fraction if given. */
function toUtc(value: unknown, property: string): { iso: string; ms: number } {
  if (typeof value !== 'string') throw cannotConvert(value, 'Edm.DateTimeOffset');
  const match = DATE_TIME.exec(value);
  const ms = match
    ? Date.parse(`${match[1]}${match[2] ? `.${match[2].slice(0, 3).padEnd(3, '0')}` : ''}${match[3] ?? 'Z'}`)
    : NaN;
  if (!match || Number.isNaN(ms)) {
    throw badRequest(
      `Cannot convert the literal '${value}' to the expected type 'Edm.DateTimeOffset' (${property}).`,
    );
  }
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  const base = new Date(ms).toISOString().slice(0, 19);
  return { iso: fraction === '' ? `${base}Z` : `${base}.${fraction.padEnd(7, '0')}Z`, ms };
}

function isoFromMs(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}0000Z`;
}

/** Start and end as createOrGet and create take them: defaults of now and one hour. */
function readTimes(body: JsonObject): { startDateTime: string; endDateTime: string } {
  const hasStart = body['startDateTime'] !== undefined && body['startDateTime'] !== null;
  const hasEnd = body['endDateTime'] !== undefined && body['endDateTime'] !== null;
  if (hasEnd && !hasStart) throw badRequest('endDateTime cannot be provided without startDateTime.');
  const start = hasStart
    ? toUtc(body['startDateTime'], 'startDateTime')
    : { iso: isoFromMs(Date.now()), ms: Date.now() };
  const end = hasEnd
    ? toUtc(body['endDateTime'], 'endDateTime')
    : { iso: isoFromMs(start.ms + 3_600_000), ms: start.ms + 3_600_000 };
  if (end.ms < start.ms) throw badRequest('The meeting endDateTime must be later than its startDateTime.');
  return { startDateTime: start.iso, endDateTime: end.iso };
}

function readEnum<T extends string>(
  value: unknown,
  allowed: readonly T[],
  type: string,
  includeUnknown: boolean,
): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) {
    if (EVOLVABLE.has(value) && !includeUnknown) throw cannotConvert(value, type);
    return value as T;
  }
  throw cannotConvert(value, type);
}

function readBoolean(value: unknown): boolean {
  if (typeof value !== 'boolean') throw cannotConvert(value, 'Edm.Boolean');
  return value;
}

/** The options a plain create and an update accept; absent ones keep `base`. */
function readOptions(body: JsonObject, base: SimMeetingOptions, includeUnknown: boolean): SimMeetingOptions {
  const options: SimMeetingOptions = {
    lobbyBypassSettings: { ...base.lobbyBypassSettings },
    allowedPresenters: base.allowedPresenters,
    allowMeetingChat: base.allowMeetingChat,
    recordAutomatically: base.recordAutomatically,
    isEntryExitAnnounced: base.isEntryExitAnnounced,
    allowAttendeeToEnableCamera: base.allowAttendeeToEnableCamera,
    allowAttendeeToEnableMic: base.allowAttendeeToEnableMic,
  };
  const lobby = body['lobbyBypassSettings'];
  if (lobby !== undefined && lobby !== null) {
    if (!isObject(lobby)) throw cannotConvert(JSON.stringify(lobby), 'microsoft.graph.lobbyBypassSettings');
    if (lobby['scope'] !== undefined) {
      options.lobbyBypassSettings.scope = readEnum(
        lobby['scope'],
        LOBBY_SCOPES,
        'microsoft.graph.lobbyBypassScope',
        includeUnknown,
      );
    }
    if (lobby['isDialInBypassEnabled'] !== undefined) {
      options.lobbyBypassSettings.isDialInBypassEnabled = readBoolean(lobby['isDialInBypassEnabled']);
    }
  }
  if (body['allowedPresenters'] !== undefined) {
    options.allowedPresenters = readEnum(
      body['allowedPresenters'],
      PRESENTERS,
      'microsoft.graph.onlineMeetingPresenters',
      includeUnknown,
    );
  }
  if (body['allowMeetingChat'] !== undefined) {
    options.allowMeetingChat = readEnum(
      body['allowMeetingChat'],
      CHAT_MODES,
      'microsoft.graph.meetingChatMode',
      includeUnknown,
    );
  }
  for (const flag of [
    'recordAutomatically',
    'isEntryExitAnnounced',
    'allowAttendeeToEnableCamera',
    'allowAttendeeToEnableMic',
  ] as const) {
    if (body[flag] !== undefined) options[flag] = readBoolean(body[flag]);
  }
  return options;
}

function readSubject(body: JsonObject): string | null | undefined {
  const subject = body['subject'];
  if (subject === undefined) return undefined;
  if (subject !== null && typeof subject !== 'string') throw cannotConvert(subject, 'Edm.String');
  return subject;
}

function readIdentityUser(participant: JsonObject): JsonObject | undefined {
  const identity = participant['identity'];
  if (!isObject(identity)) return undefined;
  const user = identity['user'];
  return isObject(user) ? user : undefined;
}

/** The organizer may be named, but only as the path user. */
function checkOrganizer(participants: JsonObject, organizer: SimUser): void {
  const given = participants['organizer'];
  if (given === undefined || given === null) return;
  if (!isObject(given)) throw cannotConvert(JSON.stringify(given), 'microsoft.graph.meetingParticipantInfo');
  const id = readIdentityUser(given)?.['id'];
  const upn = given['upn'];
  const otherId = typeof id === 'string' && id.toLowerCase() !== organizer.id;
  const otherUpn = typeof upn === 'string' && upn.toLowerCase() !== organizer.userPrincipalName.toLowerCase();
  if (otherId || otherUpn) {
    throw badRequest(
      'The organizer of an online meeting must be the user in the request path and cannot be changed.',
    );
  }
}

/** Attendees as Graph keeps them; one without `upn` makes Graph fail with 500 (observed). */
function readAttendees(participants: JsonObject, includeUnknown: boolean): SimAttendee[] | undefined {
  const list = participants['attendees'];
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list))
    throw cannotConvert(JSON.stringify(list), 'Collection(microsoft.graph.meetingParticipantInfo)');
  return list.map((item: unknown) => {
    if (!isObject(item)) throw cannotConvert(JSON.stringify(item), 'microsoft.graph.meetingParticipantInfo');
    const upn = item['upn'];
    if (typeof upn !== 'string' || upn.trim() === '') {
      throw new RequestProblem(500, 'InternalServerError', 'Internal Server Error');
    }
    const role = item['role'];
    const user = readIdentityUser(item);
    const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
    return {
      upn,
      role:
        role === undefined || role === null
          ? null
          : readEnum(role, ROLES, 'microsoft.graph.onlineMeetingRole', includeUnknown),
      userId: text(user?.['id']),
      tenantId: text(user?.['tenantId']),
      displayName: text(user?.['displayName']),
    };
  });
}

function readParticipants(
  body: JsonObject,
  organizer: SimUser,
  includeUnknown: boolean,
): { attendees?: SimAttendee[] } {
  const participants = body['participants'];
  if (participants === undefined || participants === null) return {};
  if (!isObject(participants))
    throw cannotConvert(JSON.stringify(participants), 'microsoft.graph.meetingParticipants');
  checkOrganizer(participants, organizer);
  const attendees = readAttendees(participants, includeUnknown);
  return attendees === undefined ? {} : { attendees };
}

// ---- making and showing meetings ----------------------------------------------------------------

const ALPHANUMERIC = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

function randomText(length: number, alphabet = ALPHANUMERIC): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += alphabet.charAt(randomInt(alphabet.length));
  return out;
}

/**
 * A meeting id shaped like Graph's (base64 of `1*{organizer}*0**19:meeting_...@thread.v2`), but
 * with binary noise inside, so that it always holds `/`, `+` and `=`: a caller that does not
 * percent-encode ids in paths fails here as it would on some real ids.
 */
function newMeetingIds(organizerId: string): { id: string; thread: string } {
  const thread = `19:meeting_${randomBytes(30).toString('base64url')}@thread.v2`;
  const head = Buffer.from(`1*${organizerId}*0**19:meeting_`, 'utf8');
  const tail = Buffer.from('@thread.v2', 'utf8');
  // head + noise + tail is 94 bytes (not a multiple of 3), so the base64 ends in '='.
  for (let attempt = 0; ; attempt += 1) {
    const id = Buffer.concat([head, randomBytes(31), tail]).toString('base64');
    if ((id.includes('/') && id.includes('+') && id.endsWith('=')) || attempt > 1000) return { id, thread };
  }
}

/** Percent-encodes as Teams writes its join links: escapes in lower case (`%3a`, `%40`). */
function teamsEncode(text: string): string {
  return encodeURIComponent(text).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
}

function newMeeting(
  call: GraphCall,
  organizer: SimUser,
  fields: {
    externalId: string | null;
    subject: string | null;
    startDateTime: string;
    endDateTime: string;
    attendees: SimAttendee[];
    options: SimMeetingOptions;
  },
): SimMeeting {
  const { id, thread } = newMeetingIds(organizer.id);
  const context = teamsEncode(JSON.stringify({ Tid: call.caller.tenantId, Oid: organizer.id }));
  return {
    id,
    tenantId: call.caller.tenantId,
    organizerId: organizer.id,
    appId: call.caller.appId,
    externalId: fields.externalId,
    subject: fields.subject,
    startDateTime: fields.startDateTime,
    endDateTime: fields.endDateTime,
    creationDateTime: isoFromMs(Date.now()),
    joinWebUrl: `https://teams.microsoft.com/l/meetup-join/${teamsEncode(thread)}/0?context=${context}`,
    joinMeetingId: `${randomInt(1, 10)}${randomText(11, '0123456789')}`,
    passcode: randomText(6),
    chatThreadId: thread,
    attendees: fields.attendees,
    ...copyJson(fields.options),
  };
}

function shownEnum(value: string, includeUnknown: boolean): string {
  return EVOLVABLE.has(value) && !includeUnknown ? 'unknownFutureValue' : value;
}

/** The onlineMeeting resource as Graph returns it. */
function render(
  call: GraphCall,
  meeting: SimMeeting,
  organizer: SimUser,
  entity = true,
): Record<string, unknown> {
  const unknown = call.includeUnknownEnumMembers;
  const identity = (id: string | null, displayName: string | null, tenantId: string | null): unknown => ({
    application: null,
    device: null,
    user: { id, displayName, tenantId, identityProvider: 'AAD' },
  });
  return {
    ...(entity
      ? {
          '@odata.context': `${call.env.graphBaseUrl}/$metadata#users('${organizer.id}')/onlineMeetings/$entity`,
        }
      : {}),
    id: meeting.id,
    creationDateTime: meeting.creationDateTime,
    startDateTime: meeting.startDateTime,
    endDateTime: meeting.endDateTime,
    joinUrl: meeting.joinWebUrl,
    joinWebUrl: meeting.joinWebUrl,
    meetingCode: meeting.joinMeetingId,
    subject: meeting.subject,
    isBroadcast: false,
    autoAdmittedUsers: 'everyoneInCompany',
    outerMeetingAutoAdmittedUsers: null,
    isEntryExitAnnounced: meeting.isEntryExitAnnounced,
    allowedPresenters: meeting.allowedPresenters,
    allowMeetingChat: meeting.allowMeetingChat,
    allowTeamworkReactions: true,
    allowAttendeeToEnableMic: meeting.allowAttendeeToEnableMic,
    allowAttendeeToEnableCamera: meeting.allowAttendeeToEnableCamera,
    recordAutomatically: meeting.recordAutomatically,
    videoTeleconferenceId: null,
    externalId: meeting.externalId,
    broadcastSettings: null,
    audioConferencing: null,
    meetingInfo: null,
    participants: {
      organizer: {
        upn: organizer.userPrincipalName,
        role: 'presenter',
        identity: identity(organizer.id, organizer.displayName, meeting.tenantId),
      },
      attendees: meeting.attendees.map((a) => ({
        upn: a.upn,
        role: a.role === null ? null : shownEnum(a.role, unknown),
        identity: identity(a.userId, a.displayName, a.tenantId),
      })),
      producers: [],
      contributors: [],
    },
    lobbyBypassSettings: {
      scope: shownEnum(meeting.lobbyBypassSettings.scope, unknown),
      isDialInBypassEnabled: meeting.lobbyBypassSettings.isDialInBypassEnabled,
    },
    joinMeetingIdSettings: {
      isPasscodeRequired: true,
      joinMeetingId: meeting.joinMeetingId,
      passcode: meeting.passcode,
    },
    chatInfo: { threadId: meeting.chatThreadId, messageId: '0', replyChainMessageId: null },
    joinInformation: {
      content: `data:text/html,${encodeURIComponent(`<a href="${meeting.joinWebUrl}">Join the meeting now</a>`)}`,
      contentType: 'html',
    },
  };
}

/** Runs a handler body, turning a RequestProblem into Graph's error answer. */
function answering(call: GraphCall, run: () => SimResponse): SimResponse {
  try {
    return run();
  } catch (error) {
    if (error instanceof RequestProblem)
      return graphError(call.env.answer, error.status, error.code, error.message);
    throw error;
  }
}

function ownMeeting(call: GraphCall, organizer: SimUser): SimMeeting | undefined {
  const meeting = call.env.directory.meeting(call.params['meetingId'] ?? '');
  return meeting && meeting.tenantId === call.caller.tenantId && meeting.organizerId === organizer.id
    ? meeting
    : undefined;
}

function meetingNotFound(call: GraphCall): SimResponse {
  return graphError(call.env.answer, 404, 'NotFound', 'The specified online meeting was not found.');
}

// ---- operations -----------------------------------------------------------------------------------

/** `POST /users/{userId}/onlineMeetings` → 201. */
export function createMeeting(call: GraphCall): SimResponse {
  const guarded = guard(call, true);
  if ('response' in guarded) return guarded.response;
  const { organizer } = guarded;
  return answering(call, () => {
    const body = readBody(call);
    checkKnownProperties(body);
    if (body['externalId'] !== undefined && body['externalId'] !== null) {
      throw badRequest("The property 'externalId' can only be set through createOrGet.");
    }
    const times = readTimes(body);
    const participants = readParticipants(body, organizer, call.includeUnknownEnumMembers);
    const meeting = newMeeting(call, organizer, {
      externalId: null,
      subject: readSubject(body) ?? null,
      ...times,
      attendees: participants.attendees ?? [],
      options: readOptions(body, MEETING_DEFAULTS, call.includeUnknownEnumMembers),
    });
    call.env.directory.saveMeeting(meeting);
    return graphOk(call.env.answer, 201, render(call, meeting, organizer));
  });
}

/** `POST /users/{userId}/onlineMeetings/createOrGet` → 201 made, 200 existing. Other options are ignored. */
export function createOrGetMeeting(call: GraphCall): SimResponse {
  const guarded = guard(call, true);
  if ('response' in guarded) return guarded.response;
  const { organizer } = guarded;
  return answering(call, () => {
    const full = readBody(call);
    const body: JsonObject = {};
    for (const key of CREATE_OR_GET_PARAMETERS) if (full[key] !== undefined) body[key] = full[key];
    const externalId = body['externalId'];
    if (typeof externalId !== 'string' || externalId === '') {
      throw badRequest('externalId is required.');
    }
    const existing = call.env.directory.meetingByExternalId(call.caller.tenantId, organizer.id, externalId);
    if (existing) return graphOk(call.env.answer, 200, render(call, existing, organizer));
    const times = readTimes(body);
    const participants = readParticipants(body, organizer, call.includeUnknownEnumMembers);
    const meeting = newMeeting(call, organizer, {
      externalId,
      subject: readSubject(body) ?? null,
      ...times,
      attendees: participants.attendees ?? [],
      options: MEETING_DEFAULTS,
    });
    call.env.directory.saveMeeting(meeting);
    return graphOk(call.env.answer, 201, render(call, meeting, organizer));
  });
}

/** `GET /users/{userId}/onlineMeetings/{meetingId}`. */
export function getMeeting(call: GraphCall): SimResponse {
  const guarded = guard(call, false);
  if ('response' in guarded) return guarded.response;
  const meeting = ownMeeting(call, guarded.organizer);
  if (!meeting) return meetingNotFound(call);
  return graphOk(call.env.answer, 200, render(call, meeting, guarded.organizer));
}

function joinFilter(text: string | undefined): FilterNode {
  if (text === undefined) {
    throw badRequest("Filter expression expected - /onlineMeetings?$filter=JoinWebUrl eq '{joinWebUrl}'.");
  }
  let node: FilterNode;
  try {
    node = parseFilter(text);
  } catch (error) {
    if (error instanceof FilterSyntaxError) throw badRequest(error.message);
    if (error instanceof FilterUnsupportedError)
      throw badRequest(`Invalid filter clause: '${error.property}' is not supported.`);
    throw error;
  }
  const property = node.type === 'compare' ? node.property.toLowerCase() : '';
  if (
    node.type !== 'compare' ||
    node.operator !== 'eq' ||
    typeof node.value !== 'string' ||
    !['joinweburl', 'joinmeetingidsettings/joinmeetingid'].includes(property)
  ) {
    throw badRequest(
      "Invalid filter clause: only JoinWebUrl eq '...' or joinMeetingIdSettings/joinMeetingId eq '...' is supported.",
    );
  }
  return node;
}

/** `GET /users/{userId}/onlineMeetings?$filter=JoinWebUrl eq '...'`: the path user's meetings. */
export function listMeetings(call: GraphCall): SimResponse {
  const guarded = guard(call, false);
  if ('response' in guarded) return guarded.response;
  const { organizer } = guarded;
  return answering(call, () => {
    const filter = joinFilter(call.req.query['$filter']);
    if (filter.type !== 'compare') throw badRequest('Invalid filter clause.');
    const wanted = filter.value;
    const byUrl = filter.property.toLowerCase() === 'joinweburl';
    const found = call.env.directory
      .meetings({ tenantId: call.caller.tenantId, userId: organizer.id })
      // Join URLs compare exactly: a decoded or re-encoded URL is a different URL.
      .filter((m) => (byUrl ? m.joinWebUrl === wanted : evaluate(filter, () => m.joinMeetingId)));
    return graphOk(call.env.answer, 200, {
      '@odata.context': `${call.env.graphBaseUrl}/$metadata#users('${organizer.id}')/onlineMeetings`,
      value: found.map((m) => render(call, m, organizer, false)),
    });
  });
}

/**
 * `PATCH /users/{userId}/onlineMeetings/{meetingId}` → 200: start and end only together, attendees
 * as the full list, organizer unchanged, join link and IDs unchanged.
 */
export function updateMeeting(call: GraphCall): SimResponse {
  const guarded = guard(call, true);
  if ('response' in guarded) return guarded.response;
  const { organizer } = guarded;
  const meeting = ownMeeting(call, organizer);
  if (!meeting) return meetingNotFound(call);
  return answering(call, () => {
    const body = readBody(call);
    checkKnownProperties(body);
    const hasStart = body['startDateTime'] !== undefined;
    const hasEnd = body['endDateTime'] !== undefined;
    if (hasStart !== hasEnd) {
      throw badRequest('startDateTime and endDateTime must be updated together.');
    }
    const updated: SimMeeting = { ...meeting, ...readOptions(body, meeting, call.includeUnknownEnumMembers) };
    if (hasStart) Object.assign(updated, readTimes(body));
    const subject = readSubject(body);
    if (subject !== undefined) updated.subject = subject;
    const participants = readParticipants(body, organizer, call.includeUnknownEnumMembers);
    if (participants.attendees) updated.attendees = participants.attendees;
    call.env.directory.saveMeeting(updated);
    return graphOk(call.env.answer, 200, render(call, updated, organizer));
  });
}

/** `DELETE /users/{userId}/onlineMeetings/{meetingId}` → 204. */
export function deleteMeeting(call: GraphCall): SimResponse {
  const guarded = guard(call, true);
  if ('response' in guarded) return guarded.response;
  const meeting = ownMeeting(call, guarded.organizer);
  if (!meeting) return meetingNotFound(call);
  call.env.directory.deleteMeeting(meeting.id);
  return graphOk(call.env.answer, 204);
}
