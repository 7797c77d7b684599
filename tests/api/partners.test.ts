import { makeHarness, validPartner, SECRET_VALUE, type Harness } from '../support/harness';

let h: Harness;
beforeEach(() => {
  h = makeHarness();
});
afterEach(async () => {
  await h.close();
});

const put = (id: string, body: unknown) =>
  h.request
    .put(`/partners/${id}`)
    .set('Authorization', h.admin)
    .send(body as object);

function expectValidationProblem(res: {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}) {
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.code).toBe('VALIDATION_FAILED');
  return res.body.errors as Array<{ field: string; message: string }>;
}

describe('PUT /partners/{id}', () => {
  test('creates (201), then replaces (200) keeping createdAt, and never returns the secret', async () => {
    const created = await put('uni-a', validPartner());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'uni-a',
      applicationId: '11111111-2222-3333-4444-555555555555',
      tenantId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      hasClientSecret: true,
      clientSecretExpiresAt: '2027-06-30T00:00:00.000Z',
      cloud: 'global',
      meetingDefaults: {},
    });
    expect(created.body).not.toHaveProperty('clientSecret');
    expect(JSON.stringify(created.body)).not.toContain(SECRET_VALUE);

    const replaced = await put('uni-a', validPartner({ userRemoteMatchField: 'mail', cloud: 'usgov' }));
    expect(replaced.status).toBe(200);
    expect(replaced.body.createdAt).toBe(created.body.createdAt);
    expect(replaced.body).toMatchObject({ userRemoteMatchField: 'mail', cloud: 'usgov' });

    const stored = await h.store.partners.get('uni-a');
    expect(stored?.cloud).toBe('usgov');
  });

  test('a replace without clientSecret keeps the stored secret', async () => {
    await put('uni-a', validPartner());
    const before = await h.store.partners.get('uni-a');
    const { clientSecret: _omit, ...withoutSecret } = validPartner();
    const res = await put('uni-a', withoutSecret);
    expect(res.status).toBe(200);
    expect(res.body.hasClientSecret).toBe(true);
    const after = await h.store.partners.get('uni-a');
    expect(after?.clientSecretCiphertext).toBe(before?.clientSecretCiphertext);
    expect(await h.services.partners.clientSecretOf(after!)).toBe(SECRET_VALUE);
  });

  test('a create without clientSecret is refused and stores nothing', async () => {
    const { clientSecret: _omit, ...withoutSecret } = validPartner();
    const errors = expectValidationProblem(await put('uni-a', withoutSecret));
    expect(errors).toEqual([expect.objectContaining({ field: 'body.clientSecret' })]);
    expect(await h.store.partners.get('uni-a')).toBeNull();
  });

  test('normalises GUIDs to lower case and accepts a verified domain as tenant', async () => {
    const res = await put(
      'uni-b',
      validPartner({ applicationId: '11111111-2222-3333-4444-55555555ABCD', tenantId: 'Uni.AC.uk' }),
    );
    expect(res.status).toBe(201);
    expect(res.body.applicationId).toBe('11111111-2222-3333-4444-55555555abcd');
    expect(res.body.tenantId).toBe('uni.ac.uk');
  });

  test.each([
    ['applicationId', 'not-a-guid', /Application \(client\) ID/],
    ['applicationId', 42, /string/],
    ['tenantId', 'not a tenant', /Directory \(tenant\) ID/],
    ['tenantId', '', /Directory \(tenant\) ID/],
    ['clientSecret', '', /empty/],
    ['clientSecret', '9b2c6a4e-1f0d-4c3b-8a7e-6d5f4c3b2a10', /Secret ID/],
    ['clientSecret', ' padded-secret ', /spaces/],
    ['clientSecret', 'x'.repeat(1025), /1024/],
    ['clientSecretExpiresAt', 'next tuesday', /date/],
    ['clientSecretExpiresAt', '2027-13-45', /date/],
    ['clientSecretExpiresAt', '2027-06-30T10:00:00', /offset/],
    ['operatorLocalMatchField', 'e mail', /TARGETconnect field/],
    ['operatorLocalMatchField', '', /TARGETconnect field/],
    ['operatorRemoteMatchField', 'email', /mail, userPrincipalName, id/],
    ['operatorRemoteMatchField', 'onPremisesSamAccountName', /User.ReadBasic.All/],
    ['userLocalMatchField', '1email', /TARGETconnect field/],
    ['userRemoteMatchField', 'employeeId', /mail, userPrincipalName, id/],
    ['cloud', 'china', /China/],
    ['meetingDefaults', { lobbyBypassScope: 'anyone' }, /lobbyBypassScope must be one of/],
    ['meetingDefaults', { allowedPresenters: 'me' }, /allowedPresenters must be one of/],
    ['meetingDefaults', { allowMeetingChat: 'yes' }, /allowMeetingChat must be one of/],
    ['meetingDefaults', { recordAutomatically: 'yes' }, /true or false/],
    ['meetingDefaults', { autoAdmit: true }, /Unknown field/],
  ])('rejects %s = %j with a clear message and stores nothing', async (field, value, message) => {
    const errors = expectValidationProblem(await put('uni-a', validPartner({ [field]: value })));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.field.startsWith(`body.${field}`)).toBe(true);
    expect(errors[0]?.message).toMatch(message);
    expect(await h.store.partners.get('uni-a')).toBeNull();
  });

  test.each([
    'operatorLocalMatchField',
    'operatorRemoteMatchField',
    'userLocalMatchField',
    'userRemoteMatchField',
    'applicationId',
    'tenantId',
  ])('requires %s', async (field) => {
    const body = validPartner();
    delete body[field];
    const errors = expectValidationProblem(await put('uni-a', body));
    expect(errors).toEqual([{ field: `body.${field}`, message: 'Required.' }]);
  });

  test('lists every problem at once, including unknown fields', async () => {
    const errors = expectValidationProblem(
      await put('uni-a', validPartner({ applicationId: 'x', tenantId: '!', cloud: 'mars', colour: 'blue' })),
    );
    expect(errors.map((e) => e.field).sort()).toEqual([
      'body',
      'body.applicationId',
      'body.cloud',
      'body.tenantId',
    ]);
    expect(errors.find((e) => e.field === 'body')?.message).toMatch(/Unknown field\(s\): colour/);
  });

  test('a body that is not an object, or not JSON, is a 400', async () => {
    expectValidationProblem(await put('uni-a', ['a']));
    const res = await h.request
      .put('/partners/uni-a')
      .set('Authorization', h.admin)
      .set('Content-Type', 'application/json')
      .send('{"applicationId": ');
    expectValidationProblem(res);
    expect(res.body.detail).toMatch(/not valid JSON/);
  });

  test('a bad partner id is a 400 naming the parameter', async () => {
    for (const id of ['Uni-A', '-uni', 'a'.repeat(65), 'uni%20a']) {
      const errors = expectValidationProblem(await put(id, validPartner()));
      expect(errors[0]?.field).toBe('params.partnerId');
    }
  });

  test('a failed replace leaves the stored partner as it was', async () => {
    await put('uni-a', validPartner());
    const before = await h.store.partners.get('uni-a');
    expectValidationProblem(await put('uni-a', validPartner({ tenantId: 'nope nope' })));
    expect(await h.store.partners.get('uni-a')).toEqual(before);
  });
});

