/**
 * Microsoft's answer shapes, in one place: Graph's `{ error: { code, message, innerError } }` with
 * its request-id headers, and Entra's AADSTS error body. Handlers return these; they never write.
 */
import type { SimResponse } from './types';

/** What every answer to one request shares. */
export interface AnswerContext {
  requestId: string;
  /** The caller's `client-request-id`, or the request id when it sent none (as Graph does). */
  clientRequestId: string;
  /** Origin of the simulator, for URLs inside answers. */
  origin: string;
}

export const GRAPH_JSON =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

const GRAPH_CODE_BY_STATUS: Record<number, string> = {
  400: 'BadRequest',
  401: 'InvalidAuthenticationToken',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  412: 'PreconditionFailed',
  413: 'RequestEntityTooLarge',
  424: 'FailedDependency',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  501: 'NotImplemented',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

const GRAPH_MESSAGE_BY_STATUS: Record<number, string> = {
  429: 'Too many requests. Please retry after the time given in the Retry-After header.',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'The service is currently unavailable. Please try again later.',
  504: 'The request timed out.',
};

export function graphCodeForStatus(status: number): string {
  return GRAPH_CODE_BY_STATUS[status] ?? (status >= 500 ? 'UnknownError' : 'BadRequest');
}

/** Graph's date in `innerError`: UTC to the second, no zone letter. */
function graphDate(now = new Date()): string {
  return now.toISOString().slice(0, 19);
}

export function graphHeaders(ctx: AnswerContext, contentType = GRAPH_JSON): Record<string, string> {
  return {
    'content-type': contentType,
    'request-id': ctx.requestId,
    'client-request-id': ctx.clientRequestId,
    'x-ms-ags-diagnostic': JSON.stringify({
      ServerInfo: { DataCenter: 'Simulator', Slice: 'E', Ring: '0', ScaleUnit: '000', RoleInstance: 'SIM' },
    }),
  };
}

export function graphOk(ctx: AnswerContext, status: number, body?: unknown): SimResponse {
  if (body === undefined) {
    const headers = graphHeaders(ctx);
    delete headers['content-type'];
    return { status, headers };
  }
  return { status, headers: graphHeaders(ctx), body };
}

export function graphErrorBody(ctx: AnswerContext, code: string, message: string): unknown {
  return {
    error: {
      code,
      message,
      innerError: {
        date: graphDate(),
        'request-id': ctx.requestId,
        'client-request-id': ctx.clientRequestId,
      },
    },
  };
}

export function graphError(
  ctx: AnswerContext,
  status: number,
  code: string = graphCodeForStatus(status),
  message: string = GRAPH_MESSAGE_BY_STATUS[status] ?? code,
  extraHeaders: Record<string, string> = {},
): SimResponse {
  return {
    status,
    headers: { ...graphHeaders(ctx, 'application/json'), ...extraHeaders },
    body: graphErrorBody(ctx, code, message),
  };
}

/** Entra's timestamp in error bodies: `2024-10-03 18:40:55Z`. */
function aadTimestamp(now = new Date()): string {
  return `${now.toISOString().slice(0, 10)} ${now.toISOString().slice(11, 19)}Z`;
}

export function aadHeaders(ctx: AnswerContext): Record<string, string> {
  return {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store, no-cache',
    pragma: 'no-cache',
    'x-ms-request-id': ctx.requestId,
    'client-request-id': ctx.clientRequestId,
  };
}

export interface AadErrorInput {
  status: number;
  /** OAuth error, e.g. `invalid_client`. */
  error: string;
  /** The AADSTS number. */
  code: number;
  /** The text after `AADSTSnnnn: `. */
  description: string;
}

/** Entra's error body: `{ error, error_description: "AADSTSnnnn: ...", error_codes: [n], ... }`. */
export function aadError(
  ctx: AnswerContext,
  input: AadErrorInput,
  extraHeaders: Record<string, string> = {},
): SimResponse {
  const timestamp = aadTimestamp();
  return {
    status: input.status,
    headers: { ...aadHeaders(ctx), ...extraHeaders },
    body: {
      error: input.error,
      error_description:
        `AADSTS${input.code}: ${input.description}\r\n` +
        `Trace ID: ${ctx.requestId}\r\nCorrelation ID: ${ctx.clientRequestId}\r\nTimestamp: ${timestamp}`,
      error_codes: [input.code],
      timestamp,
      trace_id: ctx.requestId,
      correlation_id: ctx.clientRequestId,
      error_uri: `${ctx.origin}/error?code=${input.code}`,
    },
  };
}

/** The AADSTS answer a status fault on a token or metadata request gives. */
export function aadErrorForStatus(status: number): AadErrorInput {
  if (status === 429) {
    return {
      status,
      error: 'temporarily_unavailable',
      code: 90055,
      description: 'The request is throttled temporarily. Please try after some time.',
    };
  }
  if (status >= 500) {
    return {
      status,
      error: 'temporarily_unavailable',
      code: 90024,
      description: 'A transient error has occurred. Please try again.',
    };
  }
  return {
    status,
    error: 'invalid_request',
    code: 50000,
    description: 'There was an error issuing a token.',
  };
}
