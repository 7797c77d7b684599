/**
 * Graph's attendance reports of a meeting (OnlineMeetingArtifact.Read.All and the access policy):
 * the sessions, and each session's records, every page followed.
 */
import { AppError } from '../../domain/errors';
import {
  MeetingGoneError,
  type AttendanceRecord,
  type AttendanceReportSummary,
} from '../../domain/microsoft.port';
import type { PartnerRecord } from '../../domain/partners/partner.record';
import { attendanceRecordOf, pageItems, readAll, reportSummaryOf } from './attendance-mapper';
import type { GraphClient } from './graph-client';
import { encodeSegment, isMeetingNotFound, meetingsPath } from './graph-paths';
import { objectOr } from './json';

/** More pages than any meeting's participants fill: a Graph that keeps paging is stopped. */
const MAX_RECORD_PAGES = 100;

export class GraphAttendance {
  constructor(private readonly graph: GraphClient) {}

  async attendanceReports(
    partner: PartnerRecord,
    organizerId: string,
    meetingId: string,
  ): Promise<AttendanceReportSummary[]> {
    const operation = 'attendanceReports.list';
    const response = await this.graph.request({
      partner,
      operation,
      method: 'GET',
      path: `${meetingsPath(organizerId)}/${encodeSegment(meetingId)}/attendanceReports`,
      retry: 'safe',
      organizerId,
    });
    if (response.status === 404 && isMeetingNotFound(response.data)) throw new MeetingGoneError();
    if (response.status !== 200) throw this.graph.fail({ partner, operation, organizerId }, response);
    const items = pageItems(response.data);
    const reports = items && readAll(items, reportSummaryOf);
    if (reports === undefined)
      throw this.graph.unexpected({ operation }, response, 'no readable attendance reports');
    return reports;
  }

  async attendanceRecords(
    partner: PartnerRecord,
    organizerId: string,
    meetingId: string,
    reportId: string,
  ): Promise<AttendanceRecord[]> {
    const operation = 'attendanceRecords.list';
    const records: AttendanceRecord[] = [];
    let path = `${meetingsPath(organizerId)}/${encodeSegment(meetingId)}/attendanceReports/${encodeSegment(reportId)}/attendanceRecords`;
    let query: Record<string, string> | undefined;
    for (let page = 0; page < MAX_RECORD_PAGES; page += 1) {
      const response = await this.graph.request({
        partner,
        operation,
        method: 'GET',
        path,
        ...(query ? { query } : {}),
        retry: 'safe',
        organizerId,
      });
      if (response.status === 404 && isMeetingNotFound(response.data)) throw new MeetingGoneError();
      if (response.status !== 200) throw this.graph.fail({ partner, operation, organizerId }, response);
      const items = pageItems(response.data);
      const read = items && readAll(items, attendanceRecordOf);
      if (read === undefined)
        throw this.graph.unexpected({ operation }, response, 'no readable attendance records');
      records.push(...read);
      const next = objectOr(response.data)['@odata.nextLink'];
      if (typeof next !== 'string') return records;
      // The next page, asked of the configured Graph only: a link elsewhere never gets our token.
      const url = new URL(next);
      path = url.pathname.replace(/^\/[^/]+/, '');
      query = Object.fromEntries(url.searchParams);
    }
    throw new AppError('GRAPH_ERROR', {
      detail: `Microsoft Graph kept paging the attendance records of report ${reportId} (more than ${MAX_RECORD_PAGES} pages).`,
    });
  }
}
