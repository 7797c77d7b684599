import { Router, type Request, type Response } from 'express';
import type { SetupLinkService } from '../../domain/partners/setup-link.service';
import type { Access } from '../middleware/access';
import { methodNotAllowed } from '../middleware/method-not-allowed';
import { parseOrThrow, partnerParamsSchema as partnerParams } from '../schemas/common';
import { linkParamsSchema as linkParams, setupLinkCreateSchema } from '../schemas/setup-link.schemas';

/**
 * A partner's setup links: the admin key; and a setup link may make one for its own partner, to
 * hand the setup to the next person (expiring no later than itself), but not list or revoke them.
 */
export function setupLinkRoutes(links: SetupLinkService, access: Access): Router {
  // Strict: /partners/ is not /partners (the contract has no trailing-slash paths).
  const router = Router({ strict: true });

  router.post('/partners/:partnerId/setup-links', ...access.setup, async (req: Request, res: Response) => {
    const { partnerId } = parseOrThrow(partnerParams, req.params, 'params');
    const { expiresInHours } = parseOrThrow(setupLinkCreateSchema, req.body ?? {}, 'body');
    const principal = req.principal;
    const handedOver = principal?.kind === 'setup';
    const issued = await links.issue(partnerId, expiresInHours, handedOver ? principal.expiresAt : undefined);
    // The link holds its token: log its id only.
    req.log.info(
      {
        partnerId,
        linkId: issued.id,
        expiresAt: issued.expiresAt,
        ...(handedOver ? { from: principal.linkId } : {}),
      },
      handedOver ? 'setup link handed over' : 'setup link issued',
    );
    res.status(201).json(issued);
  });
  router.all(['/partners/:partnerId/setup-links', '/partners/:partnerId/setup-links/:linkId'], access.admin);

  router.get('/partners/:partnerId/setup-links', async (req, res) => {
    const { partnerId } = parseOrThrow(partnerParams, req.params, 'params');
    res.json({ setupLinks: await links.list(partnerId) });
  });

  router.delete('/partners/:partnerId/setup-links/:linkId', async (req, res) => {
    const { partnerId, linkId } = parseOrThrow(linkParams, req.params, 'params');
    await links.revoke(partnerId, linkId);
    req.log.info({ partnerId, linkId }, 'setup link revoked');
    res.status(204).end();
  });
  router.all('/partners/:partnerId/setup-links', methodNotAllowed('GET, POST'));
  router.all('/partners/:partnerId/setup-links/:linkId', methodNotAllowed('DELETE'));

  return router;
}
