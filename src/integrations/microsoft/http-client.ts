/**
 * The one outbound HTTP stack for Entra ID and Graph, shared by every partner: one keep-alive
 * agent (keep-alive matters more than the library: docs/BENCHMARKS.md) and one axios instance that
 * never follows redirects, never throws on a status, bounds answer sizes, and only takes relative
 * URLs, so a request can only go to the base URL the caller names.
 */
import type { ClientRequest } from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';

export const MAX_ANSWER_BYTES = 5 * 1024 * 1024;

export interface HttpClientOptions {
  /**
   * CAs (PEM) to trust besides the public roots: NODE_EXTRA_CA_CERTS as the configuration read it
   * (from the environment or `.env`), the simulator's. Without them the agent sets no `ca` at
   * all, so Node's default store (NODE_EXTRA_CA_CERTS of the process's start included) stays in
   * force. NODE_EXTRA_CA_CERTS set at the process's start is in `extraCaPem` too (the
   * configuration reads the same variable), so the public roots and it are the whole list.
   */
  extraCaPem?: string | undefined;
  /** Per-attempt timeout when a call gives none. */
  timeoutMs?: number;
  /** Concurrent sockets per origin (OUTBOUND_MAX_SOCKETS); a request beyond them waits for one. */
  maxSockets?: number;
}

/** The agent's sockets now, and the requests that so far had to wait for one. */
export interface OutboundStats {
  inUse: number;
  idle: number;
  waitingNow: number;
  waitedTotal: number;
}

/** A keep-alive agent that counts the requests it queued because every socket of the origin was busy. */
export class CountingAgent extends https.Agent {
  private waited = 0;

  /** Node's Agent#addRequest (not in its types): a free socket, a new one, or the origin's queue. */
  addRequest(req: ClientRequest, options: https.RequestOptions): void {
    const base = https.Agent.prototype as unknown as {
      addRequest(this: https.Agent, r: ClientRequest, o: https.RequestOptions): void;
    };
    const name = this.getName(options);
    const queued = this.requests[name]?.length ?? 0;
    base.addRequest.call(this, req, options);
    if ((this.requests[name]?.length ?? 0) > queued) this.waited += 1;
  }

  stats(): OutboundStats {
    const count = (lists: NodeJS.ReadOnlyDict<unknown[]>) =>
      Object.values(lists).reduce((n, list) => n + (list?.length ?? 0), 0);
    return {
      inUse: count(this.sockets),
      idle: count(this.freeSockets),
      waitingNow: count(this.requests),
      waitedTotal: this.waited,
    };
  }
}

/**
 * Sockets per origin unless configured: above the hundreds of creates a busy instance has in
 * flight, so that none waits for a socket (docs/BENCHMARKS.md, production shape).
 */
export const DEFAULT_MAX_SOCKETS = 512;

export interface HttpClient {
  readonly axios: AxiosInstance;
  readonly agent: CountingAgent;
  /** Closes idle keep-alive sockets (on shutdown, or at the end of a test). */
  close(): void;
}

/** The variables axios reads a proxy from (proxy-from-env). */
const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY'];

/**
 * Whether outbound calls may go through a proxy named in the environment. When none is named at
 * start, axios is told so once, instead of reading the environment again on every call (about
 * 10 µs of each Graph call).
 */
export function proxyFromEnvironment(env: NodeJS.ProcessEnv = process.env): boolean {
  return PROXY_VARIABLES.some((name) => (env[name] ?? '') !== '');
}

export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const maxSockets = options.maxSockets ?? DEFAULT_MAX_SOCKETS;
  const agent = new CountingAgent({
    keepAlive: true,
    maxSockets,
    // Every socket may stay open between requests: with fewer, a busy instance closes sockets that
    // the next request reopens (a TLS handshake each) whenever more than that many are idle at once.
    maxFreeSockets: maxSockets,
    // Built once: a `ca` option would make Node parse ~140 root certificates for every new socket.
    ...(options.extraCaPem !== undefined
      ? {
          secureContext: tls.createSecureContext({
            ca: [...tls.getCACertificates('default'), options.extraCaPem],
          }),
        }
      : {}),
  });
  const instance = axios.create({
    httpsAgent: agent,
    // Every call names its own base URL; a proxy from the environment (HTTPS_PROXY, NO_PROXY) applies.
    allowAbsoluteUrls: false,
    ...(proxyFromEnvironment() ? {} : { proxy: false as const }),
    timeout: options.timeoutMs ?? 10_000,
    maxContentLength: MAX_ANSWER_BYTES,
    maxBodyLength: MAX_ANSWER_BYTES,
    maxRedirects: 0,
    validateStatus: () => true,
    decompress: true,
    // Graph and Entra answer JSON; anything else stays a string for the caller to judge.
    responseType: 'json',
    transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: true },
  });
  return {
    axios: instance,
    agent,
    close: () => agent.destroy(),
  };
}

/** Node's codes for a certificate the agent did not trust (a configuration problem, not an outage). */
export function isTlsErrorCode(code: string): boolean {
  return (
    code.startsWith('ERR_TLS_') ||
    code.startsWith('CERT_') ||
    code.startsWith('UNABLE_TO_') ||
    code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
    code === 'SELF_SIGNED_CERT_IN_CHAIN' ||
    code === 'ERR_SSL_WRONG_VERSION_NUMBER'
  );
}

/** An answer's headers with lower-case names and string values. */
export function lowerCaseHeaders(response: AxiosResponse): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers as Record<string, unknown>)) {
    if (value === undefined || value === null) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return headers;
}
