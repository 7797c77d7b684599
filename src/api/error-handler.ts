/**
 * Where every error ends: known ones become their problem+json answer, body-parser's become
 * 400/413/415, and anything unexpected is logged whole and answered as a generic 500.
 */
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../domain/errors';
import { StoreUnavailableError } from '../domain/store.port';
import { sendProblem } from './problem';

interface HttpishError {
  type?: unknown;
  status?: unknown;
}

function fromBodyParser(error: HttpishError): AppError | undefined {
  switch (error.type) {
    case 'entity.too.large':
      return new AppError('PAYLOAD_TOO_LARGE', { detail: 'The request body is larger than 100 kB.' });
    case 'entity.parse.failed':
      return new AppError('VALIDATION_FAILED', {
        detail: 'The request body is not valid JSON.',
        errors: [{ field: 'body', message: 'Not valid JSON.' }],
      });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', { detail: 'Send the body as UTF-8 JSON.' });
    case 'request.aborted':
    case 'request.size.invalid':
      return new AppError('VALIDATION_FAILED', { detail: 'The request body was incomplete.' });
    default:
      return undefined;
  }
}

export function errorHandler() {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(error);
    let known = error instanceof AppError ? error : fromBodyParser((error ?? {}) as HttpishError);
    if (error instanceof StoreUnavailableError) {
      known = new AppError('STORE_UNAVAILABLE', {
        detail: 'The service cannot reach its store; nothing was changed. Retry shortly.',
        retryAfterSeconds: 5,
        cause: error.cause,
      });
    }
    if (!known && typeof (error as HttpishError)?.status === 'number') {
      const status = (error as HttpishError).status as number;
      if (status >= 400 && status < 500) {
        known = new AppError('VALIDATION_FAILED', {
          detail: 'The request is malformed.',
          errors: [
            {
              field: 'request',
              message: 'The request line or headers could not be read (e.g. bad percent-encoding).',
            },
          ],
        });
      }
    }
    if (known) {
      if (known.status >= 500) req.log.warn({ code: known.code, err: known.cause }, known.detail);
      sendProblem(res, known, req.id);
      return;
    }
    req.log.error({ err: error }, 'unhandled error');
    sendProblem(
      res,
      new AppError('INTERNAL_ERROR', {
        detail: 'Something went wrong; the request id identifies it in the logs.',
      }),
      req.id,
    );
  };
}

export function notFoundHandler() {
  return (req: Request): never => {
    throw new AppError('NOT_FOUND', { detail: `There is no ${req.method} ${req.path.slice(0, 200)}.` });
  };
}
