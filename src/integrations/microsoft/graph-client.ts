/**
 * Calls to Microsoft Graph for one partner: its Graph base URL, its bearer token, a
 * `client-request-id` per call, per-attempt timeouts inside one overall deadline, and retries of
 * throttling (429), unavailability (503, 504) and lost connections for calls that are safe to
 * repeat (GET, DELETE, PATCH with full values, createOrGet, $batch of GETs; never a plain POST),
 * honouring Retry-After. Everything else comes back to the caller as an answer; `fail()` turns an
 * unexpected one into an AppError through graph-errors.ts.
 */
import { inSpan } from '../../telemetry/spans';
import { randomUUID } from 'node:crypto';
import type { AxiosInstance, AxiosResponse } from 'axios';
import { AppError } from '../../domain/errors';
import type { PartnerRecord } from '../../domain/partners/partner.record';
import type { Logger } from '../../logging/logger';
import type { CloudEndpoints } from './clouds';
import { graphErrorToAppError, readGraphError } from './graph-errors';
import type { GraphMetrics } from './graph-metrics';
import { isTlsErrorCode, lowerCaseHeaders } from './http-client';
import { withQuery } from './odata';
import { withinBudget } from '../../request-scope';
import { MIN_ATTEMPT_MS, RetryPolicy, type RetryClock } from './retry-policy';
import type { AccessToken, TokenProvider } from './token-provider';

export type GraphMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface GraphRequest {
  partner: PartnerRecord;
  /** Metric and log label, e.g. `onlineMeetings.createOrGet`. */
  operation: string;
  method: GraphMethod;
  /** Relative to the Graph base URL, starting with `/`; path segments already percent-encoded. */
  path: string;
  /** Values are percent-encoded here (OData literals must already be quoted). */
  query?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
  /** 'safe' only for calls whose repetition cannot do anything twice. */
  retry: 'safe' | 'never';
  /** The onlineMeetings path user, for error remediations. */
  organizerId?: string;
  /** Epoch ms (provider clock) by which the whole call must be done; default now + deadlineMs. */
  deadlineAt?: number;
}

export interface GraphResponse<T = unknown> {
  status: number;
  data: T;
  /** Lower-case names. */
  headers: Record<string, string>;
  requestId: string | undefined;
  clientRequestId: string;
  /** The `roles` of the token the answer was given to (diagnostics). */
  roles: readonly string[];
}

export interface GraphClientOptions {
  http: AxiosInstance;
  tokens: TokenProvider;
  endpointsOf: (partner: PartnerRecord) => CloudEndpoints;
  logger: Logger;
  metrics: GraphMetrics;
  attemptTimeoutMs: number;
  deadlineMs: number;
  maxAttempts: number;
  clock: RetryClock;
}

/** Statuses worth another attempt of a safe call. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 503, 504]);

const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

type Outcome =
  | { kind: 'answer'; response: AxiosResponse; headers: Record<string, string> }
  | { kind: 'timeout' }
  | { kind: 'network'; code: string; retryable: boolean }
  | { kind: 'tls'; code: string }
  | { kind: 'invalid'; code: string };

/** Why an attempt was not the last: no usable answer, or a status worth retrying. */
type Failure =
  Exclude<Outcome, { kind: 'answer' }> | { kind: 'status'; status: number; retryAfterMs?: number };

export class GraphClient {
  readonly attemptTimeoutMs: number;
  readonly deadlineMs: number;
  /** Shared with `$batch` (graph-batch.ts): one policy for every retry towards Graph. */
  readonly retries: RetryPolicy;

  constructor(private readonly options: GraphClientOptions) {
    this.attemptTimeoutMs = options.attemptTimeoutMs;
    this.deadlineMs = options.deadlineMs;
    this.retries = new RetryPolicy(options.maxAttempts, options.clock);
  }

  now(): number {
    return this.retries.clock.now();
  }

  /** When a call started now must be done: its own deadline, or the request's budget if sooner. */
  callDeadline(): number {
    const now = this.now();
    return withinBudget(now + this.deadlineMs, now);
  }

  /** Counts retries done outside `request` (throttled $batch items). */
  countRetry(operation: string, reason: string, count = 1): void {
    this.options.metrics.retries.inc({ operation, reason }, count);
  }

