/** The Prometheus metrics of the Microsoft side: Graph calls, their retries, and token requests. */
import { Counter, Histogram, type Registry } from 'prom-client';

export interface GraphMetrics {
  /** One per HTTP attempt; `status` is the HTTP status, or `timeout` / `network_error`. */
  requests: Counter<'operation' | 'status'>;
  duration: Histogram<'operation'>;
  /** `reason`: the status that caused it (`429`, `503`, `504`), `timeout`, `network_error`, `token_refresh`. */
  retries: Counter<'operation' | 'reason'>;
  /** `outcome`: `success`, or the AppError code (lower case) a failed token request became. */
  tokenRequests: Counter<'outcome'>;
}

/** Reuses a metric of the same name when the registry has it (several gateways on one registry). */
function reuse<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function createGraphMetrics(registry: Registry): GraphMetrics {
  return {
    requests: reuse(
      registry,
      'teams_meetings_graph_requests_total',
      () =>
        new Counter({
          name: 'teams_meetings_graph_requests_total',
          help: 'HTTP requests to Microsoft Graph, each attempt counted, by operation and status.',
          labelNames: ['operation', 'status'] as const,
          registers: [registry],
        }),
    ),
    duration: reuse(
      registry,
      'teams_meetings_graph_request_duration_seconds',
      () =>
        new Histogram({
          name: 'teams_meetings_graph_request_duration_seconds',
          help: 'Duration of one HTTP attempt to Microsoft Graph, by operation.',
          labelNames: ['operation'] as const,
          buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25],
          registers: [registry],
        }),
    ),
    retries: reuse(
      registry,
      'teams_meetings_graph_retries_total',
      () =>
        new Counter({
          name: 'teams_meetings_graph_retries_total',
          help: 'Retries of Microsoft Graph requests, by operation and reason.',
          labelNames: ['operation', 'reason'] as const,
          registers: [registry],
        }),
    ),
    tokenRequests: reuse(
      registry,
      'teams_meetings_token_requests_total',
      () =>
        new Counter({
          name: 'teams_meetings_token_requests_total',
          help: 'Token requests to Entra ID, by outcome.',
          labelNames: ['outcome'] as const,
          registers: [registry],
        }),
    ),
  };
}
