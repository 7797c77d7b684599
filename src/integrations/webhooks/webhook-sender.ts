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
import axios, { type AxiosInstance } from 'axios';
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
  private readonly client: AxiosInstance;
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
    this.client = axios.create({
      timeout: options.timeoutMs ?? WEBHOOK_TIMEOUT_MS,
      maxRedirects: 0,
      proxy: false,
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      maxContentLength: MAX_ANSWER_BYTES,
      responseType: 'text',
      transformResponse: (data: unknown) => data,
      validateStatus: () => true,
    });
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
      const answer = await this.client.post(url, body, { headers });
      return { status: answer.status };
    } catch (error) {
      return { error: describe(error) };
    }
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
  if (
    code === 'ERR_FR_MAX_CONTENT_LENGTH_EXCEEDED' ||
    /maxContentLength/.test(String((error as Error).message))
  ) {
    return 'The answer was larger than 64 KiB.';
  }
  if (code === 'ECONNREFUSED') return 'The connection was refused.';
  if (code === 'ECONNRESET') return 'The connection was reset before an answer came.';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'The host name does not resolve.';
  if (typeof code === 'string' && /CERT|SSL|TLS/.test(code)) return `TLS failed (${code}).`;
  return `The request failed (${code ?? 'error'}).`;
}