  /** Sends the call, retrying what may be retried; resolves with the first answer it will not retry. */
  async request<T = unknown>(req: GraphRequest): Promise<GraphResponse<T>> {
    const { metrics, tokens } = this.options;
    const clientRequestId = randomUUID();
    const deadlineAt = req.deadlineAt ?? this.callDeadline();
    const baseURL = this.options.endpointsOf(req.partner).graphBaseUrl;
    const url = withQuery(req.path, req.query);
    let attempt = 0;
    let refreshedToken = false;
    let last: Failure = { kind: 'timeout' };

    for (;;) {
      if (attempt > 0 && deadlineAt - this.now() < MIN_ATTEMPT_MS) throw this.giveUp(req, last, attempt);
      attempt += 1;
      const token = await tokens.getToken(req.partner);
      const remaining = deadlineAt - this.now();
      const outcome = await this.attempt(req, baseURL, url, token, clientRequestId, remaining, attempt);

      if (outcome.kind === 'answer') {
        const { response, headers } = outcome;
        const status = response.status;
        if (
          status === 401 &&
          !refreshedToken &&
          readGraphError(response.data).code === 'InvalidAuthenticationToken'
        ) {
          // Revoked or otherwise refused: one retry with a new token, whatever the method (nothing was done).
          refreshedToken = true;
          attempt -= 1;
          tokens.invalidate(req.partner.id, token.value);
          metrics.retries.inc({ operation: req.operation, reason: 'token_refresh' });
          continue;
        }
        if (!RETRYABLE_STATUSES.has(status)) {
          return {
            status,
            data: response.data as T,
            headers,
            requestId: headers['request-id'],
            clientRequestId,
            roles: token.roles,
          };
        }
        const retryAfter = this.retries.retryAfterMs(headers['retry-after']);
        last = { kind: 'status', status, ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}) };
        const wait =
          req.retry === 'never' ? undefined : this.retries.nextWait(attempt, deadlineAt, retryAfter);
        if (wait === undefined) throw this.giveUp(req, last, attempt);
        metrics.retries.inc({ operation: req.operation, reason: String(status) });
        await this.retries.sleep(wait);
        continue;
      }

