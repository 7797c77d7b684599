/**
 * The MicrosoftGateway of the domain, on Microsoft Graph: users by mail/UPN/id for the identity
 * match, and the operator's online meetings (createOrGet, get, PATCH, DELETE). Owns the shared
 * HTTP stack, the per-partner token holders and the translation of every failure into an AppError.
 */
import type { Registry } from 'prom-client';

import { AppError } from '../../domain/errors';
import {
  MeetingGoneError,
  UnknownOrganizerError,
  type AttendanceRecord,
  type AttendanceReportSummary,
  type DirectoryUser,
  type MeetingInput,
  type MeetingPatch,
  type MicrosoftGateway,
  type TeamsMeeting,
} from '../../domain/microsoft.port';
import type { PartnerRecord } from '../../domain/partners/partner.record';
import type { Logger } from '../../logging/logger';
import { endpointsFor } from './clouds';
import { runBatchOfGets, type BatchAnswer } from './graph-batch';
import { GraphClient, type GraphResponse } from './graph-client';
import { readGraphError } from './graph-errors';
import { createGraphMetrics } from './graph-metrics';
import { createHttpClient, type OutboundStats } from './http-client';
import { attendanceRecordOf, pageItems, readAll, reportSummaryOf } from './attendance-mapper';
import { objectOr } from './json';
import { createOrGetBody, patchBody, toTeamsMeeting } from './meeting-mapper';
import { matchFilters, odataString, withQuery } from './odata';
import { TokenProvider, type CredentialFailure, type PartnerCredentials } from './token-provider';
import { systemClock, type Clock } from '../../clock';

export { UnknownOrganizerError } from '../../domain/microsoft.port';
export type { CredentialFailure, PartnerCredentials } from './token-provider';

export interface MicrosoftGatewayOptions {
  logger: Logger;
  /** Where the graph and token metrics are registered. */
  registry: Registry;
  /** The partner's client secret in clear, or null when none is stored (decryption is the domain's). */
  credentialsOf: (partner: PartnerRecord) => Promise<PartnerCredentials>;
  /** `AZURE_AUTHORITY_HOST`: the Entra sign-in origin for every partner. */
  authorityHostOverride?: string | undefined;
  /** `GRAPH_BASE_URL`: the Graph root (with version) for every partner. */
  graphBaseUrlOverride?: string | undefined;
  /** A CA to trust besides the public roots (the simulator's). NODE_EXTRA_CA_CERTS works without it. */
  extraCaPem?: string | undefined;
  /** Per HTTP attempt (Graph and Entra). Default 10 000. */
  attemptTimeoutMs?: number;
  /** For one gateway call, all its attempts and waits together. Default 25 000. */
  deadlineMs?: number;
  /** HTTP attempts per Graph call (and rounds of a $batch). Default 4. */
  maxAttempts?: number;
  /** Time of deadlines and token lifetimes, and how retries wait (tests move theirs instead). */
  clock?: Clock;
  random?: () => number;
  /** Sockets per origin (OUTBOUND_MAX_SOCKETS). */
  maxSockets?: number;
}

/** The gateway, with what /health and the setup checks need besides the port. */
export interface GraphMicrosoftGateway extends MicrosoftGateway {
  /** Partners whose last token request failed because of their configuration (no secret, tenant, app). */
  credentialFailures(): CredentialFailure[];
  /**
   * Gets a token for the partner (held or new) and returns its application permissions (`roles`),
   * for the setup checks. Throws the token AppErrors.
   */
  tokenRoles(partner: PartnerRecord): Promise<string[]>;
  /** Whether Entra accepts a token request signed with this one certificate (its roles, or the AppError). */
  probeCertificate(
    partner: PartnerRecord,
    certificate: { thumbprint: string; thumbprintSha256: string; privateKeyPem: string },
  ): Promise<string[]>;
  /**
   * Checks, without creating anything, that Graph lets the app act for this organizer (Teams
   * application access policy): resolves when allowed, throws ACCESS_POLICY_MISSING /
   * PERMISSION_MISSING / UnknownOrganizerError otherwise.
   */
  checkAccessPolicy(partner: PartnerRecord, organizerId: string): Promise<void>;
  /** The outbound sockets (Entra and Graph), for /metrics. */
  outbound(): OutboundStats;
  /** Closes idle keep-alive sockets. */
  close(): void;
}

