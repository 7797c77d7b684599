/**
 * `POST /$batch`: up to 20 requests with unique ids, each run through the same handlers as a
 * request from the wire (and logged as its own operation), each with its own status, so one item
 * can be throttled while the others succeed.
 */
import { authenticate } from './graph-api';
import type { GraphEnv, GraphResult } from './types';
import { graphError, graphOk } from './responses';
import { GRAPH_VERSION } from './routes';
import type { SimRequest, SimResponse } from './types';
import { isObject } from './json';

export const MAX_BATCH_REQUESTS = 20;

/** Runs one item: routing, logging, faults and the handler; the simulator provides it. */
export type BatchItemRunner = (item: SimRequest, itemId: string) => Promise<SimResponse>;

/** Graph says responses may come in any order; 'reversed' makes callers that rely on order fail. */
export type BatchOrder = 'request' | 'reversed';

interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  dependsOn: string[];
}

interface BatchItemResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

class BatchProblem extends Error {}

function readItems(body: unknown): BatchItem[] {
  if (!isObject(body) || !Array.isArray(body['requests']))
    throw new BatchProblem('Invalid batch payload format.');
  const raw = body['requests'] as unknown[];
  if (raw.length === 0) throw new BatchProblem('Invalid batch payload format: no requests.');
  if (raw.length > MAX_BATCH_REQUESTS) {
    throw new BatchProblem(`Number of batch request steps exceeds the maximum of ${MAX_BATCH_REQUESTS}.`);
  }
  const seen = new Set<string>();
  return raw.map((entry) => {
    if (!isObject(entry)) throw new BatchProblem('Invalid batch payload format.');
    const { id, method, url } = entry;
    if (typeof id !== 'string' || id === '')
      throw new BatchProblem('Invalid batch payload format: id is required.');
    if (typeof method !== 'string' || typeof url !== 'string') {
      throw new BatchProblem(`Invalid batch payload format: request id ${id} needs method and url.`);
    }
    if (seen.has(id)) throw new BatchProblem(`Batch request id '${id}' is not unique.`);
    const headers: Record<string, string> = {};
    if (isObject(entry['headers'])) {
      for (const [name, value] of Object.entries(entry['headers'])) {
        if (typeof value === 'string') headers[name.toLowerCase()] = value;
      }
    }
    if (entry['body'] !== undefined && headers['content-type'] === undefined) {
      throw new BatchProblem(`Write request id : ${id} does not contain Content-Type header or body.`);
    }
    const dependsOn = Array.isArray(entry['dependsOn']) ? entry['dependsOn'].map(String) : [];
    const unknown = dependsOn.find((d) => !seen.has(d));
    if (unknown !== undefined) {
      throw new BatchProblem(
        `Request id ${id} depends on '${unknown}', which is not an earlier request of the batch.`,
      );
    }
    seen.add(id);
    return { id, method: method.toUpperCase(), url, headers, body: entry['body'], dependsOn };
  });
}

function itemRequest(item: BatchItem, outer: SimRequest): SimRequest {
  const relative = item.url.startsWith('/') ? item.url : `/${item.url}`;
  const queryAt = relative.indexOf('?');
  const path = `/${GRAPH_VERSION}${queryAt < 0 ? relative : relative.slice(0, queryAt)}`;
  const rawQuery = queryAt < 0 ? '' : relative.slice(queryAt + 1);
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQuery)) if (!(name in query)) query[name] = value;
  // Items carry the batch's token; their other headers are their own.
  const headers: Record<string, string> = { ...item.headers };
  const authorization = outer.headers['authorization'];
  if (authorization !== undefined) headers['authorization'] = authorization;
  return { method: item.method, path, rawQuery, query, headers, body: item.body };
}

/** Batch items show headers with Graph's capitalisation, and only those batches carry. */
function itemHeaders(response: SimResponse): Record<string, string> {
  const out: Record<string, string> = {};
  const contentType = response.headers['content-type'];
  if (contentType !== undefined && response.body !== undefined) out['Content-Type'] = contentType;
  const retryAfter = response.headers['retry-after'];
  if (retryAfter !== undefined) out['Retry-After'] = retryAfter;
  return out;
}

export async function handleBatch(
  req: SimRequest,
  env: GraphEnv,
  runItem: BatchItemRunner,
  order: BatchOrder,
): Promise<GraphResult> {
  const caller = authenticate(req, env);
  if (!('tenantId' in caller)) return { response: caller };
  let items: BatchItem[];
  try {
    if (req.invalidJson) throw new BatchProblem('Unable to read JSON request payload.');
    items = readItems(req.body);
  } catch (error) {
    if (error instanceof BatchProblem) {
      return { response: graphError(env.answer, 400, 'BadRequest', error.message), caller };
    }
    throw error;
  }

  const statuses = new Map<string, number>();
  const responses: BatchItemResponse[] = [];
  for (const item of items) {
    const failed = item.dependsOn.find((d) => (statuses.get(d) ?? 0) >= 400);
    if (failed !== undefined) {
      statuses.set(item.id, 424);
      responses.push({
        id: item.id,
        status: 424,
        headers: { 'Content-Type': 'application/json' },
        body: { error: { code: 'FailedDependency', message: `Request ${failed} of the batch failed.` } },
      });
      continue;
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(item.url)) {
      statuses.set(item.id, 400);
      responses.push({
        id: item.id,
        status: 400,
        headers: { 'Content-Type': 'application/json' },
        body: {
          error: { code: 'BadRequest', message: 'Invalid request URL: batch items take a relative URL.' },
        },
      });
      continue;
    }
    const response = await runItem(itemRequest(item, req), item.id);
    statuses.set(item.id, response.status);
    responses.push({
      id: item.id,
      status: response.status,
      headers: itemHeaders(response),
      ...(response.body !== undefined ? { body: response.body } : {}),
    });
  }
  if (order === 'reversed') responses.reverse();
  return { response: graphOk(env.answer, 200, { responses }), caller };
}
