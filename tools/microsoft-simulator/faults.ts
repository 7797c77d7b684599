/**
 * Programmed misbehaviour: throttling, outages, slow answers and lost connections, matched by
 * method, path, operation or kind, each for a number of hits.
 */
import type { FaultSpec, Operation, RequestKind, SimResponse } from './types';
import { aadError, aadErrorForStatus, graphError, type AnswerContext } from './responses';

export interface FaultTarget {
  method: string;
  rawPath: string;
  decodedPath: string;
  operation: Operation;
  kind: RequestKind;
  /** A $batch item: a connection cannot be dropped for one item, so drop faults skip it. */
  inBatch: boolean;
}

interface ArmedFault {
  spec: FaultSpec;
  remaining: number;
}

function validate(spec: FaultSpec): void {
  const times = spec.times ?? 1;
  if (!(times > 0)) throw new Error(`injectFault: times must be positive or Infinity, got ${times}`);
  if (
    spec.status !== undefined &&
    (!Number.isInteger(spec.status) || spec.status < 200 || spec.status > 599)
  ) {
    throw new Error(`injectFault: status must be an HTTP status code, got ${spec.status}`);
  }
  if (spec.status !== undefined && spec.drop !== undefined) {
    throw new Error('injectFault: give either status or drop, not both');
  }
  if (spec.delayMs !== undefined && !(spec.delayMs >= 0)) {
    throw new Error(`injectFault: delayMs must be 0 or more, got ${spec.delayMs}`);
  }
}

function matches(spec: FaultSpec, target: FaultTarget): boolean {
  if (target.inBatch && spec.drop !== undefined) return false;
  const match = spec.match ?? {};
  if (match.method !== undefined && match.method.toUpperCase() !== target.method.toUpperCase()) return false;
  if (match.kind !== undefined && match.kind !== target.kind) return false;
  if (match.operation !== undefined && match.operation !== target.operation) return false;
  if (
    match.pathIncludes !== undefined &&
    !target.rawPath.includes(match.pathIncludes) &&
    !target.decodedPath.includes(match.pathIncludes)
  ) {
    return false;
  }
  return true;
}

export class FaultBook {
  private armed: ArmedFault[] = [];

  add(spec: FaultSpec): void {
    validate(spec);
    this.armed.push({ spec: { ...spec }, remaining: spec.times ?? 1 });
  }

  clear(): void {
    this.armed = [];
  }

  /** The first armed fault that matches, counted as used. */
  take(target: FaultTarget): FaultSpec | undefined {
    const index = this.armed.findIndex((fault) => matches(fault.spec, target));
    const fault = this.armed[index];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.armed.splice(index, 1);
    return fault.spec;
  }
}

/** `Retry-After` of a fault: its own, none when null, else '1' for 429 and 503 as Microsoft sends. */
export function retryAfterOf(spec: FaultSpec): string | undefined {
  if (spec.retryAfter === null) return undefined;
  if (spec.retryAfter !== undefined) return spec.retryAfter;
  return spec.status === 429 || spec.status === 503 ? '1' : undefined;
}

/** The answer of a status fault, in the shape of the side it hit (Graph or Entra). */
export function faultResponse(
  spec: FaultSpec & { status: number },
  kind: RequestKind,
  ctx: AnswerContext,
): SimResponse {
  const retryAfter = retryAfterOf(spec);
  const headers: Record<string, string> = {
    ...(retryAfter !== undefined ? { 'retry-after': retryAfter } : {}),
  };
  const response =
    kind === 'graph' ? graphError(ctx, spec.status) : aadError(ctx, aadErrorForStatus(spec.status));
  return {
    status: spec.status,
    headers: { ...response.headers, ...headers, ...(spec.headers ?? {}) },
    body: spec.body !== undefined ? spec.body : response.body,
  };
}
