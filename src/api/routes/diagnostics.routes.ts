/**
 * Setup diagnostics for the IT team (admin key): the setup guide's checks, and the PowerShell for
 * the Teams admin.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { SetupDiagnosticsService } from '../../domain/setup-diagnostics.service';
import { methodNotAllowed } from '../middleware/method-not-allowed';
import { parseOrThrow, partnerIdSchema } from '../schemas/common';
import { operatorsBodySchema } from '../schemas/diagnostics.schemas';

const params = z.object({ partnerId: partnerIdSchema });

export function diagnosticsRoutes(diagnostics: SetupDiagnosticsService): Router {
  const router = Router();

  router
    .route('/partners/:partnerId/verify')
    .post(async (req, res) => {
      const { partnerId } = parseOrThrow(params, req.params, 'params');
      const operators = parseOrThrow(operatorsBodySchema, req.body, 'body');
      const result = await diagnostics.verify(partnerId, operators);
      req.log.info(
        {
          partnerId,
          ok: result.ok,
          failed: result.checks.filter((c) => c.status === 'fail').map((c) => c.id),
        },
        'setup verified',
      );
      res.json(result);
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/partners/:partnerId/access-policy-script')
    .post(async (req, res) => {
      const { partnerId } = parseOrThrow(params, req.params, 'params');
      const operators = parseOrThrow(operatorsBodySchema, req.body, 'body');
      res.type('text/plain').send(await diagnostics.accessPolicyScript(partnerId, operators));
    })
    .all(methodNotAllowed('POST'));

  return router;
}