const USER_SELECT = 'id,userPrincipalName,mail,displayName';
/** Enough for 15 values that could each match a few users: no paging. */
const USER_TOP = '999';
/** Evolvable enum members (lobby scope `invited`, …) are sent and shown only with this. */
const MEETING_HEADERS = { prefer: 'include-unknown-enum-members' };

/** A 404 about a meeting (`NotFound`, "Specified meeting is not found."), not about the user. */
function isMeetingNotFound(body: unknown): boolean {
  const { code, message } = readGraphError(body);
  return code === 'NotFound' || /meeting/i.test(message ?? '');
}

function encodeSegment(value: string): string {
  return encodeURIComponent(value);
}

/** More pages than any meeting's participants fill: a Graph that keeps paging is stopped. */
const MAX_RECORD_PAGES = 100;

function meetingsPath(organizerId: string): string {
  return `/users/${encodeSegment(organizerId)}/onlineMeetings`;
}

function toDirectoryUser(value: unknown): DirectoryUser | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v['id'] !== 'string' || typeof v['userPrincipalName'] !== 'string') return undefined;
  return {
    id: v['id'],
    userPrincipalName: v['userPrincipalName'],
    mail: typeof v['mail'] === 'string' ? v['mail'] : null,
    displayName: typeof v['displayName'] === 'string' ? v['displayName'] : null,
  };
}

function usersOf(body: unknown): DirectoryUser[] | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const list = (body as Record<string, unknown>)['value'];
  if (!Array.isArray(list)) return undefined;
  return list.map(toDirectoryUser).filter((u): u is DirectoryUser => u !== undefined);
}

/** A $batch item's answer in the shape `fail()` takes. */
function asResponse(answer: BatchAnswer): GraphResponse {
  return {
    status: answer.status,
    data: answer.body,
    headers: answer.headers,
    requestId: answer.headers['request-id'] ?? answer.requestId,
    clientRequestId: '',
    roles: answer.roles,
  };
}

