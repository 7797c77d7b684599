/**
 * Changes whose answer from Teams was lost: Teams may hold them or not. What the service answers,
 * stores and puts in the invite must be what Teams holds, found by reading the meeting back: at
 * once, or (Teams unreachable, or the process gone) before the record is next read or changed.
 */
import ICAL from 'ical.js';
import { TestClock } from '../support/clock';
import { appointment, received, worldsPerTest, type ServiceWorld } from '../support/service-world';

const worlds = worldsPerTest();

async function scheduled(w: ServiceWorld) {
  const created = await w.create(appointment({ subject: 'Before' }));
  expect(created.status).toBe(201);
  const id = created.body.appointmentId as string;
  w.sim.clearRequests();
  return { id, path: `/appointments/${encodeURIComponent(id)}/meeting` };
}

const as = (w: ServiceWorld) => `Bearer ${w.partnerKey}`;

async function invite(w: ServiceWorld, path: string) {
  const res = await w.h.request.get(`${path}.ics`).set('Authorization', as(w));
  expect(res.status).toBe(200);
  const event = new ICAL.Component(ICAL.parse(res.text)).getFirstSubcomponent('vevent')!;
  return {
    summary: event.getFirstPropertyValue('summary'),
    sequence: event.getFirstPropertyValue('sequence'),
  };
}

describe('a PATCH whose answer from Teams is lost', () => {
  test('Teams applied it: the meeting is read back, the change stored and answered 200', async () => {
    const w = await worlds.world({ clock: new TestClock() });
    const { path } = await scheduled(w);
    w.sim.injectFault({ match: { operation: 'onlineMeetings.update' }, drop: 'after', times: Infinity });
    const res = await w.h.request.patch(path).set('Authorization', as(w)).send({ subject: 'After' });
    expect(res.status).toBe(200);
    expect(res.body.subject).toBe('After');
    expect(received(w.sim, 'onlineMeetings.update').length).toBeGreaterThanOrEqual(1);
    expect(received(w.sim, 'onlineMeetings.get')).toHaveLength(1);
    expect(w.sim.meetings()[0]!.subject).toBe('After');
    w.sim.clearFaults();
    expect((await w.h.request.get(path).set('Authorization', as(w))).body.subject).toBe('After');
    expect(await invite(w, path)).toEqual({ summary: 'After', sequence: 1 });
  });

  test('Teams did not apply it: the error is answered and the record stays as Teams holds it', async () => {
    const w = await worlds.world({ clock: new TestClock() });
    const { path } = await scheduled(w);
    w.sim.injectFault({ match: { operation: 'onlineMeetings.update' }, drop: 'before', times: Infinity });
    const res = await w.h.request.patch(path).set('Authorization', as(w)).send({ subject: 'After' });
    expect(res.status).toBeGreaterThanOrEqual(502);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(w.sim.meetings()[0]!.subject).toBe('Before');
    w.sim.clearFaults();
    w.sim.clearRequests();
    expect((await w.h.request.get(path).set('Authorization', as(w))).body.subject).toBe('Before');
    expect(await invite(w, path)).toEqual({ summary: 'Before', sequence: 0 });
    // Settled at once: the reads after it ask Teams nothing.
    expect(received(w.sim, 'onlineMeetings.get')).toHaveLength(0);
    // And the next change works as usual.
    const next = await w.h.request.patch(path).set('Authorization', as(w)).send({ subject: 'Later' });
    expect(next.status).toBe(200);
    expect(await invite(w, path)).toEqual({ summary: 'Later', sequence: 1 });
  });

  test('Teams applied it and cannot be asked: the record is marked, and the next read settles it', async () => {
    const w = await worlds.world({ clock: new TestClock() });
    const { id, path } = await scheduled(w);
    w.sim.injectFault({ match: { operation: 'onlineMeetings.update' }, drop: 'after', times: Infinity });
    w.sim.injectFault({ match: { operation: 'onlineMeetings.get' }, status: 503, times: Infinity });
    const res = await w.h.request.patch(path).set('Authorization', as(w)).send({ subject: 'After' });
    expect(res.status).toBe(503);
    expect(w.sim.meetings()[0]!.subject).toBe('After');
    const marked = await w.h.store.meetings.get('uni-x', id);
    expect(marked).toMatchObject({ lease: null, pendingChange: { kind: 'update' } });
    w.sim.clearFaults();
    const read = await w.h.request.get(path).set('Authorization', as(w));
    expect(read.status).toBe(200);
    expect(read.body.subject).toBe('After');
    expect(read.body.calendar.sequence).toBe(1);
    expect(await w.h.store.meetings.get('uni-x', id)).toMatchObject({
      pendingChange: null,
      details: { subject: 'After' },
    });
  });

  test('a request that died with its change in flight: after its lease, the next read stores what Teams holds', async () => {
    const clock = new TestClock();
    const w = await worlds.world({ clock });
    const { id, path } = await scheduled(w);
    // Teams applies the change and its answer is lost; then the request dies before it can ask
    // again: the record keeps its lease and the change it sent.
    w.sim.injectFault({ match: { operation: 'onlineMeetings.update' }, drop: 'after', times: Infinity });
    w.sim.injectFault({ match: { operation: 'onlineMeetings.get' }, status: 503, times: Infinity });
    await w.h.request.patch(path).set('Authorization', as(w)).send({ subject: 'Sent before the crash' });
    w.sim.clearFaults();
    const left = (await w.h.store.meetings.get('uni-x', id))!;
    await w.h.store.meetings.update(
      {
        ...left,
        version: left.version + 1,
        lease: { owner: 'a-request-that-died', expiresAt: new Date(clock.now() + 35_000).toISOString() },
      },
      left.version,
    );
    expect(w.sim.meetings()[0]!.subject).toBe('Sent before the crash');
    // While the lease lasts its change may still be running: the stored details are answered.
    expect((await w.h.request.get(path).set('Authorization', as(w))).body.subject).toBe('Before');
    clock.advance(36_000);
    const read = await w.h.request.get(path).set('Authorization', as(w));
    expect(read.body.subject).toBe('Sent before the crash');
    expect(await invite(w, path)).toEqual({ summary: 'Sent before the crash', sequence: 1 });
    const next = await w.h.request.patch(path).set('Authorization', as(w)).send({ subject: 'Then' });
    expect(next.status).toBe(200);
    expect(await invite(w, path)).toEqual({ summary: 'Then', sequence: 2 });
  });
});

describe('a cancel whose answer from Teams is lost', () => {
  test('Teams deleted the meeting: 204, and the record says cancelled', async () => {
    const w = await worlds.world({ clock: new TestClock() });
    const { path } = await scheduled(w);
    w.sim.injectFault({ match: { operation: 'onlineMeetings.delete' }, drop: 'after', times: Infinity });
    const res = await w.h.request.delete(path).set('Authorization', as(w));
    expect(res.status).toBe(204);
    expect(w.sim.meetings()).toHaveLength(0);
    w.sim.clearFaults();
    const read = await w.h.request.get(path).set('Authorization', as(w));
    expect(read.body.status).toBe('cancelled');
    expect(read.body.calendar.sequence).toBe(1);
  });
});
