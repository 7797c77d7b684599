/**
 * A small webhook receiver for the sandbox and the tests: HTTP on loopback, every request kept
 * (headers, raw body, whether its signature verified under the secrets it was given), and
 * answered with the next scripted status (default 204). It verifies as the README tells a
 * receiver to: the signature over `{webhook-id}.{webhook-timestamp}.{body}`, the timestamp within
 * five minutes, and drops a `webhook-id` it has seen already (`duplicate: true`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  headers: Record<string, string>;
  body: string;
  /** The body parsed, when it is JSON. */
  event: { id: string; type: string; createdAt: string; partnerId: string | null; data: unknown } | undefined;
  /** Every `v1,` signature that matched one of the receiver's secrets. */
  verified: boolean;
  /** Its `webhook-id` arrived before (the receiver would drop it). */
  duplicate: boolean;
  /** The status answered. */
  status: number;
  at: number;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** The secrets a signature may match (after a rotation, the old and the new). */
  setSecrets(secrets: string[]): void;
  /** The statuses answered next, one per request (then 204 again). */
  respondWith(...statuses: number[]): void;
  /** Holds each answer this long (a slow receiver). */
  delayAnswers(ms: number): void;
  /** Resolves once `count` requests have arrived, answered or not (or rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

/** Verifies a Standard Webhooks signature header against any of the secrets (`whsec_…`). */
export function verifySignature(
  secrets: string[],
  id: string,
  timestamp: string,
  body: string,
  signatureHeader: string,
): boolean {
  const offered = signatureHeader
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'base64'));
  return secrets.some((secret) => {
    const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
    const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
    return offered.some((sig) => sig.length === expected.length && timingSafeEqual(sig, expected));
  });
}

export async function startWebhookReceiver(
  options: { port?: number; secrets?: string[]; onEvent?: (received: ReceivedWebhook) => void } = {},
): Promise<WebhookReceiver> {
  let secrets = options.secrets ?? [];
  const scripted: number[] = [];
  let delayMs = 0;
  const received: ReceivedWebhook[] = [];
  const seen = new Set<string>();
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const timers = new Set<NodeJS.Timeout>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
      );
      const id = headers['webhook-id'] ?? '';
      const timestamp = headers['webhook-timestamp'] ?? '';
      const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) <= 300;
      const verified =
        fresh && verifySignature(secrets, id, timestamp, body, headers['webhook-signature'] ?? '');
      let event: ReceivedWebhook['event'];
      try {
        event = JSON.parse(body) as ReceivedWebhook['event'];
      } catch {
        event = undefined;
      }
      const status = scripted.shift() ?? 204;
      const entry: ReceivedWebhook = {
        headers,
        body,
        event,
        verified,
        duplicate: seen.has(id),
        status,
        at: Date.now(),
      };
      if (status >= 200 && status < 300) seen.add(id);
      received.push(entry);
      options.onEvent?.(entry);
      for (const waiter of [...waiters]) {
        if (received.length >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
      const answer = () => {
        res.statusCode = status;
        res.end();
      };
      if (delayMs > 0) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          answer();
        }, delayMs);
        timers.add(timer);
      } else answer();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    setSecrets: (next) => {
      secrets = next;
    },
    respondWith: (...statuses) => {
      scripted.push(...statuses);
    },
    delayAnswers: (ms) => {
      delayMs = ms;
    },
    waitFor: (count, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        if (received.length >= count) {
          resolve(received);
          return;
        }
        const timer = setTimeout(
          () =>
            reject(new Error(`the receiver got ${received.length} of ${count} requests in ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(received);
          },
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
