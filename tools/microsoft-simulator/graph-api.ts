/**
 * Graph's front door: checks the Bearer token (signature, audience, lifetime, tenant), then hands
 * the request to the operation's handler. Used for requests from the wire and for $batch items.
 */
import { graphError, type AnswerContext } from './responses';
import type { Route } from './routes';
import type { GraphCall, GraphCaller, GraphEnv, GraphResult, SimRequest, SimResponse } from './types';
import { getUser, listUsers } from './graph-users';
import {
  cancelEvent,
  createEvent,
  deleteEvent,
  getEvent,
  listEvents,
  updateEvent,
} from './calendar/handlers';
import { listAttendanceRecords, listAttendanceReports } from './attendance';
import {
  createMeeting,
  createOrGetMeeting,
  deleteMeeting,
  getMeeting,
  listMeetings,
  updateMeeting,
} from './graph-meetings/handlers';

const WWW_AUTHENTICATE =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", ' +
  'client_id="00000003-0000-0000-c000-000000000000"';

function unauthenticated(answer: AnswerContext, message: string): SimResponse {
  return graphError(answer, 401, 'InvalidAuthenticationToken', message, {
    'www-authenticate': WWW_AUTHENTICATE,
  });
}

/** The caller of a valid Bearer token, or Graph's 401. */
export function authenticate(req: SimRequest, env: GraphEnv): GraphCaller | SimResponse {
  const header = req.headers['authorization'] ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) return unauthenticated(env.answer, 'Access token is empty.');
  const check = env.signer.check(match[1]);
  if (!check.ok) return unauthenticated(env.answer, check.message);
  const tenant = env.directory.resolveTenant(check.claims.tid);
  if (!tenant) return unauthenticated(env.answer, 'Access token validation failure. Invalid tenant.');
  return {
    tenantId: tenant.id,
    appId: check.claims.appid,
    roles: check.claims.roles ?? [],
    claims: check.claims,
  };
}

export function prefersUnknownEnumMembers(headers: Record<string, string>): boolean {
  return (headers['prefer'] ?? '')
    .split(',')
    .map((p) => p.trim().toLowerCase())
    .includes('include-unknown-enum-members');
}

/** Answers one Graph request (not `$batch`, which the batch handler expands into these). */
export function dispatchGraph(req: SimRequest, route: Route, env: GraphEnv): GraphResult {
  const caller = authenticate(req, env);
  if (!('tenantId' in caller)) return { response: caller };
  const call: GraphCall = {
    req,
    params: route.params,
    env,
    caller,
    includeUnknownEnumMembers: prefersUnknownEnumMembers(req.headers),
  };
  const respond = (response: SimResponse): GraphResult => ({ response, caller });
  if (route.methodNotAllowed) {
    return respond(
      graphError(
        env.answer,
        405,
        'Request_BadRequest',
        'Specified HTTP method is not allowed for the request target.',
      ),
    );
  }
  switch (route.operation) {
    case 'users.list':
      return respond(listUsers(call));
    case 'users.get':
      return respond(getUser(call));
    case 'onlineMeetings.create':
      return respond(createMeeting(call));
    case 'onlineMeetings.createOrGet':
      return respond(createOrGetMeeting(call));
    case 'onlineMeetings.get':
      return respond(getMeeting(call));
    case 'onlineMeetings.list':
      return respond(listMeetings(call));
    case 'onlineMeetings.update':
      return respond(updateMeeting(call));
    case 'onlineMeetings.delete':
      return respond(deleteMeeting(call));
    case 'events.create':
      return respond(createEvent(call));
    case 'events.list':
      return respond(listEvents(call));
    case 'events.get':
      return respond(getEvent(call));
    case 'events.update':
      return respond(updateEvent(call));
    case 'events.cancel':
      return respond(cancelEvent(call));
    case 'events.delete':
      return respond(deleteEvent(call));
    case 'attendanceReports.list':
      return respond(listAttendanceReports(call));
    case 'attendanceRecords.list':
      return respond(listAttendanceRecords(call, env.attendancePageSize));
    default:
      return respond(
        graphError(
          env.answer,
          400,
          'BadRequest',
          `Resource not found for the segment '${route.unknownSegment ?? ''}'.`,
        ),
      );
  }
}
