/**
 * Making meetings (ids, join URL, passcode) and showing them as Graph answers them.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { GraphCall } from '../types';
import { copyJson } from '../directory';
import { graphError } from '../responses';
import type { SimAttendee, SimMeeting, SimMeetingOptions, SimResponse, SimUser } from '../types';
import { EVOLVABLE, RequestProblem } from './model';
import { isoFromMs } from './parse';

export const ALPHANUMERIC = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

export function randomText(length: number, alphabet = ALPHANUMERIC): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += alphabet.charAt(randomInt(alphabet.length));
  return out;
}

/**
 * A meeting id shaped like Graph's (base64 of `1*{organizer}*0**19:meeting_...@thread.v2`), but
 * with binary noise inside, so that it always holds `/`, `+` and `=`: a caller that does not
 * percent-encode ids in paths fails here as it would on some real ids.
 */
export function newMeetingIds(organizerId: string): { id: string; thread: string } {
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
export function teamsEncode(text: string): string {
  return encodeURIComponent(text).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
}

export function newMeeting(
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

export function shownEnum(value: string, includeUnknown: boolean): string {
  return EVOLVABLE.has(value) && !includeUnknown ? 'unknownFutureValue' : value;
}

/** The onlineMeeting resource as Graph returns it. */
export function render(
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
export function answering(call: GraphCall, run: () => SimResponse): SimResponse {
  try {
    return run();
  } catch (error) {
    if (error instanceof RequestProblem)
      return graphError(call.env.answer, error.status, error.code, error.message);
    throw error;
  }
}

export function ownMeeting(call: GraphCall, organizer: SimUser): SimMeeting | undefined {
  const meeting = call.env.directory.meeting(call.params['meetingId'] ?? '');
  return meeting && meeting.tenantId === call.caller.tenantId && meeting.organizerId === organizer.id
    ? meeting
    : undefined;
}

export function meetingNotFound(call: GraphCall): SimResponse {
  return graphError(call.env.answer, 404, 'NotFound', 'The specified online meeting was not found.');
}
