/**
 * msal-node's network module on the shared axios instance: MSAL's own client has no timeout and
 * its own agent, so Entra would miss the keep-alive pool, the extra CA and the proxy settings.
 *
 * MSAL turns any throw into a bare `network_error`, and its ServerError carries no headers, so
 * each client also remembers how its last exchange went (status, Retry-After, timeout or not) for
 * the translation into an AppError. One client belongs to one partner's MSAL instance, and the
 * token holder runs one token request per partner at a time, so "last" is unambiguous.
 */
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import type { AxiosInstance, AxiosResponse } from 'axios';
import { lowerCaseHeaders } from './http-client';
import { isJsonObject } from './json';
import { remainingBudgetMs } from '../../request-scope';
import { inSpan } from '../../telemetry/spans';

export interface LastExchange {
  status?: number;
  retryAfter?: string;
  /** Set when no answer came: our timeout, or a connection/TLS failure (its error code). */
  failure?: { kind: 'timeout' } | { kind: 'network'; code: string };
}

export interface MsalNetworkClient extends INetworkModule {
  /** How the most recent request went. */
  readonly last: LastExchange;
  /** Forget the last exchange, before a new token request. */
  reset(): void;
}

/**
 * An answer that is not a JSON object (an HTML error page from a proxy, an empty body) becomes an
 * Entra-shaped error, so that MSAL reports a ServerError with the status instead of crashing on
 * a string; a success without JSON is not a token either.
 */
function jsonBody(response: AxiosResponse): object {
  const data: unknown = response.data;
  if (isJsonObject(data)) return data;
  const transient = response.status === 429 || response.status >= 500;
  return {
    error: transient ? 'temporarily_unavailable' : 'invalid_response',
    error_description: `The answer (HTTP ${response.status}) was not JSON.`,
    error_codes: [],
  };
}

/**
 * A span per Entra request (tracing on): its host, status and Entra's request id; never the URL's
 * path or query, the form (a secret or an assertion) or the answer (a token).
 */
function traced<T>(
  name: string,
  url: string,
  fn: () => Promise<NetworkResponse<T>>,
): Promise<NetworkResponse<T>> {
  return inSpan(
    name,
    'client',
    () => ({ 'server.address': new URL(url).hostname }),
    async (span) => {
      const response = await fn();
      if (span) {
        span.setAttribute('http.response.status_code', response.status);
        const requestId = (response.headers as Record<string, string | undefined>)['x-ms-request-id'];
        if (requestId !== undefined) span.setAttribute('ms.request_id', requestId);
      }
      return response;
    },
  );
}

export function createMsalNetworkClient(http: AxiosInstance, timeoutMs: number): MsalNetworkClient {
  let last: LastExchange = {};

  async function send<T>(
    method: 'GET' | 'POST',
    url: string,
    options: NetworkRequestOptions | undefined,
  ): Promise<NetworkResponse<T>> {
    const target = new URL(url);
    const controller = new AbortController();
    const attemptMs = Math.max(1, Math.min(timeoutMs, remainingBudgetMs()));
    const timer = setTimeout(() => controller.abort(), attemptMs);
    last = {};
    try {
      const response = await http.request({
        method,
        baseURL: target.origin,
        url: `${target.pathname}${target.search}`,
        headers: options?.headers ?? {},
        ...(method === 'POST' ? { data: options?.body ?? '' } : {}),
        timeout: attemptMs,
        signal: controller.signal,
        // The token request is a form; keep axios from re-serialising it.
        transformRequest: [(data: unknown) => data],
      });
      const headers = lowerCaseHeaders(response);
      last = {
        status: response.status,
        ...(headers['retry-after'] !== undefined ? { retryAfter: headers['retry-after'] } : {}),
      };
      return { headers, body: jsonBody(response) as T, status: response.status };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      last = {
        failure:
          controller.signal.aborted || code === 'ETIMEDOUT' || code === 'ECONNABORTED'
            ? { kind: 'timeout' }
            : { kind: 'network', code: typeof code === 'string' ? code : 'UNKNOWN' },
      };
      // MSAL reports any throw as `network_error`; the message stays ours and names no secret.
      throw new Error(`Entra ID request failed (${last.failure?.kind ?? 'network'})`);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    get last() {
      return last;
    },
    reset() {
      last = {};
    },
    sendGetRequestAsync: <T>(url: string, options?: NetworkRequestOptions) =>
      traced('Entra metadata', url, () => send<T>('GET', url, options)),
    sendPostRequestAsync: <T>(url: string, options?: NetworkRequestOptions) =>
      traced('Entra token', url, () => send<T>('POST', url, options)),
  };
}
