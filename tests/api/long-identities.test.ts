/**
 * Long identity values are valid input (up to 1,024 characters each) and must resolve: lookups
 * are split by URL length as well as by Graph's 15 values a filter (red-team item 7).
 */
import { appointment, worldsPerTest } from '../support/service-world';

const worlds = worldsPerTest();

test('15 attendees with 1,000-character emails: the create succeeds and no Graph URL is oversized', async () => {
  const w = await worlds.world();
  const long = (i: number) => `${String(i).padStart(3, '0')}${'x'.repeat(980)}@uni.example.ac.uk`;
  const attendees = Array.from({ length: 15 }, (_, i) => ({ email: long(i) }));
  expect(attendees.every((a) => a.email.length <= 1024 && a.email.length >= 1000)).toBe(true);

  const res = await w.create(
    appointment({ attendees: [...attendees, { email: 's3.student@uni.example.ac.uk' }] }),
  );

  expect(res.status).toBe(201);
  expect(res.body.attendees).toHaveLength(16);
  expect(res.body.attendees.slice(0, 15).every((a: { matched: boolean }) => !a.matched)).toBe(true);
  expect(res.body.attendees[15]).toMatchObject({ matched: true, id: w.students[3]!.id });
  const lookups = worlds.sim.requests().filter((r) => r.operation === 'users.list');
  expect(lookups.length).toBeGreaterThan(1);
  for (const r of lookups) expect(r.path.length + r.rawQuery.length).toBeLessThan(4096);
});
