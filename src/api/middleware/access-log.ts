/**
 * One line per request when it ends: method, route template (not the raw path, which can hold
 * appointment ids), status and duration. Query strings and bodies are never logged.
 */
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../../logging/logger';

export function routeLabel(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  return typeof route?.path === 'string' ? `${req.baseUrl}${route.path}` : 'unmatched';
}

export function accessLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
      logger[level](
        {
          // Given explicitly: 'finish' may fire outside the request's async scope.
          requestId: req.id,
          method: req.method,
          route: routeLabel(req),
          status: res.statusCode,
          durationMs: Math.round(durationMs * 100) / 100,
          principal:
            req.principal?.kind === 'partner' || req.principal?.kind === 'setup'
              ? `${req.principal.kind}:${req.principal.partnerId}`
              : req.principal?.kind,
        },
        'request completed',
      );
    });
    next();
  };
}
