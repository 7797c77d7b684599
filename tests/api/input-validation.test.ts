/**
 * Hostile and odd input that the red-team pass got through (items 11, 12, 14, 16): each is
 * refused with a clear 400, at the one place every request is validated, and nothing is stored.
 */
import { makeHarness, validPartner, type Harness } from '../support/harness';
import { appointment, worldsPerTest } from '../support/service-world';

const worlds = worldsPerTest();

function expect400(
  res: { status: number; headers: Record<string, string>; body: Record<string, unknown> },
  field: string,
) {
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.code).toBe('VALIDATION_FAILED');
  const fields = (res.body.errors as Array<{ field: string; message: string }>).map((e) => e.field);
  expect(fields).toContain(field);
  return res.body.errors as Array<{ field: string; message: string }>;
}

describe('text that is not well-formed Unicode', () => {
  test.each([
    ['a lone high surrogate', 'x-\ud800'],
    ['a lone low surrogate', 'x-\udfff'],
  ])('%s in appointmentId is refused, so two appointments cannot share one meeting', async (_label, id) => {
    const w = await worlds.world();
    const errors = expect400(await w.create(appointment({ appointmentId: id })), 'body.appointmentId');
    expect(errors.find((e) => e.field === 'body.appointmentId')!.message).toMatch(/Unicode/);
    expect(worlds.sim.meetings()).toHaveLength(0);
  });

  test('in a subject, an identity value and an identity field name alike', async () => {
    const w = await worlds.world();
    const res = await w.create(
      appointment({
        subject: 'Careers \udc00 guidance',
        operator: { email: 'ada.adviser@uni.example.ac.uk', ['na\ud834me']: 'Ada' },
        attendees: [{ email: 's1.student@uni.example.ac.uk\ud800' }],
      }),
    );
    expect400(res, 'body.subject');
    expect400(res, 'body.attendees.0.email');
    expect400(res, 'body.operator');
  });

  test('NUL in any text is refused (PostgreSQL cannot store it)', async () => {
    const w = await worlds.world();
    expect400(await w.create(appointment({ subject: 'a\u0000b' })), 'body.subject');
    expect400(await w.create(appointment({ operator: { email: 'ada\u0000@x' } })), 'body.operator.email');
  });
});

describe('impossible dates', () => {
  test.each([
    ['30 February', '2027-02-30T10:00:00Z'],
    ['29 February of a common year', '2027-02-29T10:00:00Z'],
    ['month 13', '2027-13-01T10:00:00Z'],
    ['hour 24', '2027-03-01T24:00:00Z'],
    ['minute 60', '2027-03-01T10:60:00Z'],
    ['second 60', '2027-03-01T10:00:60Z'],
    ['year 0000', '0000-03-01T10:00:00Z'],
    ['an offset of 24 hours', '2027-03-01T10:00:00+24:00'],
  ])('%s is refused, not shifted', async (_label, start) => {
    const w = await worlds.world();
    expect400(await w.create(appointment({ startDateTime: start })), 'body.startDateTime');
  });

  test.each([
    ['in year 10000 once in UTC', '9999-12-31T20:00:00-23:59', '9999-12-31T20:30:00-23:59'],
    ['in year 0 once in UTC', '0001-01-01T00:00:00+23:59', '0001-01-01T00:30:00+23:59'],
  ])('a time whose UTC instant is %s is refused, and Graph is not asked', async (_label, start, end) => {
    const w = await worlds.world();
    const res = await w.create(appointment({ startDateTime: start, endDateTime: end }));
    expect400(res, 'body.startDateTime');
    expect400(res, 'body.endDateTime');
    expect(w.sim.requests().filter((r) => r.operation.startsWith('onlineMeetings'))).toHaveLength(0);
  });

  test('the last and first instants of years 0001-9999 in UTC are dates', async () => {
    const w = await worlds.world();
    const late = await w.create(
      appointment({ startDateTime: '9999-12-31T23:00:00+00:00', endDateTime: '9999-12-31T23:59:59Z' }),
    );
    expect(late.status).toBe(201);
    expect(late.body.endDateTime).toBe('9999-12-31T23:59:59Z');
    const invite = await w.h.request
      .get(`/appointments/${late.body.appointmentId}/meeting.ics`)
      .set('Authorization', `Bearer ${w.partnerKey}`);
    expect(invite.text).toMatch(/^DTEND:99991231T235959Z\r$/m);
  });

  test('29 February of a leap year is a date', async () => {
    const w = await worlds.world();
    const res = await w.create(
      appointment({ startDateTime: '2028-02-29T10:00:00Z', endDateTime: '2028-02-29T10:30:00Z' }),
    );
    expect(res.status).toBe(201);
    expect(res.body.startDateTime).toBe('2028-02-29T10:00:00Z');
  });

  test('a secret expiry in year 10000 once in UTC is refused', async () => {
    const w = await worlds.world();
    const res = await w.h.request
      .patch('/partners/uni-x')
      .set('Authorization', w.h.admin)
      .send({ clientSecretExpiresAt: '9999-12-31T23:00:00-01:00' });
    expect400(res, 'body.clientSecretExpiresAt');
  });

  test('a secret expiry of 31 April is refused', async () => {
    const w = await worlds.world();
    const res = await w.h.request
      .patch('/partners/uni-x')
      .set('Authorization', w.h.admin)
      .send({ clientSecretExpiresAt: '2027-04-31' });
    expect400(res, 'body.clientSecretExpiresAt');
  });
});

describe('match fields that cannot name a TARGETconnect field', () => {
  let h: Harness;
  beforeEach(() => {
    h = makeHarness();
  });
  afterEach(() => h.close());

  test.each(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'])(
    '%s is refused, and nothing is stored',
    async (name) => {
      const res = await h.request
        .put('/partners/uni-a')
        .set('Authorization', h.admin)
        .send(validPartner({ operatorLocalMatchField: name, userLocalMatchField: name }));
      expect400(res, 'body.operatorLocalMatchField');
      expect400(res, 'body.userLocalMatchField');
      expect(await h.store.partners.get('uni-a')).toBeNull();
    },
  );
});
