/** Webhooks for tests: register one through the API, and run the worker's rounds on demand. */
import type { ServiceWorld } from './service-world';
import type { Harness } from './harness';

export async function registerWebhook(
  h: Harness,
  key: string,
  body: Record<string, unknown>,
): Promise<{ id: string; secret: string; body: Record<string, unknown> }> {
  const res = await h.request.post('/webhooks').set('Authorization', key).send(body);
  if (res.status !== 201) throw new Error(`POST /webhooks: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id as string, secret: res.body.secret as string, body: res.body };
}

/** One round of the worker (deliveries due, attendance looks, the daily look when a day passed). */
export function runWorker(w: ServiceWorld | Harness) {
  const h = 'h' in w ? w.h : w;
  return h.services.worker.runOnce();
}
