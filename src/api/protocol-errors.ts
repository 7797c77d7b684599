/**
 * The answers Node's HTTP parser would otherwise write itself, empty: a request line or headers
 * too large (431), framing it cannot read (conflicting Content-Length and Transfer-Encoding, bad
 * chunking, bare LF, NUL in a header: 400), a request that took too long to arrive (408), an
 * `Expect` it does not meet (417), and an HTTP/1.1 request without Host (400). Each gets a
 * problem+json body, a request id and the security headers, like every other answer, where the
 * socket can still take one.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import { AppError, type ErrorCode } from '../domain/errors';
import type { Logger } from '../logging/logger';
import { SECURITY_HEADERS } from './middleware/security-headers';
import { PROBLEM_CONTENT_TYPE, problemBody } from './problem';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  417: 'Expectation Failed',
  431: 'Request Header Fields Too Large',
};

function classify(code: string | undefined): AppError {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return new AppError('REQUEST_HEADERS_TOO_LARGE', {
      detail: 'The request line or its headers are larger than the service accepts (16 kB).',
    });
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'HPE_HEADER_TIMEOUT') {
    return new AppError('REQUEST_TIMEOUT', { detail: 'The request did not arrive in time.' });
  }
  return new AppError('VALIDATION_FAILED', {
    detail: 'The request could not be read as HTTP/1.1.',
    errors: [{ field: 'request', message: `Malformed request framing (${code ?? 'unknown'}).` }],
  });
}

/** A whole HTTP/1.1 answer for a socket that has no response object. */
function rawAnswer(error: AppError): string {
  const requestId = randomUUID();
  const body = problemBody(error, requestId);
  const headers = [
    `HTTP/1.1 ${error.status} ${REASONS[error.status] ?? 'Error'}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    ...SECURITY_HEADERS.map(([name, value]) => `${name}: ${value}`),
    'Connection: close',
  ];
  return `${headers.join('\r\n')}\r\n\r\n${body}`;
}

function answer(res: ServerResponse, code: ErrorCode, detail: string): void {
  const requestId = randomUUID();
  const error = new AppError(code, { detail });
  for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value);
  res.setHeader('X-Request-Id', requestId);
  res.setHeader('Content-Type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`);
  const body = problemBody(error, requestId);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.writeHead(error.status);
  res.end(body);
}

/** Installs the answers on the listening server (main.ts; tests do the same). */
export function answerProtocolErrors(server: Server, logger: Logger): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const error = classify(err.code);
    logger.info({ code: error.code, parserCode: err.code }, 'unreadable request answered');
    socket.end(rawAnswer(error));
  });
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    answer(
      res,
      'EXPECTATION_FAILED',
      `Expect: ${String(req.headers.expect).slice(0, 100)} is not supported; send the request without it.`,
    );
  });
}

/** HTTP/1.1 requires Host (RFC 9112); the server lets the app answer its absence (requireHostHeader: false). */
export function requireHost(req: Request, _res: Response, next: NextFunction): void {
  if (req.httpVersion === '1.1' && req.headers.host === undefined) {
    throw new AppError('VALIDATION_FAILED', {
      detail: 'An HTTP/1.1 request needs a Host header.',
      errors: [{ field: 'headers.host', message: 'Required.' }],
    });
  }
  next();
}
