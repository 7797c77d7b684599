/**
 * The outbox's contract for every engine: webhooks, events recorded with their deliveries (and
 * with the meeting change they report, or not at all), leases on due deliveries, the log.
 */
import type { OutboundEvent } from '../../src/domain/events/event.record';
import type { WebhookRecord } from '../../src/domain/events/webhook.record';
import type { MeetingDetails, MeetingRecord } from '../../src/domain/meetings/meeting.record';
import type { Store } from '../../src/domain/store.port';
import { partner, pending, type OpenedStore } from './repositories.contract';

export function webhook(id: string, overrides: Partial<WebhookRecord> = {}): WebhookRecord {
  return {
    id,
    partnerId: 'p1',
    url: `https://receiver.example/${id}`,
    events: ['*'],
    description: null,
    enabled: true,
    disabledReason: null,
    secretCiphertext: `sealed-${id}`,
    previousSecretCiphertext: null,
    previousSecretExpiresAt: null,
    version: 1,
    createdAt: '2025-03-01T10:00:00.000Z',
    updatedAt: '2025-03-01T10:00:00.000Z',
    ...overrides,
  };
}

function event(id: string, overrides: Partial<OutboundEvent> = {}): OutboundEvent {
  return {
    id,
    type: 'meeting.created',
    partnerId: 'p1',
    createdAt: '2025-03-01T11:00:00.000Z',
    data: { appointmentId: 'a1', note: 'Zoë' },
    ...overrides,
  };
}

const DETAILS: MeetingDetails = {
  meetingId: 'm1',
  joinWebUrl: 'https://teams.example/l/1',
  joinMeetingId: '123',
  passcode: 'p',
  subject: 'Careers guidance',
  startDateTime: '2025-03-02T10:00:00Z',
  endDateTime: '2025-03-02T10:30:00Z',
  organizer: { id: 'o1', userPrincipalName: 'ada@uni', displayName: 'Ada' },
  attendees: [],
  options: {},
};

