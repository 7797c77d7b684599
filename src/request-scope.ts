/**
 * What travels with a request through its async context, also into code that never sees the
 * request (the Graph client, MSAL's network client, the store): its id, for every log line, and
 * its time budget, from which every step of the request draws (README, "Operations"). The budget
 * is the one bound on how long a request may take, whatever each step's own timeout says.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestScope {
  requestId: string;
  /** Epoch ms by which the request must be answered, on `now`. */
  deadlineAt?: number;
  /** The clock of the budget (the wall clock; tests pass theirs). */
  now?: () => number;
  /** Secrets this request carries or used, redacted from its lines and answer (logging/redact.ts). */
  secrets?: Set<string>;
}

export const requestScope = new AsyncLocalStorage<RequestScope>();

/** Milliseconds left of the current request's budget; Infinity outside a request or without one. */
export function remainingBudgetMs(): number {
  const scope = requestScope.getStore();
  if (scope?.deadlineAt === undefined) return Infinity;
  return Math.max(0, scope.deadlineAt - (scope.now ?? Date.now)());
}

/** The earlier of `deadlineAt` (on a clock reading `now`) and the request's budget, on that clock. */
export function withinBudget(deadlineAt: number, now: number): number {
  return Math.min(deadlineAt, now + remainingBudgetMs());
}
