/**
 * RFC 9457 problem details: the only shape an error leaves the service in. Its text passes the
 * same redaction as every log line (logging/redact.ts): an upstream message quoted in `detail`
 * can carry a token or a secret, and an answer is no place for it either.
 */
import type { Response } from 'express';
import type { AppError } from '../domain/errors';
import { scrubText } from '../logging/redact';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemType(code: string): string {
  return `https://teams-meetings.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`;
}

/** The problem document of an error, as JSON text. */
export function problemBody(error: AppError, requestId: string): string {
  return JSON.stringify({
    type: problemType(error.code),
    title: error.title,
    status: error.status,
    detail: scrubText(error.detail),
    code: error.code,
    requestId,
    ...(error.remediation === undefined ? {} : { remediation: scrubText(error.remediation) }),
    ...(error.errors === undefined
      ? {}
      : { errors: error.errors.map((e) => ({ field: e.field, message: scrubText(e.message) })) }),
  });
}

export function sendProblem(res: Response, error: AppError, requestId: string): void {
  // For /metrics: problems answered, by code (metrics.ts).
  res.locals.problemCode = error.code;
  if (error.retryAfterSeconds !== undefined) {
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
  }
  if (error.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  res.status(error.status).type(PROBLEM_CONTENT_TYPE).send(problemBody(error, requestId));
}
