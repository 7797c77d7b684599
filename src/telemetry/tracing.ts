/**
 * OpenTelemetry traces, on when the standard OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, off otherwise (and with OTEL_SDK_DISABLED=true).
 * Loaded by register.ts only then, before anything that loads http, express or pg, so that the
 * instrumentations patch them:
 *
 * - HTTP (incoming only): the server span, continuing a W3C `traceparent` from TARGETconnect.
 *   Outgoing calls get the service's own spans (spans.ts), whose attributes are chosen.
 * - Express: the route's handler span (http.route). pg: one span per statement of a traced
 *   request (its SQL, never its values).
 *
 * Exported over OTLP/HTTP (JSON) to the endpoint, with the standard OTEL_EXPORTER_OTLP_* and
 * OTEL_BSP_* settings. Every span passes `ScrubbingProcessor`: no query string, in any attribute.
 */
import { context, propagation, trace, type AttributeValue } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { VERSION } from '../version';
import { enableSpans } from './spans';

export interface Tracing {
  /** Sends what is buffered and stops (on shutdown). */
  shutdown(): Promise<void>;
}

/** Attributes that hold a URL or its parts: kept without the query (a consent `state`, filters). */
const URL_ATTRIBUTES = ['url.full', 'url.query', 'http.url', 'http.target', 'url.path'];

/** Drops every query string from the attributes that may carry one, before a span is exported. */
export class ScrubbingProcessor implements SpanProcessor {
  onStart(span: Span): void {
    scrub(span);
  }
  onEnding(span: Span): void {
    scrub(span);
  }
  onEnd(): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function scrub(span: Span): void {
  for (const key of URL_ATTRIBUTES) {
    const value: AttributeValue | undefined = span.attributes[key];
    if (typeof value !== 'string') continue;
    if (key === 'url.query') span.setAttribute(key, '');
    else if (value.includes('?')) span.setAttribute(key, value.slice(0, value.indexOf('?')));
  }
}

/** The standard OTEL_BSP_* settings (the SDK leaves reading them to its user). */
function batchOptions(env: NodeJS.ProcessEnv) {
  const number = (name: string) => {
    const value = Number(env[name]);
    return env[name] !== undefined && Number.isInteger(value) && value > 0 ? value : undefined;
  };
  const options = {
    scheduledDelayMillis: number('OTEL_BSP_SCHEDULE_DELAY'),
    exportTimeoutMillis: number('OTEL_BSP_EXPORT_TIMEOUT'),
    maxQueueSize: number('OTEL_BSP_MAX_QUEUE_SIZE'),
    maxExportBatchSize: number('OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
  };
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

/** Starts tracing (register.ts decides whether, from the environment and .env). */
export function startTracing(env: NodeJS.ProcessEnv): Tracing {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': env.OTEL_SERVICE_NAME || 'teams-meetings',
      'service.version': VERSION,
    }),
    spanProcessors: [
      new ScrubbingProcessor(),
      new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), ...batchOptions(env) }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        disableOutgoingRequestInstrumentation: true,
        // Probes and scrapes are not traces worth keeping.
        ignoreIncomingRequestHook: (req) => req.url === '/health' || req.url === '/metrics',
      }),
      // The route's handler only: a span per middleware (a dozen a request) costs more than it tells.
      new ExpressInstrumentation({
        ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER],
      }),
      // Statements within a traced request only: the worker's rounds are not traces of their own.
      new PgInstrumentation({ enhancedDatabaseReporting: false, requireParentSpan: true }),
    ],
  });
  enableSpans();
  return { shutdown: () => provider.shutdown() };
}
