/**
 * One webhook attempt over HTTP: POST, 10 s for the whole answer, no redirects, no proxy from the
 * environment, the answer's body read at most 64 KiB and dropped. The socket connects only to an
 * address checked now (a DNS answer that changed since the URL was set is checked again here, and
 * the address checked is the one connected to).
 */
import http from 'node:http';
import https from 'node:https';
import net, { type LookupFunction } from 'node:net';
import tls from 'node:tls';
import type { SendOutcome, WebhookSender } from '../../domain/events/deliveries';
import type { WebhookTargets } from '../../domain/events/webhook.service';
import { addressRefusal, hostOf, resolveAll, targetRefusal, urlRefusal, type TargetPolicy } from './targets';

export const WEBHOOK_TIMEOUT_MS = 10_000;
const MAX_ANSWER_BYTES = 64 * 1024;

export interface WebhookHttpOptions extends TargetPolicy {
  timeoutMs?: number;
  /** Sockets per receiver origin. */
  maxSockets?: number;
  /** Extra CA (PEM) for https receivers (tests' own CA); the system's roots stay trusted. */
  extraCaPem?: string;
}

/** A refusal found while connecting: the attempt fails with it, nothing is sent. */
class RefusedTarget extends Error {}

export class HttpWebhookSender implements WebhookSender, WebhookTargets {
  private readonly timeoutMs: number;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(private readonly options: WebhookHttpOptions) {
    const lookup = this.guardedLookup();
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64, lookup };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent({
      ...agentOptions,
      ...(options.extraCaPem ? { ca: [...tls.rootCertificates, options.extraCaPem] } : {}),
    });
    this.timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  }

  refusal(url: string): Promise<string | null> {
    return targetRefusal(url, this.options);
  }

  async send(url: string, headers: Record<string, string>, body: string): Promise<SendOutcome> {
    const form = urlRefusal(url, this.options);
    if (form !== null) return { error: `Refused target: ${form}.` };
    const host = hostOf(new URL(url));
    // An IP literal never reaches the lookup: it is checked here.
    if (net.isIP(host) !== 0) {
      const refusal = addressRefusal(host, this.options);
      if (refusal !== null) return { error: `Refused target: ${refusal}.` };
    }
    try {
      return { status: await this.post(url, headers, body) };
    } catch (error) {
      return { error: describe(error) };
    }
  }

  /**
   * node:http(s) directly, not axios: axios was a fifth of a delivery's CPU (docs/BENCHMARKS.md)
   * for what a webhook needs of it. No redirect is followed (node:http follows none), no proxy is
   * read from the environment, the whole exchange has one timeout, and the answer is read to at
   * most 64 KiB and dropped: its status is what counts.
   */
  private post(url: string, headers: Record<string, string>, body: string): Promise<number> {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const payload = Buffer.from(body, 'utf8');
    return new Promise<number>((resolve, reject) => {
      let settled = false;
      const finish = (error: Error | null, status?: number) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(status!);
      };
      const request = (secure ? https : http).request(
        target,
        {
          method: 'POST',
          agent: secure ? this.httpsAgent : this.httpAgent,
          headers: { ...headers, 'content-length': String(payload.length) },
        },
        (response) => {
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_ANSWER_BYTES) {
              // Settled first: destroying the socket then reports a reset, which is ignored.
              finish(Object.assign(new Error('answer too large'), { code: 'ERR_ANSWER_TOO_LARGE' }));
              request.destroy();
            }
          });
          response.on('end', () => finish(null, response.statusCode ?? 0));
          response.on('error', (error) => finish(error));
          response.on('aborted', () => finish(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
        },
      );
      const timer = setTimeout(() => {
        finish(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }));
        request.destroy();
      }, this.timeoutMs);
      request.on('error', (error) => finish(error));
      request.end(payload);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** Resolves like dns.lookup, but fails the connection when any address is refused. */
  private guardedLookup(): LookupFunction {
    return (hostname, options, callback) => {
      void resolveAll(hostname).then((resolved) => {
        if ('refusal' in resolved) {
          callback(new RefusedTarget(resolved.refusal), '', 4);
          return;
        }
        for (const address of resolved.addresses) {
          const refusal = addressRefusal(address, this.options);
          if (refusal !== null) {
            callback(new RefusedTarget(`${hostname} resolves to ${address}: ${refusal}`), '', 4);
            return;
          }
        }
        const wanted = options.family === 6 ? 6 : options.family === 4 ? 4 : 0;
        const usable = resolved.addresses.filter((a) => wanted === 0 || net.isIP(a) === wanted);
        if (options.all) {
          callback(
            null,
            usable.map((address) => ({ address, family: net.isIP(address) })),
          );
        } else {
          const address = usable[0] ?? resolved.addresses[0]!;
          callback(null, address, net.isIP(address));
        }
      });
    };
  }
}

/** What went wrong, in words for the delivery log: never a header or a body. */
function describe(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof RefusedTarget) return `Refused target: ${cause.message}.`;
  if (error instanceof RefusedTarget) return `Refused target: ${error.message}.`;
  const code = (error as { code?: string }).code;
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') return 'No answer within 10 seconds.';
  if (code === 'ERR_ANSWER_TOO_LARGE') return 'The answer was larger than 64 KiB.';
  if (code === 'ECONNREFUSED') return 'The connection was refused.';
  if (code === 'ECONNRESET') return 'The connection was reset before an answer came.';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'The host name does not resolve.';
  if (typeof code === 'string' && /CERT|SSL|TLS/.test(code)) return `TLS failed (${code}).`;
  return `The request failed (${code ?? 'error'}).`;
}
