import { Router, type Request } from 'express';
import type { WebhookCaller, WebhookService } from '../../domain/events/webhook.service';
import { AppError } from '../../domain/errors';
import type { Access } from '../middleware/access';
import { methodNotAllowed } from '../middleware/method-not-allowed';
import { parseOrThrow } from '../schemas/common';
import {
  deliveriesQuerySchema,
  deliveryParamsSchema,
  webhookCreateSchema,
  webhookListQuerySchema,
  webhookParamsSchema,
  webhookPatchSchema,
} from '../schemas/webhook.schemas';

/** Who asks: the admin key (every webhook) or a partner key (its partner's only). */
function callerOf(req: Request): WebhookCaller {
  const principal = req.principal;
  if (principal?.kind === 'admin') return { kind: 'admin' };
  if (principal?.kind === 'partner') return { kind: 'partner', partnerId: principal.partnerId };
  throw new AppError('FORBIDDEN');
}

/** TARGETconnect's webhooks (API.md "Events to TARGETconnect"): the admin key or a partner key. */
export function webhookRoutes(webhooks: WebhookService, access: Access): Router {
  const router = Router({ strict: true });
  router.all(
    [
      '/webhooks',
      '/webhooks/:webhookId',
      '/webhooks/:webhookId/secret',
      '/webhooks/:webhookId/test',
      '/webhooks/:webhookId/deliveries',
      '/webhooks/:webhookId/deliveries/:eventId/retry',
    ],
    access.anyKey,
  );

  router.post('/webhooks', async (req, res) => {
    const body = parseOrThrow(webhookCreateSchema, req.body, 'body');
    const { webhook, secret } = await webhooks.create(callerOf(req), body);
    // The URL may hold a token of the receiver's, and the secret is shown once: neither is logged.
    req.log.info(
      { webhookId: webhook.id, partnerId: webhook.partnerId, events: webhook.events },
      'webhook created',
    );
    res.status(201).json({ ...webhook, secret });
  });
  router.get('/webhooks', async (req, res) => {
    const { partnerId } = parseOrThrow(webhookListQuerySchema, req.query, 'query');
    res.json({ webhooks: await webhooks.list(callerOf(req), partnerId) });
  });
  router.all('/webhooks', methodNotAllowed('GET, POST'));

  router.get('/webhooks/:webhookId', async (req, res) => {
    const { webhookId } = parseOrThrow(webhookParamsSchema, req.params, 'params');
    res.json(await webhooks.get(callerOf(req), webhookId));
  });
  router.patch('/webhooks/:webhookId', async (req, res) => {
    const { webhookId } = parseOrThrow(webhookParamsSchema, req.params, 'params');
    const body = parseOrThrow(webhookPatchSchema, req.body, 'body');
    const webhook = await webhooks.patch(callerOf(req), webhookId, body);
    req.log.info({ webhookId, fields: Object.keys(body), enabled: webhook.enabled }, 'webhook changed');
    res.json(webhook);
  });
  router.delete('/webhooks/:webhookId', async (req, res) => {
    const { webhookId } = parseOrThrow(webhookParamsSchema, req.params, 'params');
    await webhooks.delete(callerOf(req), webhookId);
    req.log.info({ webhookId }, 'webhook deleted');
    res.status(204).end();
  });
  router.all('/webhooks/:webhookId', methodNotAllowed('GET, PATCH, DELETE'));

  router.post('/webhooks/:webhookId/secret', async (req, res) => {
    const { webhookId } = parseOrThrow(webhookParamsSchema, req.params, 'params');
    const { webhook, secret } = await webhooks.rotate(callerOf(req), webhookId);
    req.log.info(
      { webhookId, previousSecretExpiresAt: webhook.previousSecretExpiresAt },
      'webhook secret rotated',
    );
    res.json({ ...webhook, secret });
  });
  router.all('/webhooks/:webhookId/secret', methodNotAllowed('POST'));

  router.post('/webhooks/:webhookId/test', async (req, res) => {
    const { webhookId } = parseOrThrow(webhookParamsSchema, req.params, 'params');
    const { eventId } = await webhooks.test(callerOf(req), webhookId);
    req.log.info({ webhookId, eventId }, 'webhook test event recorded');
    res.status(202).json({ eventId });
  });
  router.all('/webhooks/:webhookId/test', methodNotAllowed('POST'));

  router.get('/webhooks/:webhookId/deliveries', async (req, res) => {
    const { webhookId } = parseOrThrow(webhookParamsSchema, req.params, 'params');
    const { limit } = parseOrThrow(deliveriesQuerySchema, req.query, 'query');
    res.json({ deliveries: await webhooks.deliveries(callerOf(req), webhookId, limit ?? 50) });
  });
  router.all('/webhooks/:webhookId/deliveries', methodNotAllowed('GET'));

  router.post('/webhooks/:webhookId/deliveries/:eventId/retry', async (req, res) => {
    const { webhookId, eventId } = parseOrThrow(deliveryParamsSchema, req.params, 'params');
    const delivery = await webhooks.retry(callerOf(req), webhookId, eventId);
    req.log.info({ webhookId, eventId }, 'webhook delivery due again');
    res.status(202).json(delivery);
  });
  router.all('/webhooks/:webhookId/deliveries/:eventId/retry', methodNotAllowed('POST'));

  return router;
}
