/**
 * Operations: health (no key, for load balancers), Prometheus metrics (admin key) and the
 * contract (any key).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Router } from 'express';
import type { Registry } from 'prom-client';
import type { HealthService } from '../../domain/health/health.service';
import type { Access } from '../middleware/access';
import { methodNotAllowed } from '../middleware/method-not-allowed';

export const OPENAPI_PATH = path.join(__dirname, '..', '..', '..', 'openapi.yaml');

export interface OpsRouteDeps {
  health: HealthService;
  registry: Registry;
  isDraining: () => boolean;
  access: Access;
}

export function opsRoutes(deps: OpsRouteDeps): Router {
  // Strict: /partners/ is not /partners (the contract has no trailing-slash paths).
  const router = Router({ strict: true });
  let openapi: string | undefined;

  router
    .route('/health')
    .all(deps.access.none)
    .get(async (_req, res) => {
      const report = await deps.health.report({ draining: deps.isDraining() });
      res.status(report.status === 'unavailable' ? 503 : 200).json(report);
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/metrics')
    .all(deps.access.admin)
    .get(async (_req, res) => {
      res.type(deps.registry.contentType).send(await deps.registry.metrics());
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/openapi.yaml')
    .all(deps.access.anyKey)
    .get((_req, res) => {
      openapi ??= fs.readFileSync(OPENAPI_PATH, 'utf8');
      res.type('application/yaml').send(openapi);
    })
    .all(methodNotAllowed('GET'));

  return router;
}
