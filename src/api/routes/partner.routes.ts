import { Router } from 'express';
import { AppError } from '../../domain/errors';
import type { PartnerService } from '../../domain/partners/partner.service';
import { parseOrThrow, partnerParamsSchema as params } from '../schemas/common';
import { partnerListQuerySchema, partnerPatchSchema, partnerPutSchema } from '../schemas/partner.schemas';
import type { PartnerStatusService } from '../../domain/setup/setup-watch';
import type { Access } from '../middleware/access';
import { methodNotAllowed } from '../middleware/method-not-allowed';

/** What a setup link may not change: the careers service's choices, not the setup guide's fields. */
const CAREERS_SERVICE_FIELDS = ['meetingDefaults', 'meetingMode', 'sendInvitations'] as const;

/** Partners (the setup guide's Step 4 configuration): admin key only. */
export function partnerRoutes(
  partners: PartnerService,
  access: Access,
  statuses: PartnerStatusService,
): Router {
  // Strict: /partners/ is not /partners (the contract has no trailing-slash paths).
  const router = Router({ strict: true });

  router
    .route('/partners')
    .all(access.admin)
    .get(async (req, res) => {
      const { include } = parseOrThrow(partnerListQuerySchema, req.query, 'query');
      const list = await partners.list();
      if (include !== 'status') {
        res.json({ partners: list });
        return;
      }
      const status = await statuses.all();
      res.json({ partners: list.map((partner) => ({ ...partner, status: status.get(partner.id) })) });
    })
    .all(methodNotAllowed('GET'));

  // GET and PATCH also with the partner's setup link (the IT team's Steps 1-4); PUT and DELETE not.
  router.get('/partners/:partnerId', ...access.setup, async (req, res) => {
    const { partnerId } = parseOrThrow(params, req.params, 'params');
    res.json(await partners.get(partnerId));
  });

  router.put('/partners/:partnerId', ...access.admin, async (req, res) => {
    const { partnerId } = parseOrThrow(params, req.params, 'params');
    const body = parseOrThrow(partnerPutSchema, req.body, 'body');
    const { created, partner } = await partners.put(partnerId, body);
    req.log.info({ partnerId, created }, created ? 'partner created' : 'partner replaced');
    res.status(created ? 201 : 200).json(partner);
  });

  router.patch('/partners/:partnerId', ...access.setup, async (req, res) => {
    const { partnerId } = parseOrThrow(params, req.params, 'params');
    const body = parseOrThrow(partnerPatchSchema, req.body, 'body');
    const careersServices = CAREERS_SERVICE_FIELDS.filter((field) => body[field] !== undefined);
    if (req.principal?.kind === 'setup' && careersServices.length > 0) {
      // Meeting policy and mode belong to the careers service, not to the IT team's setup.
      throw new AppError('FORBIDDEN', {
        detail: `A setup link changes the setup guide's fields only; ${careersServices.join(', ')} are the careers service's, set with the admin key.`,
      });
    }
    const partner = await partners.patch(partnerId, body);
    req.log.info({ partnerId, fields: Object.keys(body) }, 'partner updated');
    res.json(partner);
  });

  router.delete('/partners/:partnerId', ...access.admin, async (req, res) => {
    const { partnerId } = parseOrThrow(params, req.params, 'params');
    await partners.delete(partnerId);
    req.log.info({ partnerId }, 'partner deleted');
    res.status(204).end();
  });
  router.all('/partners/:partnerId', ...access.setup, methodNotAllowed('GET, PUT, PATCH, DELETE'));

  return router;
}
