/**
 * The Microsoft simulator: one real HTTPS server on loopback that answers as Entra ID's token
 * endpoint and as Microsoft Graph, with a programmable world (tenants, apps, users, policies),
 * programmable faults and latency, and a log of every request it received.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { TokenSigner } from './access-tokens';
import { createCertificates } from './certificates';
import { copyJson, Directory } from './directory';
import { FaultBook, faultResponse } from './faults';
import { reportOf } from './attendance';
import { dispatchGraph } from './graph-api';
import { handleBatch, type BatchOrder } from './batch-endpoint';
import { graphError, type AnswerContext } from './responses';
import { pathSegments, resolveRoute, type Route } from './routes';
import {
  handleInstanceDiscovery,
  handleJwks,
  handleOpenIdConfiguration,
  handleToken,
  handleAdminConsent,
  type IdentityEnv,
  type IdentityResult,
} from './token-endpoint';
import type {
  AccessTokenClaims,
  FaultSpec,
  GraphEnv,
  GraphResult,
  MeetingLookupMiss,
  SimAttendanceSession,
  SimConsent,
  NewApp,
  NewTenant,
  NewUser,
  RecordedRequest,
  SimMeeting,
  SimRequest,
  SimResponse,
  SimUser,
} from './types';
import { handlePortal } from './portal';
import { CalendarStore, type SimEvent, type SimMail, type SimMailKind } from './calendar/model';

export interface SimulatorOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** More names (hosts or IPs) for the server certificate. */
  altNames?: string[];
}

export interface MicrosoftSimulator {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  /** Same origin: the token endpoint is `${authorityHost}/${tenant}/oauth2/v2.0/token`. */
  readonly authorityHost: string;
  /** `${url}/v1.0` */
  readonly graphBaseUrl: string;
  /** The CA that signed the server certificate: trust this, never turn verification off. */
  readonly caCertPem: string;

  addTenant(tenant: NewTenant): void;
  addApp(app: NewApp): void;
  /** Uploads a certificate (PEM) to an app, as *Certificates & secrets → Upload certificate* does. */
  uploadCertificate(tenantId: string, appId: string, certificatePem: string): void;
  addUser(user: NewUser): SimUser;
  /** Deletes a user: a later call for its object id gets 404, as after an account is recreated. */
  removeUser(tenantId: string, userId: string): boolean;
  users(tenantId: string): SimUser[];
  /** Grants a Teams application access policy for the app to one user (Grant-CsApplicationAccessPolicy -Identity). */
  grantPolicy(tenantId: string, userId: string, appId: string): void;
  /** Removes the user's grant for the app, or all the user's grants without an app. */
  revokePolicy(tenantId: string, userId: string, appId?: string): void;
  /** Grants the policy tenant-wide (Grant-CsApplicationAccessPolicy -Global). */
  grantGlobalPolicy(tenantId: string, appId: string): void;
  revokeGlobalPolicy(tenantId: string, appId: string): void;

  injectFault(fault: FaultSpec): void;
  clearFaults(): void;
  /**
   * Added to every answer (not to each item of a $batch): `ms`, plus up to `jitterMs` more drawn
   * at random for each request (the production-shape benchmark's 100-150 ms is `(100, 50)`).
   */
  setLatency(ms: number, jitterMs?: number): void;
  /** `expires_in` and lifetime of new access tokens; default 3599 seconds. */
  setTokenLifetime(seconds: number): void;
  /** Order of $batch responses; default 'reversed' (Graph does not keep the request order). */
  setBatchResponseOrder(order: BatchOrder): void;
  /**
   * What `GET …/onlineMeetings?$filter=JoinWebUrl eq '…'` answers when no meeting has that link:
   * Graph does not document it, and tenants have been seen to answer either way. Default 'empty'.
   */
  setMeetingLookupMiss(miss: MeetingLookupMiss): void;
  /** A valid access token without a token request, for tests of Graph callers. */
  mintAccessToken(input: {
    tenantId: string;
    appId: string;
    roles?: string[];
    lifetimeSeconds?: number;
  }): string;

