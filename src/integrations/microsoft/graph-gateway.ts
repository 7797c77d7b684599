/**
 * The MicrosoftGateway of the domain, on Microsoft Graph: one shared HTTP stack, token holders
 * and Graph client, and an adapter per Graph resource over it (graph-users.ts,
 * graph-online-meetings.ts, graph-attendance.ts). Every failure is an AppError by the time it
 * leaves (graph-errors.ts, entra-errors.ts).
 */
import type { Registry } from 'prom-client';

import type { ConsentEndpoints, MicrosoftGateway } from '../../domain/microsoft.port';
import type { PartnerRecord } from '../../domain/partners/partner.record';
import type { TenantConnection } from '../../domain/credentials/tenant-connection';
import { GUID_PATTERN } from '../../domain/guid';
import type { AxiosInstance } from 'axios';
import type { Logger } from '../../logging/logger';
import { endpointsFor } from './clouds';
import { GraphAttendance } from './graph-attendance';
import { GraphClient } from './graph-client';
import { GraphEvents } from './graph-events';
import { createGraphMetrics } from './graph-metrics';
import { GraphOnlineMeetings } from './graph-online-meetings';
import { GraphUsers } from './graph-users';
import { createHttpClient, type OutboundStats } from './http-client';
import { AppError } from '../../domain/errors';
import { decodeClaim, TokenProvider, type CredentialFailure } from './token-provider';
import { systemClock, type Clock } from '../../clock';

export { UnknownOrganizerError } from '../../domain/microsoft.port';
export type { CredentialFailure } from './token-provider';

export interface MicrosoftGatewayOptions {
  logger: Logger;
  /** Where the graph and token metrics are registered. */
  registry: Registry;
  /** The partner's client secret in clear, or null when none is stored (decryption is the domain's). */
  /** The partner's tenant connection (the domain's credentials capability). */
  connectionOf: (partner: PartnerRecord) => TenantConnection;
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
  /** This instance's calls at once to one adviser's calendar (CALENDAR_CONCURRENCY_PER_MAILBOX; Outlook allows 4 per app). */
  calendarConcurrencyPerMailbox?: number;
}

/** The gateway, with what /health and the setup checks need besides the port. */
export interface GraphMicrosoftGateway extends MicrosoftGateway, ConsentEndpoints {
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
  checkCalendar(partner: PartnerRecord, organizerId: string): Promise<void>;
  servicePrincipalId(partner: PartnerRecord): Promise<string>;
  /** The outbound sockets (Entra and Graph), for /metrics. */
  outbound(): OutboundStats;
  /** Closes idle keep-alive sockets. */
  close(): void;
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
    connectionOf: options.connectionOf,
    endpointsOf,
    logger,
    metrics,
    timeoutMs: attemptTimeoutMs,
    now: clock.now,
    sleep: clock.sleep,
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

  const users = new GraphUsers(graph);
  const meetings = new GraphOnlineMeetings(graph);
  const attendance = new GraphAttendance(graph);
  const events = new GraphEvents(graph, options.calendarConcurrencyPerMailbox ?? 4);

  return {
    findUsers: (partner, field, values) => users.findUsers(partner, field, values),
    getUsersById: (partner, ids) => users.getUsersById(partner, ids),
    createOrGetMeeting: (partner, organizerId, externalId, input) =>
      meetings.createOrGetMeeting(partner, organizerId, externalId, input),
    getMeeting: (partner, organizerId, meetingId) => meetings.getMeeting(partner, organizerId, meetingId),
    updateMeeting: (partner, organizerId, meetingId, patch) =>
      meetings.updateMeeting(partner, organizerId, meetingId, patch),
    deleteMeeting: (partner, organizerId, meetingId) =>
      meetings.deleteMeeting(partner, organizerId, meetingId),
    checkAccessPolicy: (partner, organizerId) => meetings.checkAccessPolicy(partner, organizerId),
    checkCalendar: (partner, organizerId) => events.probe(partner, organizerId),
    servicePrincipalId: async (partner) => {
      const oid = decodeClaim((await tokens.getToken(partner)).value, 'oid');
      if (typeof oid !== 'string') {
        throw new AppError('ENTRA_ERROR', {
          detail: "Entra ID's token for the application names no object id (oid).",
        });
      }
      return oid;
    },
    findMeetingByJoinUrl: (partner, organizerId, joinUrl) =>
      meetings.findByJoinUrl(partner, organizerId, joinUrl),
    createEvent: (partner, organizerId, input, keys) => events.create(partner, organizerId, input, keys),
    findEvents: (partner, organizerId, stamp) => events.find(partner, organizerId, stamp),
    getEvent: (partner, organizerId, eventId) => events.get(partner, organizerId, eventId),
    updateEvent: (partner, organizerId, eventId, patch) =>
      events.update(partner, organizerId, eventId, patch),
    cancelEvent: (partner, organizerId, eventId, comment) =>
      events.cancel(partner, organizerId, eventId, comment),
    attendanceReports: (partner, organizerId, meetingId) =>
      attendance.attendanceReports(partner, organizerId, meetingId),
    attendanceRecords: (partner, organizerId, meetingId, reportId) =>
      attendance.attendanceRecords(partner, organizerId, meetingId, reportId),
    forgetPartner: (partnerId) => tokens.forget(partnerId),
    credentialFailures: () => tokens.credentialFailures(),
    tokenRoles: async (partner) => [...(await tokens.getToken(partner)).roles],
    probeCertificate: (partner, certificate) => tokens.probeCertificate(partner, certificate),
    consentEndpoint: (partner) => {
      const { authorityHost, graphScope } = endpointsOf(partner);
      return { authorityHost, graphScope };
    },
    tenantIdOf: (partner) => tenantIdOf(http.axios, endpointsOf(partner).authorityHost, partner.tenantId),
    outbound: () => http.agent.stats(),
    close: () => http.close(),
  };
}

const GUID_IN_ISSUER = /\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/v2\.0\/?$/i;

/** A tenant GUID as is; a verified domain through its OpenID configuration's issuer. */
async function tenantIdOf(http: AxiosInstance, authorityHost: string, tenant: string): Promise<string> {
  if (GUID_PATTERN.test(tenant)) return tenant.toLowerCase();
  let answer;
  try {
    answer = await http.get<{ issuer?: unknown }>(
      `${authorityHost}/${encodeURIComponent(tenant)}/v2.0/.well-known/openid-configuration`,
      { timeout: 10_000, validateStatus: () => true },
    );
  } catch (error) {
    throw new AppError('ENTRA_UNAVAILABLE', {
      detail: `Entra ID could not be asked which tenant '${tenant}' is.`,
      retryAfterSeconds: 5,
      cause: error,
    });
  }
  const match = typeof answer.data?.issuer === 'string' ? GUID_IN_ISSUER.exec(answer.data.issuer) : null;
  if (answer.status !== 200 || !match) {
    throw new AppError('TENANT_NOT_FOUND', {
      detail: `Entra ID does not know the tenant '${tenant}' (its OpenID configuration answered ${answer.status}).`,
      remediation:
        "Step 4: tenantId is the Directory (tenant) ID from the app registration's Overview, or a verified domain of the tenant.",
    });
  }
  return match[1]!.toLowerCase();
}
