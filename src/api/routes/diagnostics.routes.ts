/**
 * Setup diagnostics for the IT team (admin key): the setup guide's checks, and the PowerShell for
 * the Teams admin.
 */
import { Router } from 'express';
import type { SetupDiagnosticsService } from '../../domain/setup/setup-diagnostics.service';
import type { Access } from '../middleware/access';
import { methodNotAllowed } from '../middleware/method-not-allowed';
import { parseOrThrow, partnerParamsSchema as params } from '../schemas/common';
import { accessPolicyScriptBodySchema, verifyBodySchema } from '../schemas/diagnostics.schemas';

/** Setup checks and the access-policy script: the admin key, or the partner's setup link. */
export function diagnosticsRoutes(diagnostics: SetupDiagnosticsService, access: Access): Router {
  // Strict: /partners/ is not /partners (the contract has no trailing-slash paths).
  const router = Router({ strict: true });

  router
    .route('/partners/:partnerId/verify')
    .all(access.setup)
    .post(async (req, res) => {
      const { partnerId } = parseOrThrow(params, req.params, 'params');
      const operators = parseOrThrow(verifyBodySchema, req.body, 'body');
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
    // The last check, as it answered: what the next person sees before checking again.
    .get(async (req, res) => {
      const { partnerId } = parseOrThrow(params, req.params, 'params');
      const last = await diagnostics.lastCheck(partnerId);
      // Not checked yet is no error (a page asking on load shows no failed request).
      if (last === null) res.status(204).end();
      else res.json(last);
    })
    .all(methodNotAllowed('GET, POST'));

  // The PowerShell for the Teams admin (Steps 2-3) and for the Exchange admin (the Exchange step):
  // the same body (advisers and/or a group), the same access, a text answer.
  const scripts = {
    '/partners/:partnerId/access-policy-script': diagnostics.accessPolicyScript.bind(diagnostics),
    '/partners/:partnerId/exchange-scope-script': diagnostics.exchangeScopeScript.bind(diagnostics),
  };
  for (const [path, write] of Object.entries(scripts)) {
    router
      .route(path)
      .all(access.setup)
      .post(async (req, res) => {
        const { partnerId } = parseOrThrow(params, req.params, 'params');
        const { operators, group } = parseOrThrow(accessPolicyScriptBodySchema, req.body, 'body');
        res.type('text/plain').send(await write(partnerId, operators, group));
      })
      .all(methodNotAllowed('POST'));
  }

  return router;
}