      last = outcome;
      if (outcome.kind === 'tls' || outcome.kind === 'invalid') throw this.giveUp(req, outcome, attempt);
      const retryable = outcome.kind === 'timeout' || outcome.retryable;
      const wait =
        req.retry === 'never' || !retryable ? undefined : this.retries.nextWait(attempt, deadlineAt);
      if (wait === undefined) throw this.giveUp(req, outcome, attempt);
      metrics.retries.inc({
        operation: req.operation,
        reason: outcome.kind === 'timeout' ? 'timeout' : 'network_error',
      });
      await this.retries.sleep(wait);
    }
  }

  /**
   * The AppError for an answer the caller did not expect. A permission refusal also drops the held
   * token, so that the next call carries the roles an admin may just have consented to.
   */
  fail(req: Pick<GraphRequest, 'partner' | 'operation' | 'organizerId'>, response: GraphResponse): AppError {
    const error = graphErrorToAppError({
      partner: req.partner,
      operation: req.operation,
      status: response.status,
      body: response.data,
      headers: response.headers,
      roles: response.roles,
      ...(req.organizerId !== undefined ? { organizerId: req.organizerId } : {}),
    });
    if (error.code === 'PERMISSION_MISSING') this.options.tokens.invalidate(req.partner.id);
    return error;
  }

  /** An answer whose shape is not what Graph documents. */
  unexpected(req: Pick<GraphRequest, 'operation'>, response: GraphResponse, what: string): AppError {
    return new AppError('GRAPH_ERROR', {
      detail:
        `Microsoft Graph answered ${req.operation} with ${what} (HTTP ${response.status}` +
        `${response.requestId !== undefined ? `, request-id ${response.requestId}` : ''}).`,
    });
  }

  private async attempt(
    req: GraphRequest,
    baseURL: string,
    url: string,
    token: AccessToken,
    clientRequestId: string,
    remainingMs: number,
    attempt: number,
  ): Promise<Outcome> {
    const { http, logger, metrics } = this.options;
    const timeoutMs = Math.max(1, Math.min(this.attemptTimeoutMs, remainingMs));
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const started = process.hrtime.bigint();
    // A span per attempt (tracing on): the operation, Graph's host, the status and Graph's
    // request-id, which Microsoft support asks for; never the URL, its $filter or a header.
    const outcome = await inSpan(
      `Graph ${req.operation}`,
      'client',
      () => ({
        'http.request.method': req.method,
        'server.address': new URL(baseURL).hostname,
        'teams_meetings.graph.operation': req.operation,
        'teams_meetings.partner_id': req.partner.id,
        'teams_meetings.attempt': attempt,
        'ms.client_request_id': clientRequestId,
      }),
      async (span) => {
        let outcome: Outcome;
        try {
          const response = await http.request({
            method: req.method,
            baseURL,
            url,
            headers: {
              accept: 'application/json',
              ...req.headers,
              authorization: `Bearer ${token.value}`,
              'client-request-id': clientRequestId,
              'return-client-request-id': 'true',
            },
            ...(req.body !== undefined ? { data: req.body } : {}),
            timeout: timeoutMs,
            signal: controller.signal,
          });
          outcome = { kind: 'answer', response, headers: lowerCaseHeaders(response) };
        } catch (error) {
          const code = String((error as { code?: unknown }).code ?? 'UNKNOWN');
          if (controller.signal.aborted || code === 'ETIMEDOUT' || code === 'ECONNABORTED') {
            outcome = { kind: 'timeout' };
          } else if (isTlsErrorCode(code)) {
            outcome = { kind: 'tls', code };
          } else if (code === 'ERR_BAD_RESPONSE' || code === 'ERR_FR_MAX_CONTENT_LENGTH_EXCEEDED') {
            outcome = { kind: 'invalid', code };
          } else {
            outcome = { kind: 'network', code, retryable: RETRYABLE_NETWORK_CODES.has(code) };
          }
        } finally {
          clearTimeout(timer);
        }
        if (span) {
          if (outcome.kind === 'answer') {
            span.setAttribute('http.response.status_code', outcome.response.status);
            const requestId = outcome.headers['request-id'];
            if (requestId !== undefined) span.setAttribute('ms.request_id', requestId);
          } else {
            span.setAttribute('error.type', outcome.kind === 'timeout' ? 'timeout' : outcome.code);
          }
        }
        return outcome;
      },
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const status =
      outcome.kind === 'answer'
        ? String(outcome.response.status)
        : outcome.kind === 'timeout'
          ? 'timeout'
          : 'network_error';
    metrics.requests.inc({ operation: req.operation, status });
    metrics.duration.observe({ operation: req.operation }, seconds);

    const fields: Record<string, unknown> = {
      partnerId: req.partner.id,
      operation: req.operation,
      method: req.method,
      status,
      attempt,
      durationMs: Math.round(seconds * 1000),
      clientRequestId,
    };
    if (outcome.kind === 'answer') {
      fields['graphRequestId'] = outcome.headers['request-id'];
      const statusCode = outcome.response.status;
      if (statusCode >= 400) fields['graphCode'] = readGraphError(outcome.response.data).code;
      // A 404 is an answer the callers expect (a meeting already gone); anything else 4xx/5xx is worth a look.
      if (statusCode >= 400 && statusCode !== 404) logger.warn(fields, 'Microsoft Graph call failed');
      else logger.debug(fields, 'Microsoft Graph call');
    } else {
      if (outcome.kind !== 'timeout') fields['errorCode'] = outcome.code;
      logger.warn(fields, 'Microsoft Graph call got no answer');
    }
    return outcome;
  }

  private giveUp(req: GraphRequest, last: Failure, attempts: number): AppError {
    const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
    switch (last.kind) {
      case 'timeout':
        return new AppError('GRAPH_TIMEOUT', {
          detail: `Microsoft Graph did not answer ${req.operation} in time (${tries}).`,
        });
      case 'status': {
        const retryAfterSeconds = this.retries.giveUpRetryAfterSeconds(attempts, last.retryAfterMs);
        return new AppError('GRAPH_UNAVAILABLE', {
          detail:
            `Microsoft Graph answered ${last.status} to ${req.operation} (${tries}); ` +
            `retry after ${retryAfterSeconds} seconds.`,
          retryAfterSeconds,
        });
      }
      case 'network': {
        const retryAfterSeconds = this.retries.giveUpRetryAfterSeconds(attempts);
        return new AppError('GRAPH_UNAVAILABLE', {
          detail: `Microsoft Graph could not be reached for ${req.operation} (${last.code}, ${tries}).`,
          retryAfterSeconds,
        });
      }
      case 'tls':
        return new AppError('GRAPH_ERROR', {
          detail: `The TLS certificate of Microsoft Graph was not trusted (${last.code}).`,
          remediation:
            'If outbound HTTPS goes through an inspecting proxy, give its CA to the service with NODE_EXTRA_CA_CERTS.',
        });
      case 'invalid':
        return new AppError('GRAPH_ERROR', {
          detail: `Microsoft Graph's answer to ${req.operation} could not be read (${last.code}).`,
        });
    }
  }
}
