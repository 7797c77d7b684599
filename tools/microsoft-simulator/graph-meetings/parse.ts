/**
 * Reading onlineMeetings request bodies as Graph does: known properties, times, enums, options,
 * participants.
 */
import type { GraphCall } from '../types';
import type { SimAttendee, SimMeetingOptions, SimUser } from '../types';
import {
  CHAT_MODES,
  EVOLVABLE,
  JsonObject,
  KNOWN_PROPERTIES,
  LOBBY_SCOPES,
  PRESENTERS,
  ROLES,
  RequestProblem,
  badRequest,
  cannotConvert,
  isObject,
} from './model';

export function readBody(call: GraphCall): JsonObject {
  if (call.req.invalidJson) {
    throw badRequest(
      'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
    );
  }
  if (call.req.body === undefined) throw badRequest('Empty Payload. JSON content expected.');
  if (!isObject(call.req.body)) throw badRequest('Invalid request body: a JSON object is expected.');
  return call.req.body;
}

export function checkKnownProperties(body: JsonObject): void {
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

export const DATE_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,7}))?(Z|[+-]\d{2}:\d{2})?$/i;

/** ISO 8601 with or without offset (none means UTC) → Graph's UTC form, keeping a fraction if given. */
export function toUtc(value: unknown, property: string): { iso: string; ms: number } {
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

export function isoFromMs(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}0000Z`;
}

/** Start and end as createOrGet and create take them: defaults of now and one hour. */
export function readTimes(body: JsonObject): { startDateTime: string; endDateTime: string } {
  const hasStart = body['startDateTime'] !== undefined && body['startDateTime'] !== null;
  const hasEnd = body['endDateTime'] !== undefined && body['endDateTime'] !== null;
  if (hasEnd && !hasStart) throw badRequest('endDateTime cannot be provided without startDateTime.');
  // One reading of the clock: two could straddle a millisecond, and the default end (an hour
  // after the start's `ms`) would then be an hour and a millisecond after the start's `iso`.
  const now = Date.now();
  const start = hasStart ? toUtc(body['startDateTime'], 'startDateTime') : { iso: isoFromMs(now), ms: now };
  const end = hasEnd
    ? toUtc(body['endDateTime'], 'endDateTime')
    : { iso: isoFromMs(start.ms + 3_600_000), ms: start.ms + 3_600_000 };
  if (end.ms < start.ms) throw badRequest('The meeting endDateTime must be later than its startDateTime.');
  return { startDateTime: start.iso, endDateTime: end.iso };
}

export function readEnum<T extends string>(
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

export function readBoolean(value: unknown): boolean {
  if (typeof value !== 'boolean') throw cannotConvert(value, 'Edm.Boolean');
  return value;
}

/** The options a plain create and an update accept; absent ones keep `base`. */
export function readOptions(
  body: JsonObject,
  base: SimMeetingOptions,
  includeUnknown: boolean,
): SimMeetingOptions {
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

export function readSubject(body: JsonObject): string | null | undefined {
  const subject = body['subject'];
  if (subject === undefined) return undefined;
  if (subject !== null && typeof subject !== 'string') throw cannotConvert(subject, 'Edm.String');
  return subject;
}

export function readIdentityUser(participant: JsonObject): JsonObject | undefined {
  const identity = participant['identity'];
  if (!isObject(identity)) return undefined;
  const user = identity['user'];
  return isObject(user) ? user : undefined;
}

/** The organizer may be named, but only as the path user. */
export function checkOrganizer(participants: JsonObject, organizer: SimUser): void {
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
export function readAttendees(participants: JsonObject, includeUnknown: boolean): SimAttendee[] | undefined {
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

export function readParticipants(
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
