/**
 * Attendance reports (GRAPH.md "Attendance reports"): one report per session of a meeting, set up
 * by tests; listed at most the 50 most recent, their records paged with `@odata.nextLink`; behind
 * `OnlineMeetingArtifact.Read.All` and the Teams application access policy, like meetings.
 */
import { randomUUID } from 'node:crypto';
import { guard } from './graph-meetings/guard';
import { meetingNotFound, ownMeeting } from './graph-meetings/render';
import { graphError, graphOk } from './responses';
import type { GraphCall, SimAttendanceReport, SimAttendanceSession, SimResponse } from './types';

export const ATTENDANCE_ROLES = ['OnlineMeetingArtifact.Read.All'];
export const MAX_REPORTS = 50;

const seconds = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 1000);

export function reportOf(
  meetingId: string,
  tenantId: string,
  session: SimAttendanceSession,
): SimAttendanceReport {
  return {
    id: randomUUID(),
    meetingId,
    totalParticipantCount: session.participants.length,
    meetingStartDateTime: session.start,
    meetingEndDateTime: session.end,
    records: session.participants.map((p) => ({
      id: p.userId ?? randomUUID(),
      emailAddress: p.email ?? null,
      role: p.role ?? 'Attendee',
      totalAttendanceInSeconds: p.intervals.reduce((sum, i) => sum + seconds(i.join, i.leave), 0),
      identity: {
        id: p.userId ?? null,
        displayName: p.displayName ?? 'Anonymous',
        tenantId: p.userId ? tenantId : null,
      },
      attendanceIntervals: p.intervals.map((i) => ({
        joinDateTime: i.join,
        leaveDateTime: i.leave,
        durationInSeconds: seconds(i.join, i.leave),
      })),
    })),
  };
}

function allowed(call: GraphCall): { response: SimResponse } | { reports: SimAttendanceReport[] } {
  if (!call.caller.roles.some((r) => ATTENDANCE_ROLES.includes(r))) {
    return {
      response: graphError(
        call.env.answer,
        403,
        'Forbidden',
        `Application does not have permission to read attendance reports. It needs ${ATTENDANCE_ROLES.join(' or ')}.`,
      ),
    };
  }
  const guarded = guard(call, false);
  if ('response' in guarded) return guarded;
  const meeting = ownMeeting(call, guarded.organizer);
  if (!meeting) return { response: meetingNotFound(call) };
  return { reports: call.env.directory.attendanceReports(meeting.id) };
}

/** `GET …/onlineMeetings/{id}/attendanceReports`: the 50 most recent sessions, newest first. */
export function listAttendanceReports(call: GraphCall): SimResponse {
  const found = allowed(call);
  if ('response' in found) return found.response;
  const value = [...found.reports]
    .sort((a, b) => b.meetingStartDateTime.localeCompare(a.meetingStartDateTime))
    .slice(0, MAX_REPORTS)
    .map(({ id, totalParticipantCount, meetingStartDateTime, meetingEndDateTime }) => ({
      id,
      totalParticipantCount,
      meetingStartDateTime,
      meetingEndDateTime,
    }));
  return graphOk(call.env.answer, 200, { value });
}

/** `GET …/attendanceReports/{reportId}/attendanceRecords`, paged by `$skiptoken`. */
export function listAttendanceRecords(call: GraphCall, pageSize: number): SimResponse {
  const found = allowed(call);
  if ('response' in found) return found.response;
  const report = found.reports.find((r) => r.id === call.params['reportId']);
  if (!report) return graphError(call.env.answer, 404, 'NotFound', 'The attendance report was not found.');
  const from = Number(call.req.query['$skiptoken'] ?? '0');
  if (!Number.isInteger(from) || from < 0)
    return graphError(call.env.answer, 400, 'BadRequest', 'Invalid $skiptoken.');
  const value = report.records.slice(from, from + pageSize);
  const next = from + pageSize < report.records.length ? from + pageSize : undefined;
  return graphOk(call.env.answer, 200, {
    value,
    ...(next === undefined
      ? {}
      : {
          '@odata.nextLink': `${call.env.graphBaseUrl}${call.req.path.replace(/^\/v1\.0/, '')}?$skiptoken=${next}`,
        }),
  });
}
