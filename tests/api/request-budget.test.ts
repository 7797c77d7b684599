/**
 * One time budget per request (REQUEST_TIMEOUT_MS): every step of a create draws from it, so a
 * request ends within its budget however long each step alone may take. The clock is a
 * TestClock: Graph's Retry-After waits advance it instead of sleeping.
 */
import { TestClock } from '../support/clock';
import { appointment, received, worldsPerTest } from '../support/service-world';

const worlds = worldsPerTest();

test('waits across steps stop at the budget, though each call alone could wait longer', async () => {
  const clock = new TestClock();
  // Each Graph call may take 8 s with 4 attempts; the request as a whole has 3 s.
  const w = await worlds.world({
    clock,
    requestTimeoutMs: 3000,
    graph: { deadlineMs: 8000, maxAttempts: 4 },
  });
  worlds.sim.injectFault({ match: { operation: 'users.list' }, status: 429, retryAfter: '1.5' });
  worlds.sim.injectFault({
    match: { operation: 'onlineMeetings.createOrGet' },
    status: 429,
    retryAfter: '1',
    times: Infinity,
  });

  const res = await w.create(appointment());

  expect(res.status).toBe(503);
  expect(res.body.code).toBe('GRAPH_UNAVAILABLE');
  // The lookup waited 1.5 s, createOrGet 1 s; a second 1 s wait would end past the 3 s budget.
  expect(clock.waits).toEqual([1500, 1000]);
  expect(received(worlds.sim, 'onlineMeetings.createOrGet')).toHaveLength(2);
});

test('the same create with the default budget waits as long as the calls allow, and succeeds', async () => {
  const clock = new TestClock();
  const w = await worlds.world({ clock, graph: { deadlineMs: 8000, maxAttempts: 4 } });
  worlds.sim.injectFault({ match: { operation: 'users.list' }, status: 429, retryAfter: '1.5' });
  worlds.sim.injectFault({
    match: { operation: 'onlineMeetings.createOrGet' },
    status: 429,
    retryAfter: '1',
    times: 2,
  });

  const res = await w.create(appointment());

  expect(res.status).toBe(201);
  expect(clock.waits).toEqual([1500, 1000, 1000]);
});
