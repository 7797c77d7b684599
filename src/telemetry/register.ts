/**
 * Imported by the entry points right after node-version.ts, before anything else: starts tracing
 * (tracing.ts) when the environment asks for it, before http, express and pg are loaded. Off, the
 * OpenTelemetry packages are not even loaded (they took 170-200 ms of start-up).
 */
import { environment } from '../config/config';
import type { Tracing } from './tracing';

function start(): Tracing | undefined {
  // The environment (and .env) as the configuration reads it, read now: whether to trace must be
  // known before the modules the instrumentations patch are loaded.
  const env = environment();
  if (env.OTEL_SDK_DISABLED === 'true') return undefined;
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./tracing') as typeof import('./tracing')).startTracing(env);
}

export const tracing = start();