  /** Every request received, in order (token, metadata and Graph; $batch items too, flagged). */
  requests(): RecordedRequest[];
  clearRequests(): void;
  /** Stored meetings, to assert on. */
  meetings(filter?: { tenantId?: string; userId?: string }): SimMeeting[];
  /** Deletes a meeting as its organizer would in Teams, outside Graph; false when there was none. */
  deleteMeetingInTeams(meetingId: string): boolean;
  /**
   * What someone holding a join link reaches: the meeting with its lobby, presenter and chat
   * settings, also after a delete (the link stays joinable, as users report of Teams); undefined
   * for a link Teams never made.
   */
  joinByLink(joinWebUrl: string): { meeting: SimMeeting; deleted: boolean } | undefined;
  /** One session of a meeting as Teams reports it afterwards: its attendance report's id. */
  addAttendanceSession(meetingId: string, session: SimAttendanceSession): string;
  /** Attendance records a page (default 100). */
  setAttendancePageSize(size: number): void;
  /** What a tenant's admin answers on Entra's consent page (default: grant). */
  consentDecision(tenantId: string, decision: 'grant' | 'deny'): void;
  /** How long after a consent tokens still come without roles (Entra's replication; default 0). */
  setConsentLag(ms: number): void;
  /** Consents given to multi-tenant apps, per tenant. */
  consents(): SimConsent[];
  /** An admin removes the app's service principal from their tenant. */
  revokeConsent(tenantId: string, appId: string): void;
  /** Calendar events (cancelled ones with `includeCancelled`), to assert on. */
  events(filter?: { mailboxId?: string; includeCancelled?: boolean }): SimEvent[];
  /** What Exchange mailed about events (invitations, updates, cancellations), per recipient. */
  mails(filter?: { to?: string; kind?: SimMailKind }): SimMail[];
  /**
   * Exchange RBAC for Applications: the app may use these mailboxes' calendars
   * (`New-ManagementRoleAssignment -Role "Application Calendars.ReadWrite" -CustomResourceScope`).
   */
  scopeCalendars(tenantId: string, appId: string, mailboxIds: string[]): void;
  unscopeCalendar(tenantId: string, appId: string, mailboxId: string): void;
  /** The user has no Exchange Online mailbox (unlicensed, on-premises). */
  removeMailbox(userId: string): void;
  /** Reads of a new event that answer `onlineMeeting: null` before its join link shows (default 0). */
  setJoinUrlLag(reads: number): void;
  /** Requests at once per app and mailbox before 429 (Outlook: 4). */
  setMailboxConcurrency(limit: number): void;
  /** Forgets all state, faults, requests, latency and settings; keeps the server, CA and signing key. */
  reset(): void;
  /** Closes the server and every socket, keep-alive ones too. */
  close(): Promise<void>;
}

const DEFAULT_TOKEN_LIFETIME = 3599;
const MAX_BODY_BYTES = 4 * 1024 * 1024;

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function parseQuery(rawQuery: string): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQuery)) if (!(name in query)) query[name] = value;
  return query;
}

function parseBody(raw: string, contentType: string): Pick<SimRequest, 'body' | 'invalidJson' | 'isForm'> {
  if (raw === '') return { body: undefined };
  const type = contentType.toLowerCase();
  if (type.startsWith('application/x-www-form-urlencoded')) {
    return { body: Object.fromEntries(new URLSearchParams(raw)), isForm: true };
  }
  try {
    return { body: JSON.parse(raw) as unknown };
  } catch {
    return type.includes('json') ? { body: raw, invalidJson: true } : { body: raw };
  }
}

class Simulator implements MicrosoftSimulator {
  readonly authorityHost: string;
  readonly graphBaseUrl: string;

