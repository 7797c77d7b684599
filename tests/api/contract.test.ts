/**
 * The running service against openapi.yaml: real answers, validated against the documented
 * schema of their operation and status.
 */
import { expectContract } from '../support/contract';
import { makeHarness, validPartner, type Harness } from '../support/harness';

let h: Harness;
beforeEach(() => {
  h = makeHarness();
});
afterEach(async () => {
  await h.close();
});

test('partner and key endpoints answer as documented', async () => {
  const a = h.admin;
  expectContract(
    await h.request.put('/partners/uni-a').set('Authorization', a).send(validPartner()),
    'PUT',
    '/partners/{partnerId}',
  );
  expectContract(
    await h.request.put('/partners/uni-a').set('Authorization', a).send(validPartner()),
    'PUT',
    '/partners/{partnerId}',
  );
  expectContract(
    await h.request.put('/partners/uni-a').set('Authorization', a).send({ cloud: 'x' }),
    'PUT',
    '/partners/{partnerId}',
  );
  expectContract(await h.request.get('/partners').set('Authorization', a), 'GET', '/partners');
  expectContract(await h.request.get('/partners').set('Authorization', 'Bearer nope'), 'GET', '/partners');
  expectContract(
    await h.request.get('/partners/uni-a').set('Authorization', a),
    'GET',
    '/partners/{partnerId}',
  );
  expectContract(
    await h.request.get('/partners/ghost').set('Authorization', a),
    'GET',
    '/partners/{partnerId}',
  );
  expectContract(
    await h.request.patch('/partners/uni-a').set('Authorization', a).send({ cloud: 'usgov' }),
    'PATCH',
    '/partners/{partnerId}',
  );
  const issued = await h.request.post('/partners/uni-a/api-keys').set('Authorization', a);
  expectContract(issued, 'POST', '/partners/{partnerId}/api-keys');
  expectContract(
    await h.request.get('/partners/uni-a/api-keys').set('Authorization', a),
    'GET',
    '/partners/{partnerId}/api-keys',
  );
  expectContract(
    await h.request.get('/partners').set('Authorization', `Bearer ${issued.body.key}`),
    'GET',
    '/partners',
  );
  expectContract(
    await h.request.delete(`/partners/uni-a/api-keys/${issued.body.id}`).set('Authorization', a),
    'DELETE',
    '/partners/{partnerId}/api-keys/{keyId}',
  );
  expectContract(
    await h.request
      .put('/partners/uni-a')
      .set('Authorization', a)
      .send(validPartner({ pad: 'x'.repeat(110_000) })),
    'PUT',
    '/partners/{partnerId}',
  );
  expectContract(
    await h.request.delete('/partners/uni-a').set('Authorization', a),
    'DELETE',
    '/partners/{partnerId}',
  );
});

test('health and operations answer as documented', async () => {
  await h.request.put('/partners/uni-a').set('Authorization', h.admin).send(validPartner());
  expectContract(await h.request.get('/health'), 'GET', '/health');
  h.built.startDraining();
  expectContract(await h.request.get('/health'), 'GET', '/health');
  await h.store.close();
  expectContract(await h.request.get('/health'), 'GET', '/health');
});

describe('meeting endpoints', () => {
  test('create, replay, conflict, read, reschedule, cancel and their errors answer as documented', async () => {
    const { startSimulator } = await import('../../tools/microsoft-simulator');
    const { appointment, makeWorld } = await import('../support/service-world');
    const sim = await startSimulator();
    const w = await makeWorld({ sim });
    try {
      const key = `Bearer ${w.partnerKey}`;
      const body = appointment({
        attendees: [{ email: 's1.student@uni.example.ac.uk' }, { email: 'ghost@x.y' }, { id: '1' }],
      });
      expectContract(await w.create(body), 'POST', '/appointments/meeting');
      expectContract(await w.create(body), 'POST', '/appointments/meeting');
      expectContract(await w.create({ ...body, subject: 'other' }), 'POST', '/appointments/meeting');
      expectContract(await w.create({ ...body, subject: '' }), 'POST', '/appointments/meeting');
      expectContract(
        await w.create(appointment({ operator: { email: 'nobody@x.y' } })),
        'POST',
        '/appointments/meeting',
      );
      expectContract(
        await w.create(appointment({ operator: { email: 'nina.nopolicy@uni.example.ac.uk' } })),
        'POST',
        '/appointments/meeting',
      );
      const path = `/appointments/${encodeURIComponent(String(body.appointmentId))}/meeting`;
      const template = '/appointments/{appointmentId}/meeting';
      expectContract(await w.h.request.get(path).set('Authorization', key), 'GET', template);
      expectContract(
        await w.h.request.get('/appointments/none/meeting').set('Authorization', key),
        'GET',
        template,
      );
      expectContract(
        await w.h.request.patch(path).set('Authorization', key).send({ subject: 'Moved' }),
        'PATCH',
        template,
      );
      expectContract(await w.h.request.delete(path).set('Authorization', key), 'DELETE', template);
      expectContract(await w.h.request.get(path).set('Authorization', key), 'GET', template);
      expectContract(await w.h.request.get(path).set('Authorization', w.h.admin), 'GET', template);
    } finally {
      await w.close();
      await sim.close();
    }
  });
});

test('the contract check itself fails on answers the contract does not allow', () => {
  const json = { 'content-type': 'application/json' };
  expect(() => expectContract({ status: 200, headers: json, body: {} }, 'GET', '/partners')).toThrow(
    /does not match/,
  );
  expect(() => expectContract({ status: 418, headers: json, body: {} }, 'GET', '/partners')).toThrow(
    /does not document/,
  );
  expect(() =>
    expectContract(
      { status: 404, headers: { 'content-type': 'application/problem+json' }, body: { code: 'X' } },
      'GET',
      '/partners/{partnerId}',
    ),
  ).toThrow(/does not match/);
});
