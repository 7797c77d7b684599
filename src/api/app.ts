/**
 * Builds the Express app from its parts. Listening, signals and process lifetime live in
 * `main.ts`; tests build the app with real parts and listen on port 0.
 */
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Config } from '../config/config';
import type { Logger } from '../logging/logger';
import type { Store } from '../domain/ports';
import { AppError } from '../domain/errors';
import { ApiKeyService } from '../domain/api-key.service';
import { HealthService } from '../domain/health.service';
import { PartnerService } from '../domain/partner.service';
import { SecretCipher } from '../domain/secret-cipher';
import { VERSION } from '../version';
import { accessLog } from './middleware/access-log';
import { requireAdmin, requireAnyKey, requirePartner } from './middleware/auth';
import { createHttpMetrics, type HttpMetrics } from './middleware/metrics';
import { rateLimit } from './middleware/rate-limit';
import { securityHeaders } from './middleware/security-headers';
import { requestContext } from './middleware/request-context';
import { errorHandler, notFoundHandler } from './error-handler';
import { apiKeyRoutes } from './routes/api-key.routes';
import { opsRoutes } from './routes/ops.routes';
import { partnerRoutes } from './routes/partner.routes';
import { meetingRoutes } from './routes/meeting.routes';
import { diagnosticsRoutes } from './routes/diagnostics.routes';
import { SetupDiagnosticsService } from '../domain/setup-diagnostics.service';
import { Counter } from 'prom-client';
import { IdentityMatcher } from '../domain/identity-matcher';
import { MeetingService } from '../domain/meeting.service';
import { createMicrosoftGateway, type GraphMicrosoftGateway } from '../integrations/microsoft/graph-gateway';

export const BODY_LIMIT = '100kb';

/** How the service reaches Microsoft beyond the configuration: tests pass the simulator's CA. */
export interface MicrosoftOptions {
  /** An extra CA for Entra/Graph (e.g. the simulator's), on top of the system's and NODE_EXTRA_CA_CERTS. */
  extraCaPem?: string;
  attemptTimeoutMs?: number;
  deadlineMs?: number;
  maxAttempts?: number;
}

export interface AppDeps {
  config: Pick<
    Config,
    'adminApiKey' | 'secretsKey' | 'rateLimitPerMinute' | 'azureAuthorityHost' | 'graphBaseUrl'
  >;
  store: Store;
  logger: Logger;
  metrics?: HttpMetrics;
  microsoft?: MicrosoftOptions;
  now?: () => Date;
}

export interface BuiltApp {
  app: Express;
  services: {
    partners: PartnerService;
    apiKeys: ApiKeyService;
    health: HealthService;
    meetings: MeetingService;
    diagnostics: SetupDiagnosticsService;
    gateway: GraphMicrosoftGateway;
  };
  metrics: HttpMetrics;
  /** Tells /health and new requests that the process is shutting down. */
  startDraining(): void;
}

export function buildApp(deps: AppDeps): BuiltApp {
  const now = deps.now ?? (() => new Date());
  const partners = new PartnerService(deps.store.partners, new SecretCipher(deps.config.secretsKey), now);
  const apiKeys = new ApiKeyService(deps.store.apiKeys, deps.store.partners, deps.config.adminApiKey, now);
  const metrics = deps.metrics ?? createHttpMetrics();
  const gateway = createMicrosoftGateway({
    logger: deps.logger,
    registry: metrics.registry,
    clientSecretOf: (partner) => partners.clientSecretOf(partner),
    authorityHostOverride: deps.config.azureAuthorityHost,
    graphBaseUrlOverride: deps.config.graphBaseUrl,
    ...deps.microsoft,
  });
  const identityLookups = new Counter({
    name: 'teams_meetings_identity_lookups_total',
    help: 'Identity values resolved, by whether the cache answered (hit) or Graph was asked (miss).',
    labelNames: ['outcome'] as const,
    registers: [metrics.registry],
  });
  const identities = new IdentityMatcher(gateway, {
    onLookup: (outcome) => identityLookups.inc({ outcome }),
  });
  partners.onChange((partnerId) => {
    gateway.forgetPartner(partnerId);
    identities.forgetPartner(partnerId);
  });
  const health = new HealthService(deps.store, VERSION, now, () => gateway.credentialFailures().length);
  const meetings = new MeetingService(deps.store.meetings, gateway, identities, now);
  const diagnostics = new SetupDiagnosticsService(partners, gateway, identities, now);
  let draining = false;

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(requestContext(deps.logger));
  app.use(metrics.middleware);
  app.use(accessLog(deps.logger));
  app.use(securityHeaders());
  app.use((_req: Request, res: Response, next: NextFunction) => {
    if (draining) res.setHeader('Connection', 'close');
    next();
  });
  app.use(requireJsonBody);
  app.use(express.json({ limit: BODY_LIMIT, type: ['application/json', 'application/*+json'] }));

  const limiter = rateLimit(deps.config.rateLimitPerMinute);
  const admin = [requireAdmin(apiKeys), limiter];

  app.use(
    opsRoutes({
      health,
      registry: metrics.registry,
      isDraining: () => draining,
      requireAdmin: admin,
      requireAnyKey: [requireAnyKey(apiKeys), limiter],
    }),
  );
  // The meeting routes, the hot path, come before the admin ones; the paths do not overlap.
  app.use('/appointments', requirePartner(apiKeys), limiter);
  app.use(meetingRoutes(meetings));
  app.use('/partners', ...admin);
  app.use(partnerRoutes(partners));
  app.use(apiKeyRoutes(apiKeys));
  app.use(diagnosticsRoutes(diagnostics));

  app.use(notFoundHandler());
  app.use(errorHandler());

  return {
    app,
    services: { partners, apiKeys, health, meetings, diagnostics, gateway },
    metrics,
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
