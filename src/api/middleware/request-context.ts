/**
 * The request id: taken from `X-Request-Id` when it is a sane token, made otherwise, returned on
 * the answer, and put in the request's async scope so that every log line of the request carries
 * it (see logging/logger.ts), with the request's time budget (request-scope.ts).
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../../logging/logger';
import { requestScope } from '../../request-scope';
import type { Principal } from '../../domain/partners/api-key.service';

const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    log: Logger;
    principal?: Principal;
  }
}

/** `budgetMs`: the request's time budget (REQUEST_TIMEOUT_MS), counted from its arrival on `now`. */
export function requestContext(logger: Logger, budgetMs: number, now: () => number = Date.now) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const sent = req.get('x-request-id');
    req.id = sent !== undefined && ACCEPTED_REQUEST_ID.test(sent) ? sent : randomUUID();
    req.log = logger;
    res.setHeader('X-Request-Id', req.id);
    requestScope.run({ requestId: req.id, deadlineAt: now() + budgetMs, now }, next);
  };
}
