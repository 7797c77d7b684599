/** The Microsoft simulator: Entra ID's token endpoint and Microsoft Graph on loopback HTTPS, for tests and the sandbox. */
export { startSimulator, type MicrosoftSimulator, type SimulatorOptions } from './simulator';
export { decodeClaims, GRAPH_APP_ID, GRAPH_RESOURCE } from './access-tokens';
export { MEETING_DEFAULTS } from './graph-meetings/model';
export { MAX_FILTER_EXPRESSIONS } from './graph-users';
export { MAX_BATCH_REQUESTS, type BatchOrder } from './batch-endpoint';
export {
  parseFilter,
  evaluate,
  countExpressions,
  FilterSyntaxError,
  FilterUnsupportedError,
} from './odata-filter';
export type { FilterNode, FilterValue } from './odata-filter';
export { seedSimulator, type SimulatorSeed } from './seed';
export type {
  AccessTokenClaims,
  FaultMatch,
  FaultSpec,
  NewApp,
  NewTenant,
  NewUser,
  Operation,
  RecordedRequest,
  RequestKind,
  SimApp,
  SimConsent,
  SimFederatedCredential,
  SimAttendee,
  SimMeeting,
  SimMeetingOptions,
  SimTenant,
  SimUser,
} from './types';
export type { MeetingLookupMiss } from './types';
export type { SimEvent, SimEventAttendee, SimMail, SimMailKind } from './calendar/model';
