/** Event ids: the published form, unique, and in the order they were made (index locality). */
import { newEventId } from '../../src/domain/events/event.record';
import { eventIdSchema } from '../../src/api/schemas/webhook.schemas';

test('ids have the published form, differ, and sort (bytewise) in the order they were made', () => {
  const start = Date.parse('2026-12-07T12:00:00.000Z');
  const made = [0, 1, 63, 64, 4095, 86_400_000, 86_400_001].map((ms) => newEventId(start + ms));
  for (const id of made) expect(id).toMatch(/^evt_[A-Za-z0-9_-]{22}$/);
  expect(eventIdSchema.safeParse(made[0]).success).toBe(true);
  const bytewise = [...made].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  expect(bytewise).toEqual(made);
  const same = new Set(Array.from({ length: 10_000 }, () => newEventId(start)));
  expect(same.size).toBe(10_000);
});
