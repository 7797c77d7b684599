import { APP_ID, meetingBody, simulatorPerTest, TENANT_ID } from '../support/simulator-world';

const s = simulatorPerTest();

interface BatchResponse {
  responses: Array<{
    id: string;
    status: number;
    headers: Record<string, string>;
    body?: { value?: Array<{ id: string }> };
  }>;
}

function lookup(id: string, mail: string): Record<string, unknown> {
  return {
    id,
    method: 'GET',
    url: `/users?$filter=${encodeURIComponent(`mail eq '${mail}'`)}&$select=id`,
  };
}

function byId(data: unknown): Map<string, BatchResponse['responses'][number]> {
  return new Map((data as BatchResponse).responses.map((r) => [r.id, r]));
}

describe('POST /$batch', () => {
  it('runs each item through the same handlers and answers each with its own status', async () => {
    const response = await s.graph.post('/$batch', {
      requests: [
        lookup('1', 'ada.adviser@uni.ac.uk'),
        lookup('2', 'nobody@uni.ac.uk'),
        { id: '3', method: 'GET', url: `users/${s.world.student.id}?$select=id` },
        {
          id: '4',
          method: 'POST',
          url: `/users/${s.world.adviser.id}/onlineMeetings/createOrGet`,
          headers: { 'Content-Type': 'application/json' },
          body: meetingBody({ externalId: 'batched' }),
        },
        { id: '5', method: 'GET', url: `/users?$filter=${encodeURIComponent("mail eq 'o'brien'")}` },
      ],
    });

    expect(response.status).toBe(200);
    const items = byId(response.data);
    expect(items.get('1')).toMatchObject({ status: 200, body: { value: [{ id: s.world.adviser.id }] } });
    expect(items.get('1')?.headers['Content-Type']).toMatch(/^application\/json/);
    expect(items.get('2')).toMatchObject({ status: 200, body: { value: [] } });
    expect(items.get('3')).toMatchObject({ status: 200, body: { id: s.world.student.id } });
    expect(items.get('4')?.status).toBe(201);
    expect(items.get('5')?.status).toBe(400);
    expect(s.h.sim.meetings()).toHaveLength(1);
  });

  it('does not keep the request order (correlate by id)', async () => {
    const response = await s.graph.post('/$batch', {
      requests: [lookup('a', 'x@uni.ac.uk'), lookup('b', 'y@uni.ac.uk')],
    });
    expect((response.data as BatchResponse).responses.map((r) => r.id)).toEqual(['b', 'a']);

    s.h.sim.setBatchResponseOrder('request');
    const ordered = await s.graph.post('/$batch', {
      requests: [lookup('a', 'x@uni.ac.uk'), lookup('b', 'y@uni.ac.uk')],
    });
    expect((ordered.data as BatchResponse).responses.map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('throttles one item with its own 429 and Retry-After while the others succeed', async () => {
    s.h.sim.injectFault({
      match: { operation: 'users.list', pathIncludes: '/users' },
      status: 429,
      retryAfter: '2.128',
    });

    const response = await s.graph.post('/$batch', {
      requests: [lookup('1', 'ada.adviser@uni.ac.uk'), lookup('2', 'sam.student@uni.ac.uk')],
    });

    expect(response.status).toBe(200);
    const items = byId(response.data);
    expect(items.get('1')).toMatchObject({ status: 429, headers: { 'Retry-After': '2.128' } });
    expect(items.get('2')?.status).toBe(200);
  });

  it('records the batch and each item as its own operation, flagged as from the batch', async () => {
    await s.graph.post('/$batch', { requests: [lookup('1', 'ada.adviser@uni.ac.uk'), lookup('2', 'x@y')] });

    const [batch, ...items] = s.h.sim.requests();
    expect(batch).toMatchObject({ operation: 'batch', status: 200, kind: 'graph', appId: APP_ID });
    expect(items).toMatchObject([
      {
        operation: 'users.list',
        path: '/v1.0/users',
        query: { $filter: "mail eq 'ada.adviser@uni.ac.uk'", $select: 'id' },
        status: 200,
        tenantId: TENANT_ID,
        fromBatch: { batchSeq: batch!.seq, itemId: '1' },
      },
      { operation: 'users.list', fromBatch: { itemId: '2' } },
    ]);
  });

  it('refuses more than 20 requests, duplicate ids, and a body without Content-Type with 400', async () => {
    const many = Array.from({ length: 21 }, (_, i) => lookup(String(i), 'x@y'));
    const answers = await Promise.all([
      s.graph.post('/$batch', { requests: many }),
      s.graph.post('/$batch', { requests: [lookup('1', 'x@y'), lookup('1', 'z@y')] }),
      s.graph.post('/$batch', {
        requests: [
          {
            id: '1',
            method: 'POST',
            url: `/users/${s.world.adviser.id}/onlineMeetings`,
            body: meetingBody(),
          },
        ],
      }),
    ]);
    for (const response of answers) {
      expect(response.status).toBe(400);
      expect(response.data.error.code).toBe('BadRequest');
    }
    expect((await s.graph.post('/$batch', { requests: many.slice(0, 20) })).status).toBe(200);
  });

  it('answers 424 for an item whose dependency failed', async () => {
    const response = await s.graph.post('/$batch', {
      requests: [
        { id: '1', method: 'GET', url: '/users/nobody@uni.ac.uk' },
        { ...lookup('2', 'x@y'), dependsOn: ['1'] },
      ],
    });
    expect(byId(response.data).get('2')?.status).toBe(424);
  });

  it('needs a valid token for the batch itself', async () => {
    const response = await s.h.http.post('/v1.0/$batch', { requests: [lookup('1', 'x@y')] });
    expect(response.status).toBe(401);
  });
});
