/**
 * pino, JSON to stdout. Every line's object and message go through `redact.ts` first, so that a
 * secret logged by mistake, at any depth or inside text, is written as `[redacted]`.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import { requestScope } from '../request-scope';
import { redactValue, scrubText } from './redact';
import { activeTraceId } from '../telemetry/spans';

export type { Logger } from 'pino';

function requestIdMixin(): { requestId?: string; traceId?: string } {
  const scope = requestScope.getStore();
  const traceId = activeTraceId();
  if (!scope) return traceId === undefined ? {} : { traceId };
  return traceId === undefined ? { requestId: scope.requestId } : { requestId: scope.requestId, traceId };
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'teams-meetings' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: requestIdMixin,
      // Errors are serialized, and secrets removed, by the hook below at whatever key they sit.
      serializers: { err: (value: unknown) => value },
      hooks: { logMethod: redactArguments },
    },
    // Lines are gathered up to 4 KB (about ten) per write, and written at least every 250 ms: one
    // write per line was the service's largest cost after its store (docs/BENCHMARKS.md). What is
    // gathered is written when the process exits, and main.ts flushes its lifecycle lines at once.
    destination ?? pino.destination({ sync: false, minLength: 4096, periodicFlush: 250 }),
  );
}

/** pino's logMethod hook: the object and the message of every line, cleaned before pino sees them. */
function redactArguments(this: Logger, args: Parameters<pino.LogFn>, method: pino.LogFn): void {
  const [first, ...rest] = args as unknown[];
  let object: unknown = first;
  if (first instanceof Error) {
    // What pino does with `log.error(err)`: the error under `err`, its message as the message.
    object = { err: first };
    if (rest.length === 0) rest.push(first.message);
  }
  const cleaned = typeof object === 'string' ? scrubText(object) : redactValue(object);
  const messages = rest.map((part) => (typeof part === 'string' ? scrubText(part) : part));
  (method as (...parts: unknown[]) => void).apply(this, [cleaned, ...messages]);
}
