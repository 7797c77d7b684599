/**
 * Builds the Express app from its parts. Listening, signals and process lifetime live in
 * `main.ts`; tests build the app with real parts and listen on port 0.
 */
import { rememberSecretsIn } from '../logging/redact';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Services } from '../composition-root';
import type { Logger } from '../logging/logger';
import { AppError } from '../domain/errors';
import { accessLog } from './middleware/access-log';
import { accessGuards } from './middleware/access';
import { createHttpMetrics } from './middleware/metrics';
import { securityHeaders } from './middleware/security-headers';
import { requestContext } from './middleware/request-context';
import { errorHandler, notFoundHandler } from './error-handler';
import { requireHost } from './protocol-errors';
import { apiKeyRoutes } from './routes/api-key.routes';
import { certificateRoutes } from './routes/certificate.routes';
import { setupLinkRoutes } from './routes/setup-link.routes';
import { setupRoutes } from './routes/setup.routes';
import { opsRoutes } from './routes/ops.routes';
import { partnerRoutes } from './routes/partner.routes';
import { meetingRoutes } from './routes/meeting.routes';
import { diagnosticsRoutes } from './routes/diagnostics.routes';
import { webhookRoutes } from './routes/webhook.routes';
import { consentRoutes } from './routes/consent.routes';

export const BODY_LIMIT = '100kb';

export interface AppDeps {
  services: Services;
  logger: Logger;
  rateLimitPerMinute: number;
  /** Failed authentications per client address and minute before 429 (UNAUTHENTICATED_LIMIT_PER_MINUTE). */
  unauthenticatedLimitPerMinute: number;
  /** Express's `trust proxy`: which hops' X-Forwarded-For to believe for the client address (TRUST_PROXY). */
  trustProxy: boolean | number | string;
  /** The time budget of one request (REQUEST_TIMEOUT_MS), on the services' clock. */
  requestTimeoutMs: number;
}

export interface BuiltApp {
  app: Express;
  /** Tells /health and new requests that the process is shutting down. */
  startDraining(): void;
}

/** The HTTP layer over composed services (`composition-root.ts`): middleware, routes, errors. */
export function buildApp(deps: AppDeps): BuiltApp {
  const { partners, apiKeys, setupLinks, certificates, health, meetings, attendance, diagnostics } =
    deps.services;
  const metrics = createHttpMetrics(deps.services.registry);
  let draining = false;

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.set('strict routing', true);
  app.set('trust proxy', deps.trustProxy);

  app.use(requestContext(deps.logger, deps.requestTimeoutMs, deps.services.clock.now));
  app.use(metrics.middleware);
  app.use(accessLog(deps.logger));
  app.use(securityHeaders());
  app.use(requireHost);
  app.use((_req: Request, res: Response, next: NextFunction) => {
    if (draining) res.setHeader('Connection', 'close');
    next();
  });
  app.use(requireJsonBody);
  app.use(express.json({ limit: BODY_LIMIT, type: ['application/json', 'application/*+json'] }));
  // A secret a request sends (a client secret, a key's passphrase) is redacted from its lines and
  // its answer whatever its shape, also where something else quotes it back.
  app.use((req: Request, _res: Response, next: NextFunction) => {
    rememberSecretsIn(req.body);
    next();
  });

  // Each router declares who may call each of its routes; the order below is only for speed
  // (the meeting routes, the hot path, first) and decides nothing about access.
  const access = accessGuards(apiKeys, {
    perKeyPerMinute: deps.rateLimitPerMinute,
    failedAuthPerMinute: deps.unauthenticatedLimitPerMinute,
    store: deps.services.rateLimits,
  });
  app.use(meetingRoutes(meetings, attendance, access));
  app.use(opsRoutes({ health, registry: metrics.registry, isDraining: () => draining, access }));
  app.use(partnerRoutes(partners, access, deps.services.partnerStatus));
  app.use(apiKeyRoutes(apiKeys, access));
  app.use(setupLinkRoutes(setupLinks, access));
  app.use(setupRoutes(access, deps.services.consent.platformAppId()));
  app.use(certificateRoutes(certificates, access));
  app.use(diagnosticsRoutes(diagnostics, access));
  app.use(webhookRoutes(deps.services.webhooks, access));
  app.use(consentRoutes(deps.services.consent, access));

  app.use(notFoundHandler());
  app.use(errorHandler());

  return {
    app,
    startDraining: () => {
      draining = true;
    },
  };
}

/** A body on POST/PUT/PATCH must be JSON; anything else is 415 rather than a confusing 400. */
function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (
    hasBody &&
    ['POST', 'PUT', 'PATCH'].includes(req.method) &&
    !req.is(['application/json', 'application/*+json'])
  ) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', { detail: 'Send the body as application/json.' });
  }
  next();
}
