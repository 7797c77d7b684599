import { Router } from 'express';
import type { ApiKeyService } from '../../domain/partners/api-key.service';
import type { Access } from '../middleware/access';
import { methodNotAllowed } from '../middleware/method-not-allowed';
import { keyParamsSchema as keyParams } from '../schemas/api-key.schemas';
import { parseOrThrow, partnerParamsSchema as partnerParams } from '../schemas/common';

/** A partner's API keys: admin key only. */
export function apiKeyRoutes(keys: ApiKeyService, access: Access): Router {
  // Strict: /partners/ is not /partners (the contract has no trailing-slash paths).
  const router = Router({ strict: true });
  router.all(['/partners/:partnerId/api-keys', '/partners/:partnerId/api-keys/:keyId'], access.admin);

  router.post('/partners/:partnerId/api-keys', async (req, res) => {
    const { partnerId } = parseOrThrow(partnerParams, req.params, 'params');
    const issued = await keys.issue(partnerId);
    req.log.info({ partnerId, keyId: issued.id }, 'partner API key issued');
    res.status(201).json(issued);
  });

  router.get('/partners/:partnerId/api-keys', async (req, res) => {
    const { partnerId } = parseOrThrow(partnerParams, req.params, 'params');
    res.json({ apiKeys: await keys.list(partnerId) });
  });

  router.delete('/partners/:partnerId/api-keys/:keyId', async (req, res) => {
    const { partnerId, keyId } = parseOrThrow(keyParams, req.params, 'params');
    await keys.revoke(partnerId, keyId);
    req.log.info({ partnerId, keyId }, 'partner API key revoked');
    res.status(204).end();
  });
  router.all('/partners/:partnerId/api-keys', methodNotAllowed('GET, POST'));
  router.all('/partners/:partnerId/api-keys/:keyId', methodNotAllowed('DELETE'));

  return router;
}
