/**
 * The `/users/{userId}/onlineMeetings` operations: create, createOrGet (idempotent by tenant + user + externalId),
 * get, list by join URL, update and delete, with what Graph enforces on the way: the
 * OnlineMeetings permission, the user's Entra object ID in the path, the Teams application access
 * policy, evolvable enum members, and the observed 500 for attendees without `upn`.
 */
import type { GraphCall } from '../types';
import {
  evaluate,
  FilterSyntaxError,
  FilterUnsupportedError,
  parseFilter,
  type FilterNode,
} from '../odata-filter';
import { graphError, graphOk } from '../responses';
import type { SimMeeting, SimResponse } from '../types';
import { CREATE_OR_GET_PARAMETERS, JsonObject, MEETING_DEFAULTS, badRequest } from './model';
import { guard } from './guard';
import {
  checkKnownProperties,
  readBody,
  readOptions,
  readParticipants,
  readSubject,
  readTimes,
} from './parse';
import { answering, meetingNotFound, newMeeting, ownMeeting, render } from './render';

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
    if (found.length === 0 && call.env.meetingLookupMiss === 'notFound') {
      return graphError(call.env.answer, 404, 'NotFound', 'Specified meeting is not found.');
    }
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