export function createMicrosoftGateway(options: MicrosoftGatewayOptions): GraphMicrosoftGateway {
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 10_000;
  const clock = options.clock ?? systemClock;
  const http = createHttpClient({
    extraCaPem: options.extraCaPem,
    timeoutMs: attemptTimeoutMs,
    ...(options.maxSockets ? { maxSockets: options.maxSockets } : {}),
  });
  const metrics = createGraphMetrics(options.registry);
  const overrides = {
    authorityHost: options.authorityHostOverride,
    graphBaseUrl: options.graphBaseUrlOverride,
  };
  const endpointsOf = (partner: PartnerRecord) => endpointsFor(partner.cloud, overrides);
  const logger = options.logger.child({ component: 'microsoft-graph' });
  const tokens = new TokenProvider({
    http: http.axios,
    credentialsOf: options.credentialsOf,
    endpointsOf,
    logger,
    metrics,
    timeoutMs: attemptTimeoutMs,
    now: clock.now,
  });
  const graph = new GraphClient({
    http: http.axios,
    tokens,
    endpointsOf,
    logger,
    metrics,
    attemptTimeoutMs,
    deadlineMs: options.deadlineMs ?? 25_000,
    maxAttempts: options.maxAttempts ?? 4,
    clock: { now: clock.now, sleep: clock.sleep, random: options.random ?? Math.random },
  });

  async function findUsers(
    partner: PartnerRecord,
    field: 'mail' | 'userPrincipalName',
    values: string[],
  ): Promise<Map<string, DirectoryUser[]>> {
    const result = new Map<string, DirectoryUser[]>();
    const unique: string[] = [];
    for (const value of values) {
      const key = value.toLowerCase();
      if (result.has(key)) continue;
      result.set(key, []);
      unique.push(value);
    }
    if (unique.length === 0) return result;

    const operation = 'users.list';
    const queries = matchFilters(field, unique).map((filter) => ({
      $filter: filter,
      $select: USER_SELECT,
      $top: USER_TOP,
    }));
    const found: DirectoryUser[] = [];
    if (queries.length === 1) {
      const response = await graph.request({
        partner,
        operation,
        method: 'GET',
        path: '/users',
        query: queries[0],
        retry: 'safe',
      });
      if (response.status !== 200) throw graph.fail({ partner, operation }, response);
      const users = usersOf(response.data);
      if (users === undefined) throw graph.unexpected({ operation }, response, 'no user list');
      found.push(...users);
    } else {
      const answers = await runBatchOfGets(
        graph,
        partner,
        operation,
        queries.map((query, i) => ({ id: String(i + 1), url: withQuery('/users', query) })),
      );
      for (const answer of answers.values()) {
        const response = asResponse(answer);
        if (answer.status !== 200) throw graph.fail({ partner, operation }, response);
        const users = usersOf(answer.body);
        if (users === undefined) throw graph.unexpected({ operation }, response, 'no user list');
        found.push(...users);
      }
    }
    for (const user of found) {
      const list = result.get((user[field] ?? '').toLowerCase());
      if (list !== undefined && !list.some((u) => u.id === user.id)) list.push(user);
    }
    return result;
  }

  async function getUsersById(
    partner: PartnerRecord,
    ids: string[],
  ): Promise<Map<string, DirectoryUser | null>> {
    const result = new Map<string, DirectoryUser | null>();
    const unique = [...new Set(ids)];
    if (unique.length === 0) return result;
    const operation = 'users.get';
    const read = (id: string, response: GraphResponse): void => {
      if (response.status === 404) {
        result.set(id, null);
        return;
      }
      if (response.status !== 200) throw graph.fail({ partner, operation }, response);
      const user = toDirectoryUser(response.data);
      if (user === undefined) throw graph.unexpected({ operation }, response, 'no user');
      result.set(id, user);
    };
    const pathOf = (id: string) => `/users/${encodeSegment(id)}`;
    if (unique.length === 1) {
      const id = unique[0] as string;
      read(
        id,
        await graph.request({
          partner,
          operation,
          method: 'GET',
          path: pathOf(id),
          query: { $select: USER_SELECT },
          retry: 'safe',
        }),
      );
      return result;
    }
    const answers = await runBatchOfGets(
      graph,
      partner,
      operation,
      unique.map((id, i) => ({ id: String(i + 1), url: withQuery(pathOf(id), { $select: USER_SELECT }) })),
    );
    unique.forEach((id, i) => {
      const answer = answers.get(String(i + 1));
      if (answer !== undefined) read(id, asResponse(answer));
    });
    return result;
  }

  function meetingOf(operation: string, response: GraphResponse): TeamsMeeting {
    const meeting = toTeamsMeeting(response.data);
    if (meeting === undefined) throw graph.unexpected({ operation }, response, 'no readable meeting');
    return meeting;
  }

  async function createOrGetMeeting(
    partner: PartnerRecord,
    organizerId: string,
    externalId: string,
    input: MeetingInput,
  ): Promise<{ created: boolean; meeting: TeamsMeeting }> {
    const operation = 'onlineMeetings.createOrGet';
    const response = await graph.request({
      partner,
      operation,
      method: 'POST',
      path: `${meetingsPath(organizerId)}/createOrGet`,
      body: createOrGetBody(externalId, input),
      headers: MEETING_HEADERS,
      // Idempotent by (tenant, organizer, externalId): a repeat after a lost answer gets the same meeting.
      retry: 'safe',
      organizerId,
    });
    if (response.status === 201 || response.status === 200) {
      return { created: response.status === 201, meeting: meetingOf(operation, response) };
    }
    // The path user is an object id Graph does not know (deleted, or recreated with a new id).
    if (response.status === 404) throw new UnknownOrganizerError(organizerId);
    throw graph.fail({ partner, operation, organizerId }, response);
  }

  async function getMeeting(
    partner: PartnerRecord,
    organizerId: string,
    meetingId: string,
  ): Promise<TeamsMeeting | null> {
    const operation = 'onlineMeetings.get';
    const response = await graph.request({
      partner,
      operation,
      method: 'GET',
      path: `${meetingsPath(organizerId)}/${encodeSegment(meetingId)}`,
      headers: MEETING_HEADERS,
      retry: 'safe',
      organizerId,
    });
    if (response.status === 404) return null;
    if (response.status !== 200) throw graph.fail({ partner, operation, organizerId }, response);
    return meetingOf(operation, response);
  }

  async function updateMeeting(
    partner: PartnerRecord,
    organizerId: string,
    meetingId: string,
    patch: MeetingPatch,
  ): Promise<TeamsMeeting> {
    const operation = 'onlineMeetings.update';
    const body = patchBody(patch);
    const notFound = () => new MeetingGoneError();
    if (Object.keys(body).length === 0) {
      const meeting = await getMeeting(partner, organizerId, meetingId);
      if (meeting === null) throw notFound();
      return meeting;
    }
    const response = await graph.request({
      partner,
      operation,
      method: 'PATCH',
      path: `${meetingsPath(organizerId)}/${encodeSegment(meetingId)}`,
      body,
      headers: MEETING_HEADERS,
      // Full values only (start with end, the whole attendee list): sending it twice changes nothing more.
      retry: 'safe',
      organizerId,
    });
    if (response.status === 200) return meetingOf(operation, response);
    if (response.status === 204) {
      const meeting = await getMeeting(partner, organizerId, meetingId);
      if (meeting === null) throw notFound();
      return meeting;
    }
    if (response.status === 404) throw notFound();
    throw graph.fail({ partner, operation, organizerId }, response);
  }

  async function deleteMeeting(
    partner: PartnerRecord,
    organizerId: string,
    meetingId: string,
  ): Promise<'deleted' | 'gone'> {
    const operation = 'onlineMeetings.delete';
    const response = await graph.request({
      partner,
      operation,
      method: 'DELETE',
      path: `${meetingsPath(organizerId)}/${encodeSegment(meetingId)}`,
      headers: MEETING_HEADERS,
      retry: 'safe',
      organizerId,
    });
    if (response.status === 204 || response.status === 200) return 'deleted';
    if (response.status === 404) return 'gone';
    throw graph.fail({ partner, operation, organizerId }, response);
  }

  async function checkAccessPolicy(partner: PartnerRecord, organizerId: string): Promise<void> {
    const operation = 'onlineMeetings.list';
    // A lookup by a join URL nobody has: needs the same policy as a create, and makes nothing.
    const probe = 'https://teams.microsoft.com/l/meetup-join/teams-meetings-access-policy-check';
    const response = await graph.request({
      partner,
      operation,
      method: 'GET',
      path: meetingsPath(organizerId),
      query: { $filter: `JoinWebUrl eq ${odataString(probe)}` },
      headers: MEETING_HEADERS,
      retry: 'safe',
      organizerId,
    });
    if (response.status === 200) return;
    if (response.status === 404) {
      // Graph does not document what a lookup that finds no meeting answers: an empty collection,
      // or 404 NotFound about the meeting. Either got past the access policy (only a 403 names a
      // missing one); a 404 about the user means Graph does not know the object id.
      if (isMeetingNotFound(response.data)) return;
      throw new UnknownOrganizerError(organizerId);
    }
    throw graph.fail({ partner, operation, organizerId }, response);
  }

  async function attendanceReports(
    partner: PartnerRecord,
    organizerId: string,
    meetingId: string,
  ): Promise<AttendanceReportSummary[]> {
    const operation = 'attendanceReports.list';
    const response = await graph.request({
      partner,
      operation,
      method: 'GET',
      path: `${meetingsPath(organizerId)}/${encodeSegment(meetingId)}/attendanceReports`,
      retry: 'safe',
      organizerId,
    });
    if (response.status === 404 && isMeetingNotFound(response.data)) throw new MeetingGoneError();
    if (response.status !== 200) throw graph.fail({ partner, operation, organizerId }, response);
    const items = pageItems(response.data);
    const reports = items && readAll(items, reportSummaryOf);
    if (reports === undefined)
      throw graph.unexpected({ operation }, response, 'no readable attendance reports');
    return reports;
  }

  async function attendanceRecords(
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
      const response = await graph.request({
        partner,
        operation,
        method: 'GET',
        path,
        ...(query ? { query } : {}),
        retry: 'safe',
        organizerId,
      });
      if (response.status === 404 && isMeetingNotFound(response.data)) throw new MeetingGoneError();
      if (response.status !== 200) throw graph.fail({ partner, operation, organizerId }, response);
      const items = pageItems(response.data);
      const read = items && readAll(items, attendanceRecordOf);
      if (read === undefined)
        throw graph.unexpected({ operation }, response, 'no readable attendance records');
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

  return {
    attendanceReports,
    attendanceRecords,
    findUsers,
    getUsersById,
    createOrGetMeeting,
    getMeeting,
    updateMeeting,
    deleteMeeting,
    checkAccessPolicy,
    forgetPartner: (partnerId) => tokens.forget(partnerId),
    credentialFailures: () => tokens.credentialFailures(),
    tokenRoles: async (partner) => [...(await tokens.getToken(partner)).roles],
    probeCertificate: (partner, certificate) => tokens.probeCertificate(partner, certificate),
    outbound: () => http.agent.stats(),
    close: () => http.close(),
  };
}
