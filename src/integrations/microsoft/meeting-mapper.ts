/**
 * Between the domain's meetings and Graph's onlineMeeting resource: request bodies for
 * createOrGet and PATCH, and the fields of an answer the service keeps.
 */
import type {
  MeetingAttendeeInput,
  MeetingInput,
  MeetingPatch,
  TeamsMeeting,
} from '../../domain/microsoft.port';
import {
  ALLOWED_PRESENTERS,
  LOBBY_BYPASS_SCOPES,
  MEETING_CHAT_MODES,
  TEAMS_MEETING_DEFAULTS,
  type MeetingOptions,
} from '../../domain/partners/partner.record';
import { isJsonObject, type JsonObject } from './json';

/** An attendee as Graph wants it: the object id, and the UPN (without it Graph answered 500). */
export function attendeeBody(attendee: MeetingAttendeeInput): JsonObject {
  return { identity: { user: { id: attendee.id } }, upn: attendee.userPrincipalName, role: 'attendee' };
}

/** createOrGet takes only these; options are set with a PATCH afterwards. */
export function createOrGetBody(externalId: string, input: MeetingInput): JsonObject {
  return {
    externalId,
    startDateTime: input.startDateTime,
    endDateTime: input.endDateTime,
    subject: input.subject,
    participants: { attendees: input.attendees.map(attendeeBody) },
  };
}

/** The domain's options in Graph's property names. */
export function optionsBody(options: MeetingOptions): JsonObject {
  const body: JsonObject = {};
  if (options.lobbyBypassScope !== undefined)
    body['lobbyBypassSettings'] = { scope: options.lobbyBypassScope };
  if (options.allowedPresenters !== undefined) body['allowedPresenters'] = options.allowedPresenters;
  if (options.allowMeetingChat !== undefined) body['allowMeetingChat'] = options.allowMeetingChat;
  if (options.recordAutomatically !== undefined) body['recordAutomatically'] = options.recordAutomatically;
  return body;
}

/** A PATCH body: start and end together, attendees as the full list. */
export function patchBody(patch: MeetingPatch): JsonObject {
  const body: JsonObject = {};
  if (patch.subject !== undefined) body['subject'] = patch.subject;
  if (patch.startDateTime !== undefined || patch.endDateTime !== undefined) {
    if (patch.startDateTime === undefined || patch.endDateTime === undefined) {
      throw new Error('updateMeeting: startDateTime and endDateTime go together');
    }
    body['startDateTime'] = patch.startDateTime;
    body['endDateTime'] = patch.endDateTime;
  }
  if (patch.attendees !== undefined) body['participants'] = { attendees: patch.attendees.map(attendeeBody) };
  if (patch.options !== undefined) Object.assign(body, optionsBody(patch.options));
  return body;
}

function oneOf<T extends string>(allowed: readonly T[], value: unknown, fallback: T): T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value)
    ? (value as T)
    : fallback;
}

/** Graph's times (`2026-03-02T09:00:00.0000000Z`) as ISO 8601 UTC; undefined when unreadable. */
function utc(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

function optionalText(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The meeting as the service keeps it; undefined when the answer lacks what every meeting has. */
export function toTeamsMeeting(raw: unknown): TeamsMeeting | undefined {
  if (!isJsonObject(raw)) return undefined;
  const id = raw['id'];
  const joinWebUrl = raw['joinWebUrl'];
  const startDateTime = utc(raw['startDateTime']);
  const endDateTime = utc(raw['endDateTime']);
  if (typeof id !== 'string' || id === '' || typeof joinWebUrl !== 'string') return undefined;
  if (startDateTime === undefined || endDateTime === undefined) return undefined;

  const joinSettings = isJsonObject(raw['joinMeetingIdSettings']) ? raw['joinMeetingIdSettings'] : {};
  const participants = isJsonObject(raw['participants']) ? raw['participants'] : {};
  const attendees = Array.isArray(participants['attendees']) ? (participants['attendees'] as unknown[]) : [];
  const attendeeIds: string[] = [];
  for (const attendee of attendees) {
    if (!isJsonObject(attendee) || !isJsonObject(attendee['identity'])) continue;
    const user = attendee['identity']['user'];
    if (isJsonObject(user) && typeof user['id'] === 'string' && user['id'] !== '')
      attendeeIds.push(user['id']);
  }
  const lobby = isJsonObject(raw['lobbyBypassSettings']) ? raw['lobbyBypassSettings'] : {};
  const defaults = TEAMS_MEETING_DEFAULTS;
  return {
    id,
    joinWebUrl,
    joinMeetingId: optionalText(joinSettings['joinMeetingId']),
    passcode: optionalText(joinSettings['passcode']),
    subject: typeof raw['subject'] === 'string' ? raw['subject'] : '',
    startDateTime,
    endDateTime,
    attendeeIds,
    options: {
      lobbyBypassScope: oneOf(LOBBY_BYPASS_SCOPES, lobby['scope'], defaults.lobbyBypassScope),
      allowedPresenters: oneOf(ALLOWED_PRESENTERS, raw['allowedPresenters'], defaults.allowedPresenters),
      allowMeetingChat: oneOf(MEETING_CHAT_MODES, raw['allowMeetingChat'], defaults.allowMeetingChat),
      recordAutomatically:
        typeof raw['recordAutomatically'] === 'boolean'
          ? raw['recordAutomatically']
          : defaults.recordAutomatically,
    },
  };
}