export function describeOutboxContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`${name} outbox contract`, () => {
    let opened: OpenedStore;
    let store: Store;
    const NOW = '2025-03-01T12:00:00.000Z';
    const LATER = '2025-03-01T12:01:00.000Z';

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
      await store.partners.insert(partner('p1'));
      await store.partners.insert(partner('p2'));
    });
    afterEach(async () => {
      await opened.cleanup();
    });

    it('keeps webhooks field for field; updates only over the version read; lists by owner', async () => {
      const own = webhook('wh_1', { events: ['meeting.created', 'attendance.ready'], description: 'Zoë' });
      const admin = webhook('wh_2', { partnerId: null });
      await store.webhooks.insert(own);
      await store.webhooks.insert(admin);
      expect(await store.webhooks.get('wh_1')).toEqual(own);
      expect((await store.webhooks.list('p1')).map((w) => w.id)).toEqual(['wh_1']);
      expect((await store.webhooks.list(null)).map((w) => w.id)).toEqual(['wh_2']);
      expect((await store.webhooks.list()).map((w) => w.id).sort()).toEqual(['wh_1', 'wh_2']);
      const changed = { ...own, enabled: false, disabledReason: '410', version: 2 };
      expect(await store.webhooks.update(changed, 1)).toBe(true);
      expect(await store.webhooks.update({ ...own, version: 2 }, 1)).toBe(false);
      expect(await store.webhooks.get('wh_1')).toEqual(changed);
      expect(await store.webhooks.wants('p1', 'meeting.created')).toBe(true);
      expect(await store.webhooks.wants('p2', 'meeting.updated')).toBe(true);
      await store.webhooks.update({ ...admin, events: ['meeting.cancelled'], version: 2 }, 1);
      expect(await store.webhooks.wants('p2', 'meeting.updated')).toBe(false);
      expect(await store.webhooks.delete('wh_2')).toBe(true);
      expect(await store.webhooks.delete('wh_2')).toBe(false);
    });

    it('records an event with one delivery per enabled webhook that wants it, and none without one', async () => {
      expect(await store.outbox.record(event('evt_none'), NOW)).toBe(false);
      await store.webhooks.insert(webhook('wh_all', { partnerId: null, events: ['*'] }));
      await store.webhooks.insert(webhook('wh_mine', { events: ['meeting.created'] }));
      await store.webhooks.insert(webhook('wh_other_type', { events: ['meeting.updated'] }));
      await store.webhooks.insert(webhook('wh_other_partner', { partnerId: 'p2' }));
      await store.webhooks.insert(webhook('wh_off', { enabled: false }));
      expect(await store.outbox.record(event('evt_1'), NOW)).toBe(true);
      const due = await store.outbox.claimDue(NOW, 'me', LATER, 10);
      expect(due.map((d) => d.webhook.id).sort()).toEqual(['wh_all', 'wh_mine']);
      expect(due[0]!.body).toBe(
        '{"id":"evt_1","type":"meeting.created","createdAt":"2025-03-01T11:00:00.000Z","partnerId":"p1","data":{"appointmentId":"a1","note":"Zoë"}}',
      );
      expect(due[0]!.delivery).toMatchObject({ eventId: 'evt_1', type: 'meeting.created', attempts: 0 });
      // Aimed at one webhook (a test): that one alone, also when disabled.
      expect(
        await store.outbox.record(event('evt_t', { type: 'webhook.test', webhookId: 'wh_off' }), NOW),
      ).toBe(true);
      expect((await store.outbox.claimDue(NOW, 'me', LATER, 10)).map((d) => d.webhook.id)).toEqual([
        'wh_off',
      ]);
      // A dedupe key makes the second event of it nothing.
      const once = event('evt_a', { type: 'attendance.ready', dedupeKey: 'attendance:p1:m1' });
      expect(await store.outbox.record(once, NOW)).toBe(true);
      expect(await store.outbox.record({ ...once, id: 'evt_b' }, NOW)).toBe(false);
    });

    it('a meeting update with its event: both, or neither when the update loses', async () => {
      await store.webhooks.insert(webhook('wh_1'));
      const claimed = pending('p1', 'a1');
      await store.meetings.claim(claimed);
      const scheduled: MeetingRecord = { ...claimed, status: 'scheduled', details: DETAILS, version: 2 };
      expect(await store.meetings.update(scheduled, 1, event('evt_won'))).toBe(true);
      expect(await store.meetings.update({ ...scheduled, version: 3 }, 1, event('evt_lost'))).toBe(false);
      const due = await store.outbox.claimDue(NOW, 'me', LATER, 10);
      expect(due.map((d) => d.delivery.eventId)).toEqual(['evt_won']);
      expect(await store.outbox.waiting()).toEqual({ count: 1, oldestCreatedAt: '2025-03-01T11:00:00.000Z' });
    });

    it('outcomes written in one turn: each answered alone, a lease taken over is left as it is', async () => {
      await store.webhooks.insert(webhook('wh_1'));
      await store.webhooks.insert(webhook('wh_2'));
      for (const id of ['evt_1', 'evt_2', 'evt_3']) await store.outbox.record(event(id), NOW);
      const due = await store.outbox.claimDue(NOW, 'a', LATER, 10);
      expect(due).toHaveLength(6);
      const outcome = (d: (typeof due)[number]['delivery'], attempts: number) => ({
        ...d,
        status: attempts === 1 ? ('succeeded' as const) : ('pending' as const),
        attempts,
        nextAttemptAt: attempts === 1 ? null : LATER,
        lastAttemptAt: NOW,
        responseStatus: attempts === 1 ? 204 : 500,
        error: attempts === 1 ? null : 'The receiver answered 500.',
        updatedAt: NOW,
      });
      // All asked together; the last one by an owner whose lease it is not.
      const answers = await Promise.all(
        due.map(({ delivery }, i) =>
          store.outbox.finish(outcome(delivery, i % 2 === 0 ? 1 : 2), i === 5 ? 'b' : 'a'),
        ),
      );
      expect(answers).toEqual([true, true, true, true, true, false]);
      const written = [
        ...(await store.outbox.deliveries('wh_1', 10)),
        ...(await store.outbox.deliveries('wh_2', 10)),
      ];
      const byKey = new Map(written.map((d) => [`${d.webhookId} ${d.eventId}`, d]));
      due.forEach(({ delivery }, i) => {
        const stored = byKey.get(`${delivery.webhookId} ${delivery.eventId}`)!;
        if (i === 5) expect(stored).toMatchObject({ status: 'pending', attempts: 0, responseStatus: null });
        else expect(stored).toEqual(outcome(delivery, i % 2 === 0 ? 1 : 2));
      });
    });

    it('leases due deliveries to one owner until the lease runs out; only the owner writes the outcome', async () => {
      await store.webhooks.insert(webhook('wh_1'));
      await store.outbox.record(event('evt_1'), NOW);
      await store.outbox.record(event('evt_later'), '2025-03-01T13:00:00.000Z');
      const [taken] = await store.outbox.claimDue(NOW, 'a', LATER, 10);
      expect(taken!.delivery.eventId).toBe('evt_1');
      expect(await store.outbox.claimDue(NOW, 'b', LATER, 10)).toEqual([]);
      // The lease ran out (its owner died): another takes it over.
      const [again] = await store.outbox.claimDue(LATER, 'b', '2025-03-01T12:02:00.000Z', 10);
      expect(again!.delivery.eventId).toBe('evt_1');
      const outcome = {
        ...again!.delivery,
        status: 'succeeded' as const,
        attempts: 1,
        nextAttemptAt: null,
        lastAttemptAt: LATER,
        responseStatus: 204,
        updatedAt: LATER,
      };
      expect(await store.outbox.finish(outcome, 'a')).toBe(false);
      expect(await store.outbox.finish(outcome, 'b')).toBe(true);
      expect(await store.outbox.deliveries('wh_1', 10)).toEqual([
        expect.objectContaining({ eventId: 'evt_later', status: 'pending', attempts: 0 }),
        expect.objectContaining({ eventId: 'evt_1', status: 'succeeded', attempts: 1, responseStatus: 204 }),
      ]);
      // A retry makes it due now again; an unknown one is null.
      expect(await store.outbox.retryNow('wh_1', 'evt_1', LATER)).toMatchObject({
        status: 'pending',
        nextAttemptAt: LATER,
      });
      expect(await store.outbox.retryNow('wh_1', 'evt_x', LATER)).toBeNull();
      expect((await store.outbox.waiting()).count).toBe(2);
    });

    it('forgets old events nothing waits for, with their deliveries', async () => {
      await store.webhooks.insert(webhook('wh_1'));
      await store.outbox.record(event('evt_old'), NOW);
      await store.outbox.record(event('evt_waiting', { createdAt: '2025-03-01T10:00:00.000Z' }), NOW);
      const [old] = (await store.outbox.claimDue(NOW, 'a', LATER, 10)).filter(
        (d) => d.delivery.eventId === 'evt_old',
      );
      await store.outbox.finish({ ...old!.delivery, status: 'failed', attempts: 1, updatedAt: LATER }, 'a');
      expect(await store.outbox.prune('2025-03-02T00:00:00.000Z')).toBe(1);
      expect((await store.outbox.deliveries('wh_1', 10)).map((d) => d.eventId)).toEqual(['evt_waiting']);
    });

    it('keeps an attendance look only while a webhook wants attendance.ready', async () => {
      const claimed = pending('p1', 'a1');
      await store.meetings.claim(claimed);
      const attendance = { dueAt: '2025-03-02T10:40:00.000Z', checks: 0, forEnd: DETAILS.endDateTime };
      await store.meetings.update(
        { ...claimed, status: 'scheduled', details: DETAILS, version: 2, attendance },
        1,
      );
      expect((await store.meetings.get('p1', 'a1'))?.attendance).toEqual({ ...attendance, dueAt: null });
      expect(await store.meetings.attendanceDue('2025-03-03T00:00:00.000Z', 10)).toEqual([]);
    });

    it('finds the meetings whose attendance look is due, and keeps the schedule', async () => {
      await store.webhooks.insert(webhook('wh_1', { events: ['attendance.ready'] }));
      const claimed = pending('p1', 'a1');
      await store.meetings.claim(claimed);
      const attendance = { dueAt: '2025-03-02T10:40:00.000Z', checks: 0, forEnd: DETAILS.endDateTime };
      const scheduled: MeetingRecord = {
        ...claimed,
        status: 'scheduled',
        details: DETAILS,
        version: 2,
        attendance,
      };
      await store.meetings.update(scheduled, 1);
      expect(await store.meetings.get('p1', 'a1')).toEqual(scheduled);
      expect(await store.meetings.attendanceDue('2025-03-02T10:39:59.000Z', 10)).toEqual([]);
      expect(await store.meetings.attendanceDue('2025-03-02T10:40:00.000Z', 10)).toEqual([scheduled]);
      await store.meetings.update({ ...scheduled, status: 'cancelled', version: 3 }, 2);
      expect(await store.meetings.attendanceDue('2025-03-03T00:00:00.000Z', 10)).toEqual([]);
    });

    it('setup watch: schedules new partners once, claims due ones once until the claim runs out, keeps results and errors', async () => {
      const watch = store.setupWatch;
      expect(await watch.schedule((id) => (id === 'p1' ? NOW : LATER))).toBe(2);
      expect(await watch.schedule(() => NOW)).toBe(0);
      // Due at NOW: p1 only; claimed, another instance (or round) gets nothing until the claim ends.
      expect(await watch.claimDue(NOW, '2025-03-01T12:10:00.000Z', 5)).toEqual(['p1']);
      expect(await watch.claimDue(NOW, '2025-03-01T12:10:00.000Z', 5)).toEqual([]);
      expect(
        (await watch.claimDue('2025-03-01T12:10:00.000Z', '2025-03-01T12:20:00.000Z', 5)).sort(),
      ).toEqual(['p1', 'p2']);
      await watch.saveResult(
        'p1',
        NOW,
        { ok: true, checks: [{ id: 'x', detail: 'Zoë' }] },
        '2025-03-02T12:00:00.000Z',
      );
      await watch.noteError('p1', 'ACCESS_POLICY_MISSING', LATER, 'ignored');
      expect(await watch.get('p1')).toEqual({
        partnerId: 'p1',
        nextCheckAt: '2025-03-02T12:00:00.000Z',
        checkedAt: NOW,
        result: { ok: true, checks: [{ id: 'x', detail: 'Zoë' }] },
        lastErrorCode: 'ACCESS_POLICY_MISSING',
        lastErrorAt: LATER,
      });
      expect((await watch.list()).map((r) => r.partnerId).sort()).toEqual(['p1', 'p2']);
      // A check that could not be made moves only its next time.
      await watch.postpone('p1', '2025-03-01T13:00:00.000Z');
      expect(await watch.get('p1')).toMatchObject({
        nextCheckAt: '2025-03-01T13:00:00.000Z',
        checkedAt: NOW,
        result: { ok: true, checks: [{ id: 'x', detail: 'Zoë' }] },
      });
      expect(await watch.get('nobody')).toBeNull();
    });

    it("setup watch: the advisers of recent meetings (newest first) and each partner's activity", async () => {
      await store.webhooks.insert(webhook('wh_1'));
      const made = async (appointmentId: string, organizer: string, at: string) => {
        const claimed = pending('p1', appointmentId, { createdAt: at, updatedAt: at });
        await store.meetings.claim(claimed);
        const details = {
          ...DETAILS,
          organizer: { ...DETAILS.organizer, id: organizer, userPrincipalName: `${organizer}@uni` },
        };
        await store.meetings.update(
          { ...claimed, status: 'scheduled', details, version: 2 },
          1,
          event(`evt_${appointmentId}`),
        );
      };
      await made('a1', 'o-old', '2025-01-01T10:00:00.000Z');
      await made('a2', 'o1', '2025-02-27T10:00:00.000Z');
      await made('a3', 'o2', '2025-02-28T10:00:00.000Z');
      await made('a4', 'o1', '2025-02-28T11:00:00.000Z');
      expect(await store.setupWatch.advisersSince('p1', '2025-02-01T00:00:00.000Z', 10)).toEqual([
        { id: 'o1', userPrincipalName: 'o1@uni' },
        { id: 'o2', userPrincipalName: 'o2@uni' },
      ]);
      expect(await store.setupWatch.advisersSince('p1', '2025-02-01T00:00:00.000Z', 1)).toHaveLength(1);
      const activity = await store.setupWatch.activity('2025-02-22T00:00:00.000Z');
      expect(activity.get('p1')).toEqual({ meetings: 3, eventsWaiting: 4 });
      expect(activity.get('p2')).toBeUndefined();
    });
  });
}
