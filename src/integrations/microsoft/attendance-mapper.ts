/**
 * Graph's attendance reports and records, read strictly: an answer that lacks what a report or
 * a record must hold is malformed (502 GRAPH_ERROR), never read as nobody attending. A student
 * counted absent because a field was missing would be a no-show that never happened.
 */
import type { AttendanceRecord, AttendanceReportSummary } from '../../domain/microsoft.port';
import { isJsonObject, objectOr } from './json';

const isInstant = (value: unknown): value is string =>
  typeof value === 'string' && !Number.isNaN(Date.parse(value));
const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

/** The `value` list of a collection page; undefined when the page is not one. */
export function pageItems(body: unknown): unknown[] | undefined {
  if (!isJsonObject(body)) return undefined;
  const value = body['value'];
  return Array.isArray(value) ? value : undefined;
}

/** One session's summary; undefined when it lacks its id, times or count. */
export function reportSummaryOf(item: unknown): AttendanceReportSummary | undefined {
  if (!isJsonObject(item)) return undefined;
  const { id, meetingStartDateTime, meetingEndDateTime, totalParticipantCount } = item;
  if (
    typeof id !== 'string' ||
    id === '' ||
    !isInstant(meetingStartDateTime) ||
    !isInstant(meetingEndDateTime)
  ) {
    return undefined;
  }
  return {
    id,
    meetingStartDateTime,
    meetingEndDateTime,
    totalParticipantCount: isCount(totalParticipantCount) ? totalParticipantCount : 0,
  };
}

/** One participant of a session; undefined when its time or its intervals cannot be read. */
export function attendanceRecordOf(item: unknown): AttendanceRecord | undefined {
  if (!isJsonObject(item)) return undefined;
  const { totalAttendanceInSeconds, attendanceIntervals, emailAddress, role } = item;
  if (!isCount(totalAttendanceInSeconds) || !Array.isArray(attendanceIntervals)) return undefined;
  const intervals: AttendanceRecord['intervals'] = [];
  for (const interval of attendanceIntervals) {
    if (
      !isJsonObject(interval) ||
      !isInstant(interval['joinDateTime']) ||
      !isInstant(interval['leaveDateTime'])
    ) {
      return undefined;
    }
    intervals.push({ joinDateTime: interval['joinDateTime'], leaveDateTime: interval['leaveDateTime'] });
  }
  // An anonymous joiner has no object id (identity.id null or absent): that is not malformed.
  const identityId = objectOr(item['identity'])['id'];
  return {
    objectId: typeof identityId === 'string' && identityId !== '' ? identityId : null,
    email: typeof emailAddress === 'string' && emailAddress !== '' ? emailAddress : null,
    role: typeof role === 'string' ? role : 'Attendee',
    totalAttendanceInSeconds,
    intervals,
  };
}

/** Every item read with `read`, or undefined when one of them is malformed. */
export function readAll<T>(items: unknown[], read: (item: unknown) => T | undefined): T[] | undefined {
  const out: T[] = [];
  for (const item of items) {
    const value = read(item);
    if (value === undefined) return undefined;
    out.push(value);
  }
  return out;
}