describe('GET, PATCH, DELETE /partners', () => {
  test('lists and reads partners without secrets', async () => {
    await put('uni-b', validPartner());
    await put('uni-a', validPartner());
    const list = await h.request.get('/partners').set('Authorization', h.admin);
    expect(list.status).toBe(200);
    expect(list.body.partners.map((p: { id: string }) => p.id)).toEqual(['uni-a', 'uni-b']);
    expect(JSON.stringify(list.body)).not.toContain(SECRET_VALUE);
    expect(JSON.stringify(list.body)).not.toContain('Ciphertext');
    const one = await h.request.get('/partners/uni-a').set('Authorization', h.admin);
    expect(one.status).toBe(200);
    expect(one.body.hasClientSecret).toBe(true);
  });

  test('PATCH sets a new secret and clears the old expiry date unless a new one is given', async () => {
    await put('uni-a', validPartner());
    const res = await h.request
      .patch('/partners/uni-a')
      .set('Authorization', h.admin)
      .send({ clientSecret: 'New8Q~secret-value-000000000000000000000' });
    expect(res.status).toBe(200);
    expect(res.body.clientSecretExpiresAt).toBeNull();
    const stored = await h.store.partners.get('uni-a');
    expect(await h.services.partners.clientSecretOf(stored!)).toBe(
      'New8Q~secret-value-000000000000000000000',
    );

    const again = await h.request
      .patch('/partners/uni-a')
      .set('Authorization', h.admin)
      .send({ meetingDefaults: { lobbyBypassScope: 'organization', recordAutomatically: true } });
    expect(again.body.meetingDefaults).toEqual({
      lobbyBypassScope: 'organization',
      recordAutomatically: true,
    });
    expect(again.body.operatorRemoteMatchField).toBe('mail');
  });

  test('PATCH validates like PUT and refuses an empty body', async () => {
    await put('uni-a', validPartner());
    expectValidationProblem(
      await h.request
        .patch('/partners/uni-a')
        .set('Authorization', h.admin)
        .send({ operatorRemoteMatchField: 'email' }),
    );
    const empty = await h.request.patch('/partners/uni-a').set('Authorization', h.admin).send({});
    expect(expectValidationProblem(empty)[0]?.message).toMatch(/at least one field/);
  });

  test('unknown partners are 404 PARTNER_NOT_FOUND', async () => {
    for (const res of [
      await h.request.get('/partners/ghost').set('Authorization', h.admin),
      await h.request.patch('/partners/ghost').set('Authorization', h.admin).send({ cloud: 'global' }),
      await h.request.delete('/partners/ghost').set('Authorization', h.admin),
      await h.request.post('/partners/ghost/api-keys').set('Authorization', h.admin),
      await h.request.get('/partners/ghost/api-keys').set('Authorization', h.admin),
    ]) {
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('PARTNER_NOT_FOUND');
    }
  });

  test('DELETE removes the partner and its keys', async () => {
    await put('uni-a', validPartner());
    const key = await h.request.post('/partners/uni-a/api-keys').set('Authorization', h.admin);
    expect((await h.request.delete('/partners/uni-a').set('Authorization', h.admin)).status).toBe(204);
    expect(await h.store.partners.get('uni-a')).toBeNull();
    expect(await h.store.apiKeys.listByPartner('uni-a')).toEqual([]);
    const withOldKey = await h.request.get('/openapi.yaml').set('Authorization', `Bearer ${key.body.key}`);
    expect(withOldKey.status).toBe(401);
  });

  test('a wrong method on a known path is 405 with Allow', async () => {
    const res = await h.request.post('/partners/uni-a').set('Authorization', h.admin).send({});
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, PUT, PATCH, DELETE');
    expect(res.body.code).toBe('METHOD_NOT_ALLOWED');
  });
});

