/**
 * Graph's users (User.ReadBasic.All): the identity match's lookups by mail or UPN (15 values a
 * filter, 20 filters a $batch) and by object id.
 */
import type { DirectoryUser } from '../../domain/microsoft.port';
import type { PartnerRecord } from '../../domain/partners/partner.record';
import { runBatchOfGets, type BatchAnswer } from './graph-batch';
import type { GraphClient, GraphResponse } from './graph-client';
import { encodeSegment } from './graph-paths';
import { matchFilters, withQuery } from './odata';

const USER_SELECT = 'id,userPrincipalName,mail,displayName';
/** Enough for 15 values that could each match a few users: no paging. */
const USER_TOP = '999';

function toDirectoryUser(value: unknown): DirectoryUser | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v['id'] !== 'string' || typeof v['userPrincipalName'] !== 'string') return undefined;
  return {
    id: v['id'],
    userPrincipalName: v['userPrincipalName'],
    mail: typeof v['mail'] === 'string' ? v['mail'] : null,
    displayName: typeof v['displayName'] === 'string' ? v['displayName'] : null,
  };
}

function usersOf(body: unknown): DirectoryUser[] | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const list = (body as Record<string, unknown>)['value'];
  if (!Array.isArray(list)) return undefined;
  return list.map(toDirectoryUser).filter((u): u is DirectoryUser => u !== undefined);
}

/** A $batch item's answer in the shape `fail()` takes. */
function asResponse(answer: BatchAnswer): GraphResponse {
  return {
    status: answer.status,
    data: answer.body,
    headers: answer.headers,
    requestId: answer.headers['request-id'] ?? answer.requestId,
    clientRequestId: '',
    roles: answer.roles,
  };
}

export class GraphUsers {
  constructor(private readonly graph: GraphClient) {}

  async findUsers(
    partner: PartnerRecord,
    field: 'mail' | 'userPrincipalName',
    values: string[],
  ): Promise<Map<string, DirectoryUser[]>> {
    const result = new Map<string, DirectoryUser[]>();
    const unique: string[] = [];
    for (const value of values) {
      const key = value.toLowerCase();
      if (result.has(key)) continue;
      result.set(key, []);
      unique.push(value);
    }
    if (unique.length === 0) return result;

    const operation = 'users.list';
    const queries = matchFilters(field, unique).map((filter) => ({
      $filter: filter,
      $select: USER_SELECT,
      $top: USER_TOP,
    }));
    const found: DirectoryUser[] = [];
    if (queries.length === 1) {
      const response = await this.graph.request({
        partner,
        operation,
        method: 'GET',
        path: '/users',
        query: queries[0],
        retry: 'safe',
      });
      if (response.status !== 200) throw this.graph.fail({ partner, operation }, response);
      const users = usersOf(response.data);
      if (users === undefined) throw this.graph.unexpected({ operation }, response, 'no user list');
      found.push(...users);
    } else {
      const answers = await runBatchOfGets(
        this.graph,
        partner,
        operation,
        queries.map((query, i) => ({ id: String(i + 1), url: withQuery('/users', query) })),
      );
      for (const answer of answers.values()) {
        const response = asResponse(answer);
        if (answer.status !== 200) throw this.graph.fail({ partner, operation }, response);
        const users = usersOf(answer.body);
        if (users === undefined) throw this.graph.unexpected({ operation }, response, 'no user list');
        found.push(...users);
      }
    }
    for (const user of found) {
      const list = result.get((user[field] ?? '').toLowerCase());
      if (list !== undefined && !list.some((u) => u.id === user.id)) list.push(user);
    }
    return result;
  }

  async getUsersById(partner: PartnerRecord, ids: string[]): Promise<Map<string, DirectoryUser | null>> {
    const result = new Map<string, DirectoryUser | null>();
    const unique = [...new Set(ids)];
    if (unique.length === 0) return result;
    const operation = 'users.get';
    const read = (id: string, response: GraphResponse): void => {
      if (response.status === 404) {
        result.set(id, null);
        return;
      }
      if (response.status !== 200) throw this.graph.fail({ partner, operation }, response);
      const user = toDirectoryUser(response.data);
      if (user === undefined) throw this.graph.unexpected({ operation }, response, 'no user');
      result.set(id, user);
    };
    const pathOf = (id: string) => `/users/${encodeSegment(id)}`;
    if (unique.length === 1) {
      const id = unique[0] as string;
      read(
        id,
        await this.graph.request({
          partner,
          operation,
          method: 'GET',
          path: pathOf(id),
          query: { $select: USER_SELECT },
          retry: 'safe',
        }),
      );
      return result;
    }
    const answers = await runBatchOfGets(
      this.graph,
      partner,
      operation,
      unique.map((id, i) => ({ id: String(i + 1), url: withQuery(pathOf(id), { $select: USER_SELECT }) })),
    );
    unique.forEach((id, i) => {
      const answer = answers.get(String(i + 1));
      if (answer !== undefined) read(id, asResponse(answer));
    });
    return result;
  }
}
