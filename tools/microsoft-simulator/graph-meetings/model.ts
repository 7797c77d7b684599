/**
 * What Graph's onlineMeetings enforce on values: the enums, the known properties, the roles, and the
 * problem a bad request becomes.
 */
import type {
  AllowedPresenters,
  LobbyBypassScope,
  MeetingChatMode,
  ParticipantRole,
  SimMeetingOptions,
} from '../types';

export const LOBBY_SCOPES: LobbyBypassScope[] = [
  'organizer',
  'organization',
  'organizationAndFederated',
  'everyone',
  'invited',
  'organizationExcludingGuests',
];
export const PRESENTERS: AllowedPresenters[] = ['everyone', 'organization', 'roleIsPresenter', 'organizer'];
export const CHAT_MODES: MeetingChatMode[] = ['enabled', 'disabled', 'limited'];
export const ROLES: ParticipantRole[] = ['attendee', 'presenter', 'producer', 'coorganizer'];
/** Members added after `unknownFutureValue`: hidden unless `Prefer: include-unknown-enum-members`. */
export const EVOLVABLE = new Set<string>(['invited', 'organizationExcludingGuests', 'coorganizer']);

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
export const KNOWN_PROPERTIES = new Set<string>([
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
export const CREATE_OR_GET_PARAMETERS = [
  'externalId',
  'startDateTime',
  'endDateTime',
  'subject',
  'participants',
];

export const WRITE_ROLES = ['OnlineMeetings.ReadWrite.All'];
export const READ_ROLES = ['OnlineMeetings.Read.All', 'OnlineMeetings.ReadWrite.All'];

export class RequestProblem {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly message: string,
  ) {}
}

export function badRequest(message: string): RequestProblem {
  return new RequestProblem(400, 'BadRequest', message);
}

export function cannotConvert(value: unknown, type: string): RequestProblem {
  return badRequest(`Cannot convert the literal '${String(value)}' to the expected type '${type}'.`);
}

export type JsonObject = Record<string, unknown>;

export { isObject } from '../json';