  private readonly directory = new Directory();
  private readonly calendar = new CalendarStore();
  private readonly faults = new FaultBook();
  private log: RecordedRequest[] = [];
  private seq = 0;
  private latencyMs = 0;
  private jitterMs = 0;
  private tokenLifetimeSeconds = DEFAULT_TOKEN_LIFETIME;
  private batchOrder: BatchOrder = 'reversed';
  private meetingLookupMiss: MeetingLookupMiss = 'empty';
  private attendancePageSize = 100;
  private readonly consentDecisions = new Map<string, 'grant' | 'deny'>();
  private consentLagMs = 0;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly server: Server,
    readonly url: string,
    readonly caCertPem: string,
    private readonly signer: TokenSigner,
  ) {
    this.authorityHost = url;
    this.graphBaseUrl = `${url}/v1.0`;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.onRequest(req, res).catch((error: unknown) => this.onBug(res, error));
    });
  }

  // ---- programmable world ----------------------------------------------------------------------

  addTenant(tenant: NewTenant): void {
    this.directory.addTenant(tenant);
  }

  uploadCertificate(tenantId: string, appId: string, certificatePem: string): void {
    this.directory.uploadCertificate(tenantId, appId, certificatePem);
  }

  addApp(app: NewApp): void {
    this.directory.addApp(app);
  }

  addUser(user: NewUser): SimUser {
    return this.directory.addUser(user);
  }

  removeUser(tenantId: string, userId: string): boolean {
    return this.directory.removeUser(tenantId, userId);
  }

  users(tenantId: string): SimUser[] {
    const tenant = this.directory.resolveTenant(tenantId);
    return tenant ? this.directory.usersOf(tenant.id) : [];
  }

  grantPolicy(tenantId: string, userId: string, appId: string): void {
    this.directory.grantPolicy(tenantId, userId, appId);
  }

  revokePolicy(tenantId: string, userId: string, appId?: string): void {
    this.directory.revokePolicy(tenantId, userId, appId);
  }

  grantGlobalPolicy(tenantId: string, appId: string): void {
    this.directory.grantGlobalPolicy(tenantId, appId);
  }

  revokeGlobalPolicy(tenantId: string, appId: string): void {
    this.directory.revokeGlobalPolicy(tenantId, appId);
  }

  injectFault(fault: FaultSpec): void {
    this.faults.add(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  setLatency(ms: number, jitterMs = 0): void {
    if (!(ms >= 0) || !(jitterMs >= 0)) {
      throw new Error(`setLatency: ms and jitterMs must be 0 or more, got ${ms}, ${jitterMs}`);
    }
    this.latencyMs = ms;
    this.jitterMs = jitterMs;
  }

  setTokenLifetime(seconds: number): void {
    if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`setTokenLifetime: got ${seconds}`);
    this.tokenLifetimeSeconds = seconds;
  }

  setMeetingLookupMiss(miss: MeetingLookupMiss): void {
    this.meetingLookupMiss = miss;
  }

  setBatchResponseOrder(order: BatchOrder): void {
    this.batchOrder = order;
  }

  mintAccessToken(input: {
    tenantId: string;
    appId: string;
    roles?: string[];
    lifetimeSeconds?: number;
  }): string {
    const tenant = this.directory.resolveTenant(input.tenantId);
    if (!tenant) throw new Error(`mintAccessToken: unknown tenant '${input.tenantId}'`);
    const app = this.directory.app(tenant.id, input.appId);
    return this.signer.issue({
      tenantId: tenant.id,
      appId: input.appId.toLowerCase(),
      servicePrincipalId: this.directory.servicePrincipalId(tenant.id, input.appId),
      roles: input.roles ?? app?.roles ?? [],
      lifetimeSeconds: input.lifetimeSeconds ?? this.tokenLifetimeSeconds,
    }).token;
  }

  requests(): RecordedRequest[] {
    return this.log.map((entry) => ({
      ...copyJson({ ...entry, at: undefined }),
      at: new Date(entry.at.getTime()),
    }));
  }

  clearRequests(): void {
    this.log = [];
  }

  meetings(filter?: { tenantId?: string; userId?: string }): SimMeeting[] {
    return this.directory.meetings(filter);
  }

  deleteMeetingInTeams(meetingId: string): boolean {
    return this.directory.deleteMeeting(meetingId);
  }

  joinByLink(joinWebUrl: string): { meeting: SimMeeting; deleted: boolean } | undefined {
    return this.directory.joinByLink(joinWebUrl);
  }

  addAttendanceSession(meetingId: string, session: SimAttendanceSession): string {
    const meeting = this.directory.meeting(meetingId);
    if (!meeting) throw new Error(`addAttendanceSession: no meeting ${meetingId}`);
    const report = reportOf(meetingId, meeting.tenantId, session);
    this.directory.addAttendanceReport(report);
    return report.id;
  }

  consentDecision(tenantId: string, decision: 'grant' | 'deny'): void {
    const tenant = this.directory.resolveTenant(tenantId);
    if (!tenant) throw new Error(`consentDecision: unknown tenant '${tenantId}'`);
    this.consentDecisions.set(tenant.id, decision);
  }

  setConsentLag(ms: number): void {
    this.consentLagMs = ms;
  }

  consents(): SimConsent[] {
    return this.directory.allConsents();
  }

  revokeConsent(tenantId: string, appId: string): void {
    this.directory.revokeConsent(tenantId, appId);
  }

  setAttendancePageSize(size: number): void {
    this.attendancePageSize = size;
  }

  events(filter?: { mailboxId?: string; includeCancelled?: boolean }): SimEvent[] {
    return this.calendar.all(filter);
  }

  mails(filter?: { to?: string; kind?: SimMailKind }): SimMail[] {
    return this.calendar.mails(filter);
  }

  scopeCalendars(tenantId: string, appId: string, mailboxIds: string[]): void {
    this.calendar.scope(this.directory.resolveTenant(tenantId)?.id ?? tenantId, appId, mailboxIds);
  }

  unscopeCalendar(tenantId: string, appId: string, mailboxId: string): void {
    this.calendar.unscope(this.directory.resolveTenant(tenantId)?.id ?? tenantId, appId, mailboxId);
  }

  removeMailbox(userId: string): void {
    this.calendar.removeMailbox(userId);
  }

  setJoinUrlLag(reads: number): void {
    this.calendar.joinUrlLag = reads;
  }

  setMailboxConcurrency(limit: number): void {
    this.calendar.concurrencyLimit = limit;
  }

  reset(): void {
    this.directory.clear();
    this.calendar.clear();
    this.faults.clear();
    this.log = [];
    this.latencyMs = 0;
    this.jitterMs = 0;
    this.tokenLifetimeSeconds = DEFAULT_TOKEN_LIFETIME;
    this.batchOrder = 'reversed';
    this.meetingLookupMiss = 'empty';
    this.attendancePageSize = 100;
    this.consentDecisions.clear();
    this.consentLagMs = 0;
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const pending of this.timers) {
        clearTimeout(pending.timer);
        pending.resolve();
      }
      this.timers.clear();
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closing;
  }

  // ---- serving --------------------------------------------------------------------------------

  /** Waits, unless the simulator closes first. */
  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const pending = {
        resolve,
        timer: setTimeout(() => {
          this.timers.delete(pending);
          resolve();
        }, ms),
      };
      this.timers.add(pending);
    });
  }

  private readBody(req: IncomingMessage): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      });
      req.on('end', () =>
        resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')),
      );
      req.on('error', reject);
    });
  }

  private record(
    req: SimRequest,
    route: Route,
    requestId: string,
    fromBatch?: RecordedRequest['fromBatch'],
  ): RecordedRequest {
    this.seq += 1;
    const entry: RecordedRequest = {
      seq: this.seq,
      at: new Date(),
      method: req.method,
      path: req.path,
      params: route.params,
      query: req.query,
      rawQuery: req.rawQuery,
      headers: req.headers,
      body: req.body,
      status: 0,
      kind: route.kind,
      operation: route.operation,
      requestId,
      ...(fromBatch ? { fromBatch } : {}),
    };
    this.log.push(entry);
    return entry;
  }

  /**
   * Who sent it, as far as the request tells (a valid token's claims, or a token request's
   * client_id and tenant), so that even faulted or dropped requests say whose they were.
   */
  private identifyRequester(entry: RecordedRequest, req: SimRequest, route: Route): void {
    if (route.kind === 'graph') {
      const token = /^Bearer\s+(\S+)/i.exec(req.headers['authorization'] ?? '')?.[1];
      const check = token === undefined ? undefined : this.signer.check(token);
      if (check?.ok) {
        this.noteCaller(entry, {
          tenantId: check.claims.tid,
          appId: check.claims.appid,
          claims: check.claims,
        });
      }
      return;
    }
    const tenant = route.params['tenant'];
    const tenantId = tenant === undefined ? undefined : this.directory.resolveTenant(tenant)?.id;
    const form =
      req.isForm && typeof req.body === 'object' && req.body !== null
        ? (req.body as Record<string, unknown>)
        : {};
    const clientId = typeof form['client_id'] === 'string' ? form['client_id'] : undefined;
    this.noteCaller(entry, {
      ...(tenantId !== undefined ? { tenantId } : {}),
      ...(clientId !== undefined ? { appId: clientId } : {}),
    });
  }

  private answerContext(req: SimRequest): AnswerContext {
    const requestId = randomUUID();
    const clientRequestId = req.headers['client-request-id'] ?? req.query['client-request-id'] ?? requestId;
    return { requestId, clientRequestId, origin: this.url };
  }

  private identityEnv(answer: AnswerContext): IdentityEnv {
    return {
      directory: this.directory,
      signer: this.signer,
      answer,
      tokenLifetimeSeconds: this.tokenLifetimeSeconds,
    };
  }

  private graphEnv(answer: AnswerContext): GraphEnv {
    return {
      directory: this.directory,
      calendar: this.calendar,
      signer: this.signer,
      answer,
      graphBaseUrl: this.graphBaseUrl,
      meetingLookupMiss: this.meetingLookupMiss,
      attendancePageSize: this.attendancePageSize,
    };
  }

  private noteCaller(
    entry: RecordedRequest,
    result: { tenantId?: string; appId?: string; claims?: AccessTokenClaims },
  ): void {
    if (result.tenantId !== undefined) entry.tenantId = result.tenantId;
    if (result.appId !== undefined) entry.appId = result.appId;
    if (result.claims !== undefined) entry.tokenClaims = result.claims;
  }

  private noteGraph(entry: RecordedRequest, result: GraphResult): SimResponse {
    if (result.caller) {
      this.noteCaller(entry, {
        tenantId: result.caller.tenantId,
        appId: result.caller.appId,
        claims: result.caller.claims,
      });
    }
    return result.response;
  }

  private async handle(
    req: SimRequest,
    route: Route,
    answer: AnswerContext,
    entry: RecordedRequest,
  ): Promise<SimResponse> {
    if (route.kind === 'graph') {
      if (route.operation === 'batch') {
        const result = await handleBatch(
          req,
          this.graphEnv(answer),
          (item, itemId) => this.runBatchItem(item, itemId, entry.seq),
          this.batchOrder,
        );
        return this.noteGraph(entry, result);
      }
      return this.noteGraph(entry, dispatchGraph(req, route, this.graphEnv(answer)));
    }
    if (route.kind === 'portal') {
      return route.operation === 'unknown'
        ? { status: 404, headers: { 'content-type': 'application/json' }, body: { error: 'not_found' } }
        : handlePortal(req, route.operation, route.params, this.directory);
    }
    const env = this.identityEnv(answer);
    const tenant = route.params['tenant'] ?? '';
    let result: IdentityResult;
    switch (route.operation) {
      case 'token':
        result = handleToken(req, tenant, env);
        break;
      case 'openid-configuration':
        result = handleOpenIdConfiguration(tenant, env);
        break;
      case 'jwks':
        result = handleJwks(tenant, env);
        break;
      case 'adminconsent':
        result = handleAdminConsent(req, tenant, {
          ...env,
          decisionOf: (tenantId) => this.consentDecisions.get(tenantId) ?? 'grant',
          lagMs: this.consentLagMs,
        });
        break;
      case 'instance-discovery':
        result = handleInstanceDiscovery(req, env);
        break;
      default:
        result = {
          response: {
            status: 404,
            headers: { 'content-type': 'application/json' },
            body: { error: 'not_found' },
          },
        };
    }
    this.noteCaller(entry, result);
    return result.response;
  }

  private async runBatchItem(item: SimRequest, itemId: string, batchSeq: number): Promise<SimResponse> {
    const route = resolveRoute(item.method, item.path);
    const answer = this.answerContext(item);
    const entry = this.record(item, route, answer.requestId, { batchSeq, itemId });
    this.identifyRequester(entry, item, route);
    let response: SimResponse;
    if (route.operation === 'batch') {
      response = graphError(
        answer,
        400,
        'BadRequest',
        'A batch request cannot contain another batch request.',
      );
    } else {
      response = (
        await this.applyFault(item, route, answer, entry, true, async () =>
          this.noteGraph(entry, dispatchGraph(item, route, this.graphEnv(answer))),
        )
      ).response;
    }
    return response;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const path = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
    const rawQuery = queryAt < 0 ? '' : rawUrl.slice(queryAt + 1);
    const headers = headerRecord(req);
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await this.readBody(req);
    const simReq: SimRequest = {
      method,
      path,
      rawQuery,
      query: parseQuery(rawQuery),
      headers,
      ...(raw === undefined ? { body: undefined } : parseBody(raw, headers['content-type'] ?? '')),
    };
    const route = resolveRoute(method, path);
    const answer = this.answerContext(simReq);
    const entry = this.record(simReq, route, answer.requestId);
    this.identifyRequester(entry, simReq, route);

    if (raw === undefined) {
      entry.status = 413;
      this.write(res, graphError(answer, 413, 'RequestEntityTooLarge', 'The request body is too large.'));
      return;
    }

    // Outlook takes 4 requests at once per app and mailbox: the 5th is refused while they run.
    const mailbox = route.operation.startsWith('events.') ? this.mailboxSlot(entry, route) : undefined;
    if (mailbox === null) {
      entry.status = 429;
      this.write(
        res,
        graphError(answer, 429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', {
          'retry-after': '1',
        }),
      );
      return;
    }
    let outcome: { response: SimResponse; dropped: boolean };
    try {
      outcome = await this.applyFault(simReq, route, answer, entry, false, () =>
        this.handle(simReq, route, answer, entry),
      );
    } finally {
      if (mailbox) this.calendar.leave(mailbox.tenantId, mailbox.appId, mailbox.mailboxId);
    }
    const { response, dropped } = outcome;
    if (dropped) {
      res.socket?.destroy();
      return;
    }
    this.write(res, response);
  }

  /**
   * The one place faults take effect, for requests and $batch items alike: the simulator's latency
   * (requests only) and the fault's delay, a connection dropped before or after the handler ran
   * (requests only; FaultBook never gives a drop to a batch item), a status fault's answer in
   * place of the handler's, or the fault's extra headers on the handler's answer.
   */
  private async applyFault(
    req: SimRequest,
    route: Route,
    answer: AnswerContext,
    entry: RecordedRequest,
    inBatch: boolean,
    handle: () => Promise<SimResponse>,
  ): Promise<{ response: SimResponse; dropped: boolean }> {
    const fault = this.faults.take({
      method: req.method,
      rawPath: req.path,
      decodedPath: `/${pathSegments(req.path).join('/')}`,
      operation: route.operation,
      kind: route.kind,
      inBatch,
    });
    const latency = inBatch ? 0 : this.latencyMs + (this.jitterMs > 0 ? Math.random() * this.jitterMs : 0);
    await this.sleep(latency + (fault?.delayMs ?? 0));
    if (fault?.drop === 'before') {
      entry.dropped = 'before';
      return { response: { status: 0, headers: {}, body: undefined }, dropped: true };
    }
    let response: SimResponse;
    if (fault?.status !== undefined) {
      response = faultResponse({ ...fault, status: fault.status }, route.kind, answer);
      entry.faulted = true;
    } else {
      response = await handle();
      if (fault?.headers) response = { ...response, headers: { ...response.headers, ...fault.headers } };
    }
    entry.status = response.status;
    if (fault?.drop === 'after') {
      entry.dropped = 'after';
      return { response, dropped: true };
    }
    return { response, dropped: false };
  }

  /** A place among the app's requests at once to this mailbox; null when they are all taken. */
  private mailboxSlot(
    entry: RecordedRequest,
    route: Route,
  ): { tenantId: string; appId: string; mailboxId: string } | null | undefined {
    const { tenantId, appId } = entry;
    const ref = route.params['userId'];
    if (tenantId === undefined || appId === undefined || ref === undefined) return undefined;
    const mailboxId = this.directory.findUser(tenantId, ref)?.id ?? ref;
    return this.calendar.enter(tenantId, appId, mailboxId) ? { tenantId, appId, mailboxId } : null;
  }

  private write(res: ServerResponse, response: SimResponse): void {
    if (res.destroyed || res.writableEnded) return;
    const body = response.body === undefined ? undefined : Buffer.from(JSON.stringify(response.body), 'utf8');
    const headers: Record<string, string | number> = { ...response.headers };
    if (body !== undefined) headers['content-length'] = body.length;
    else headers['content-length'] = 0;
    res.writeHead(response.status, headers);
    res.end(body);
  }

  /** A handler threw: answer as Graph's 500 so the caller sees a server error, not a hang. */
  private onBug(res: ServerResponse, error: unknown): void {
    const answer: AnswerContext = {
      requestId: randomUUID(),
      clientRequestId: randomUUID(),
      origin: this.url,
    };
    const message = error instanceof Error ? error.message : String(error);
    this.write(res, graphError(answer, 500, 'InternalServerError', `Simulator error: ${message}`));
  }
}

/** Starts a simulator on https://127.0.0.1:<free port> (or the given host and port). */
export async function startSimulator(options: SimulatorOptions = {}): Promise<MicrosoftSimulator> {
  const host = options.host ?? '127.0.0.1';
  const extraNames = [...(options.altNames ?? []), ...(['0.0.0.0', '::', ''].includes(host) ? [] : [host])];
  const [certificates, signer] = await Promise.all([createCertificates(extraNames), TokenSigner.create()]);
  const server = createServer({ key: certificates.keyPem, cert: certificates.certChainPem });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('The simulator did not get a TCP port');
  return new Simulator(server, `https://${urlHost(host)}:${address.port}`, certificates.caCertPem, signer);
}
