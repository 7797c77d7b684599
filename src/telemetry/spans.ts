/**
 * The service's own spans (Graph and Entra calls, SQLite repository calls), through the
 * OpenTelemetry API. Until `tracing.ts` starts the SDK (OTEL_EXPORTER_OTLP_ENDPOINT set) nothing
 * here makes a span or reads a context: one boolean test per call, so that tracing off costs
 * nothing measurable (docs/BENCHMARKS.md).
 *
 * Attributes are chosen, never copied: an operation name, a host, a status, Microsoft's request
 * ids; never a URL (Graph's carry advisers' ids and students' addresses in $filter), a header, a
 * body, a token or a secret.
 */
import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

let enabled = false;

/** Called by tracing.ts once the SDK is registered. */
export function enableSpans(): void {
  enabled = true;
}

export function spansEnabled(): boolean {
  return enabled;
}

/** The trace id of the span active here (for log lines), or undefined. */
export function activeTraceId(): string | undefined {
  if (!enabled) return undefined;
  const context = trace.getActiveSpan()?.spanContext();
  return context && trace.isSpanContextValid(context) ? context.traceId : undefined;
}

/**
 * Runs `fn` in a span of its own (a child of the active one), ended when `fn` settles. Off: `fn`
 * alone, with no span.
 */
export function inSpan<T>(
  name: string,
  kind: 'client' | 'internal',
  /** Made only when a span is (tracing on). */
  attributes: () => Attributes,
  fn: (span: Span | undefined) => Promise<T>,
  /** Only as a child: none for work outside a traced request (the worker's rounds). */
  requireParent = false,
): Promise<T> {
  if (!enabled || (requireParent && trace.getActiveSpan() === undefined)) return fn(undefined);
  return trace
    .getTracer('teams-meetings')
    .startActiveSpan(
      name,
      { kind: kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL, attributes: attributes() },
      async (span) => {
        try {
          return await fn(span);
        } catch (error) {
          // The error's kind, not its message (messages may carry names a caller sent).
          span.setStatus({ code: SpanStatusCode.ERROR });
          span.setAttribute('error.type', errorType(error));
          throw error;
        } finally {
          span.end();
        }
      },
    );
}

function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Za-z0-9_.]{1,64}$/.test(code)) return code;
  return (error as Error | null)?.name ?? 'Error';
}