describe('meetingMode and sendInvitations', () => {
  test('default to standalone meetings with invitations; calendar mode is stored, answered and changed', async () => {
    const created = await put('uni-a', validPartner());
    expect(created.body).toMatchObject({ meetingMode: 'onlineMeeting', sendInvitations: true });
    const calendar = await put(
      'uni-a',
      validPartner({ meetingMode: 'calendarEvent', sendInvitations: false }),
    );
    expect(calendar.status).toBe(200);
    expect(calendar.body).toMatchObject({ meetingMode: 'calendarEvent', sendInvitations: false });
    expect(await h.store.partners.get('uni-a')).toMatchObject({
      meetingMode: 'calendarEvent',
      sendInvitations: false,
    });
    const patched = await h.request
      .patch('/partners/uni-a')
      .set('Authorization', h.admin)
      .send({ sendInvitations: true });
    expect(patched.body).toMatchObject({ meetingMode: 'calendarEvent', sendInvitations: true });
  });

  test('anything else is refused, naming the field', async () => {
    const res = await put('uni-a', validPartner({ meetingMode: 'event', sendInvitations: 'yes' }));
    const errors = expectValidationProblem(res);
    expect(errors.map((e) => e.field).sort()).toEqual(['body.meetingMode', 'body.sendInvitations']);
    expect(errors.find((e) => e.field === 'body.meetingMode')?.message).toMatch(
      /onlineMeeting, calendarEvent/,
    );
  });
});
