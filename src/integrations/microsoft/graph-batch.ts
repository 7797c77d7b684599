/**
 * `POST /$batch` of GET requests (at most 20 a batch), matched back by id (Graph answers in any
 * order), with the items that were throttled on their own (429, or 503/504) sent again after their
 * Retry-After, within the same deadline as the whole call.
 */
import { AppError } from '../../domain/errors';
import type { PartnerRecord } from '../../domain/partners/partner.record';
import { RETRYABLE_STATUSES, type GraphClient } from './graph-client';
import { chunk } from './odata';
import { isJsonObject } from './json';

export const MAX_BATCH_REQUESTS = 20;

export interface BatchGet {
  /** Unique within the call. */
  id: string;
  /** Relative to the Graph base URL, with its encoded query. */
  url: string;
  headers?: Record<string, string>;
}

export interface BatchAnswer {
  id: string;
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: unknown;
  /** Of the batch request that carried it. */
  requestId: string | undefined;
  roles: readonly string[];
}

function itemHeaders(value: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  if (!isJsonObject(value)) return headers;
  for (const [name, v] of Object.entries(value)) if (typeof v === 'string') headers[name.toLowerCase()] = v;
  return headers;
}

/**
 * Runs GETs through `$batch` and resolves with one answer per id. `operation` labels the items
 * (e.g. `users.list`) in metrics and errors; the batch requests themselves are `batch`.
 */
export async function runBatchOfGets(
  graph: GraphClient,
  partner: PartnerRecord,
  operation: string,
  gets: BatchGet[],
): Promise<Map<string, BatchAnswer>> {
  const answers = new Map<string, BatchAnswer>();
  const deadlineAt = graph.callDeadline();
  for (const group of chunk(gets, MAX_BATCH_REQUESTS)) {
    let pending = group;
    for (let round = 1; ; round += 1) {
      const response = await graph.request({
        partner,
        operation: 'batch',
        method: 'POST',
        path: '/$batch',
        body: {
          requests: pending.map((get) => ({
            id: get.id,
            method: 'GET',
            url: get.url,
            ...(get.headers !== undefined ? { headers: get.headers } : {}),
          })),
        },
        // Only GETs inside: repeating the batch repeats nothing that changes state.
        retry: 'safe',
        deadlineAt,
      });
      if (response.status !== 200) throw graph.fail({ partner, operation: 'batch' }, response);
      const items =
        isJsonObject(response.data) && Array.isArray(response.data['responses'])
          ? (response.data['responses'] as unknown[])
          : undefined;
      if (items === undefined) throw graph.unexpected({ operation: 'batch' }, response, 'no responses');

      const byId = new Map<string, BatchAnswer>();
      for (const item of items) {
        if (!isJsonObject(item) || typeof item['id'] !== 'string' || typeof item['status'] !== 'number')
          continue;
        byId.set(item['id'], {
          id: item['id'],
          status: item['status'],
          headers: itemHeaders(item['headers']),
          body: item['body'],
          requestId: response.requestId,
          roles: response.roles,
        });
      }
      const again: BatchGet[] = [];
      let waitMs: number | undefined;
      let reason = '429';
      for (const get of pending) {
        const answer = byId.get(get.id);
        if (answer === undefined) {
          throw graph.unexpected({ operation: 'batch' }, response, `no answer for item ${get.id}`);
        }
        if (RETRYABLE_STATUSES.has(answer.status)) {
          again.push(get);
          reason = String(answer.status);
          const itemWait = graph.retries.retryAfterMs(answer.headers['retry-after']);
          if (itemWait !== undefined) waitMs = Math.max(waitMs ?? 0, itemWait);
        } else {
          answers.set(get.id, answer);
        }
      }
      if (again.length === 0) break;

      const wait = graph.retries.nextWait(round, deadlineAt, waitMs);
      if (wait === undefined) {
        const retryAfterSeconds = graph.retries.giveUpRetryAfterSeconds(round, waitMs);
        throw new AppError('GRAPH_UNAVAILABLE', {
          detail:
            `Microsoft Graph kept throttling ${again.length} of the ${operation} requests in a $batch; ` +
            `retry after ${retryAfterSeconds} seconds.`,
          retryAfterSeconds,
        });
      }
      graph.countRetry(operation, reason, again.length);
      await graph.retries.sleep(wait);
      pending = again;
    }
  }
  return answers;
}
