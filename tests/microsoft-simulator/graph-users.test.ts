import { startSimulator } from '../../tools/microsoft-simulator';
import {
  accessToken,
  APP_ID,
  graphClient,
  seedSimulatorWorld,
  simulatorPerTest,
  TENANT_ID,
  type GraphErrorBody,
} from '../support/simulator-world';

const s = simulatorPerTest({ policy: false });

/** `mail eq '<value>'` with the value escaped as OData wants, then percent-encoded. */
function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function usersWithFilter(filter: string, select = 'id,mail'): Promise<{ status: number; data: unknown }> {
  return s.graph.get(`/users?$filter=${encodeURIComponent(filter)}&$select=${select}`);
}

function errorOf(data: unknown): GraphErrorBody['error'] {
  return (data as GraphErrorBody).error;
}

describe('GET /users with $filter', () => {
  it('finds by mail, case-insensitively, and answers with @odata.context and value', async () => {
    const response = await usersWithFilter("mail eq 'SAM.STUDENT@UNI.AC.UK'");

    expect(response.status).toBe(200);
    expect(response.data).toEqual({
      '@odata.context': `${s.h.sim.graphBaseUrl}/$metadata#users(id,mail)`,
      value: [{ id: s.world.student.id, mail: 'sam.student@uni.ac.uk' }],
    });
  });

  it('only sees users of the token tenant', async () => {
    const response = await usersWithFilter("mail eq 'sam.student@uni.ac.uk'", 'id');
    expect((response.data as { value: unknown[] }).value).toEqual([{ id: s.world.student.id }]);
  });

  it('supports in (...), or, startsWith and userPrincipalName', async () => {
    const response = await usersWithFilter(
      "userPrincipalName in ('s1234@uni.ac.uk', 'nobody@uni.ac.uk') or startsWith(mail,'ada.') or mail eq 'x@y'",
      'id',
    );
    const ids = (response.data as { value: Array<{ id: string }> }).value.map((u) => u.id);
    expect(ids.sort()).toEqual([s.world.adviser.id, s.world.student.id].sort());
  });

  it('answers from thousands of users as from a few: in the order they were added, shared mails too', async () => {
    const tenant = TENANT_ID;
    const added = Array.from({ length: 3000 }, (_, n) =>
      s.h.sim.addUser({ tenantId: tenant, userPrincipalName: `p${n}@uni.ac.uk`, mail: `p${n}@uni.ac.uk` }),
    );
    const twin = s.h.sim.addUser({
      tenantId: tenant,
      userPrincipalName: 'twin@uni.ac.uk',
      mail: 'P7@uni.ac.uk',
    });
    s.h.sim.removeUser(tenant, added[9]!.id);
    // A user with the same mail in another tenant is not found.
    s.h.sim.addTenant({ id: '0b5d6a8e-5f36-4c39-a6f6-3f0c3c1a2b99' });
    s.h.sim.addUser({ tenantId: '0b5d6a8e-5f36-4c39-a6f6-3f0c3c1a2b99', userPrincipalName: 'p8@uni.ac.uk' });

    const response = await usersWithFilter(
      "mail in ('p2999@uni.ac.uk','P7@UNI.ac.uk','p9@uni.ac.uk','p8@uni.ac.uk')",
      'id',
    );
    expect((response.data as { value: unknown[] }).value).toEqual([
      { id: added[7]!.id },
      { id: added[8]!.id },
      { id: added[2999]!.id },
      { id: twin.id },
    ]);
    const byUpn = await usersWithFilter("userPrincipalName eq 'TWIN@uni.ac.uk'", 'id');
    expect((byUpn.data as { value: unknown[] }).value).toEqual([{ id: twin.id }]);
    const byId = await usersWithFilter(`id in ('${added[5]!.id.toUpperCase()}','${added[9]!.id}')`, 'id');
    expect((byId.data as { value: unknown[] }).value).toEqual([{ id: added[5]!.id }]);
  });

  it('finds a value with a quote when the quote is doubled', async () => {
    const response = await usersWithFilter(`mail eq ${odataString("o'brien@uni.ac.uk")}`);

    expect(response.status).toBe(200);
    expect((response.data as { value: unknown[] }).value).toEqual([
      { id: s.world.obrien.id, mail: "o'brien@uni.ac.uk" },
    ]);
    // The log shows what arrived: decoded once, quote doubled.
    expect(s.h.sim.requests().at(-1)?.query['$filter']).toBe("mail eq 'o''brien@uni.ac.uk'");
  });

  it('answers 400 BadRequest "Invalid filter clause" for an unescaped quote', async () => {
    const response = await usersWithFilter("mail eq 'o'brien@uni.ac.uk'");

    expect(response.status).toBe(400);
    expect(errorOf(response.data).code).toBe('BadRequest');
    expect(errorOf(response.data).message).toMatch(/^Invalid filter clause/);
  });

  it('keeps a hostile value inert when escaped, and shows why escaping matters when not', async () => {
    const hostile = "x' or mail eq 'sam.student@uni.ac.uk";

    const escaped = await usersWithFilter(`mail eq ${odataString(hostile)}`);
    expect(escaped.status).toBe(200);
    expect((escaped.data as { value: unknown[] }).value).toEqual([]);

    // Unescaped it is valid OData that matches someone else: Graph would answer the same.
    const injected = await usersWithFilter(`mail eq '${hostile}'`);
    expect(injected.status).toBe(200);
    expect((injected.data as { value: Array<{ id: string }> }).value.map((u) => u.id)).toEqual([
      s.world.student.id,
    ]);

    // A hostile value that breaks the syntax is refused.
    const broken = await usersWithFilter(`mail eq '${"x') or (mail eq 'y"}'`);
    expect(broken.status).toBe(400);
    expect(errorOf(broken.data).message).toMatch(/^Invalid filter clause/);
  });

  it('accepts 15 expressions in one clause and refuses 16 (in values and or terms together)', async () => {
    const values = (n: number): string =>
      Array.from({ length: n }, (_, i) => `'user${i}@uni.ac.uk'`).join(',');

    const fifteen = await usersWithFilter(
      `mail in (${values(14)}) or userPrincipalName eq 's1234@uni.ac.uk'`,
    );
    expect(fifteen.status).toBe(200);
    expect((fifteen.data as { value: unknown[] }).value).toHaveLength(1);

    const sixteen = await usersWithFilter(
      `mail in (${values(15)}) or userPrincipalName eq 's1234@uni.ac.uk'`,
    );
    expect(sixteen.status).toBe(400);
    expect(errorOf(sixteen.data).code).toBe('Request_UnsupportedQuery');
    expect(errorOf(sixteen.data).message).toContain('Max allowed: 15');
  });

  it('answers 400 Request_UnsupportedQuery for a property it cannot filter on', async () => {
    const response = await usersWithFilter("jobTitle eq 'Adviser'");

    expect(response.status).toBe(400);
    expect(errorOf(response.data)).toMatchObject({
      code: 'Request_UnsupportedQuery',
      message: expect.stringContaining("'jobTitle'"),
    });
  });

  it('answers Request_UnsupportedQuery for operators that need advanced queries', async () => {
    expect((await usersWithFilter("mail ne 'x@y'")).status).toBe(400);
    expect((await usersWithFilter("endsWith(mail,'@uni.ac.uk')")).status).toBe(400);
  });

  it('limits properties with $select (id always there) and gives the default set without it', async () => {
    const selected = await usersWithFilter("mail eq 'ada.adviser@uni.ac.uk'", 'displayName');
    expect((selected.data as { value: unknown[] }).value).toEqual([
      { displayName: 'Ada Adviser', id: s.world.adviser.id },
    ]);

    const all = await s.graph.get(`/users?$filter=${encodeURIComponent("mail eq 'ada.adviser@uni.ac.uk'")}`);
    expect(all.data.value[0]).toEqual({
      businessPhones: [],
      displayName: 'Ada Adviser',
      givenName: 'Ada',
      jobTitle: null,
      mail: 'Ada.Adviser@uni.ac.uk',
      mobilePhone: null,
      officeLocation: null,
      preferredLanguage: null,
      surname: 'Adviser',
      userPrincipalName: 'a.adviser@uni.ac.uk',
      id: s.world.adviser.id,
    });
  });

  it('answers 400 for $select of an unknown property', async () => {
    const response = await s.graph.get('/users?$select=id,shoeSize');
    expect(response.status).toBe(400);
    expect(errorOf(response.data).message).toContain("'shoeSize'");
  });

  it('decodes + in a query as a space, as Graph does (so + in a mail must be sent as %2B)', async () => {
    s.h.sim.addUser({ tenantId: TENANT_ID, userPrincipalName: 'plus@uni.ac.uk', mail: 'a+b@uni.ac.uk' });

    const raw = await s.graph.get("/users?$filter=mail eq 'a+b@uni.ac.uk'&$select=id");
    expect(raw.data.value).toEqual([]);
    const encoded = await usersWithFilter("mail eq 'a+b@uni.ac.uk'", 'id');
    expect((encoded.data as { value: unknown[] }).value).toHaveLength(1);
  });
});

describe('GET /users/{id | userPrincipalName}', () => {
  it('finds by object id and by userPrincipalName', async () => {
    const byId = await s.graph.get(`/users/${s.world.adviser.id}?$select=id,userPrincipalName`);
    expect(byId.status).toBe(200);
    expect(byId.data).toEqual({
      '@odata.context': `${s.h.sim.graphBaseUrl}/$metadata#users(id,userPrincipalName)/$entity`,
      id: s.world.adviser.id,
      userPrincipalName: 'a.adviser@uni.ac.uk',
    });

    const byUpn = await s.graph.get('/users/A.Adviser%40uni.ac.uk');
    expect(byUpn.status).toBe(200);
    expect(byUpn.data.id).toBe(s.world.adviser.id);
  });

  it('answers 404 Request_ResourceNotFound for someone else (or another tenant)', async () => {
    for (const ref of ['nobody@uni.ac.uk', s.world.outsider.id]) {
      const response = await s.graph.get(`/users/${encodeURIComponent(ref)}`);
      expect(response.status).toBe(404);
      expect(errorOf(response.data).code).toBe('Request_ResourceNotFound');
    }
  });
});

describe('Graph authentication and permissions', () => {
  it('answers 401 InvalidAuthenticationToken without a token, with a forged one and with an expired one', async () => {
    const other = await startSimulator();
    try {
      other.addTenant({ id: TENANT_ID });
      const forged = other.mintAccessToken({ tenantId: TENANT_ID, appId: APP_ID, roles: ['User.Read.All'] });
      const expired = s.h.sim.mintAccessToken({ tenantId: TENANT_ID, appId: APP_ID, lifetimeSeconds: -10 });

      const answers = await Promise.all([
        s.h.http.get('/v1.0/users'),
        graphClient(s.h, forged).get('/users'),
        graphClient(s.h, expired).get('/users'),
        graphClient(s.h, 'not-a-jwt').get('/users'),
      ]);

      for (const response of answers) {
        expect(response.status).toBe(401);
        expect(errorOf(response.data).code).toBe('InvalidAuthenticationToken');
        expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
      }
      expect(errorOf(answers[0]!.data).message).toBe('Access token is empty.');
      expect(errorOf(answers[2]!.data).message).toMatch(/expired/);
    } finally {
      await other.close();
    }
  });

  it('answers 403 Authorization_RequestDenied without a User permission', async () => {
    seedSimulatorWorld(s.h.sim, ['OnlineMeetings.ReadWrite.All']);
    const noUsers = graphClient(s.h, await accessToken(s.h.http));

    const response = await noUsers.get('/users');

    expect(response.status).toBe(403);
    expect(errorOf(response.data)).toMatchObject({
      code: 'Authorization_RequestDenied',
      message: 'Insufficient privileges to complete the operation.',
    });
  });

  it('refuses app-only User.ReadBasic.All on a tenant that forbids it, but not User.Read.All', async () => {
    s.h.sim.addApp({
      tenantId: TENANT_ID,
      appId: APP_ID,
      secrets: [{ value: 'basic' }],
      roles: ['User.ReadBasic.All'],
      usersEndpointForbidden: true,
    });
    const basic = graphClient(s.h, s.h.sim.mintAccessToken({ tenantId: TENANT_ID, appId: APP_ID }));
    expect((await basic.get('/users')).status).toBe(403);
    expect((await basic.get(`/users/${s.world.adviser.id}`)).status).toBe(403);

    const readAll = graphClient(
      s.h,
      s.h.sim.mintAccessToken({ tenantId: TENANT_ID, appId: APP_ID, roles: ['User.Read.All'] }),
    );
    expect((await readAll.get('/users')).status).toBe(200);
  });

  it('puts request-id and the caller client-request-id on answers and in innerError', async () => {
    const ok = await s.graph.get('/users', { headers: { 'client-request-id': 'my-corr-id' } });
    expect(ok.headers['client-request-id']).toBe('my-corr-id');
    expect(ok.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);

    const failed = await s.graph.get('/users/nobody', { headers: { 'client-request-id': 'corr-2' } });
    expect(errorOf(failed.data).innerError).toEqual({
      date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/),
      'request-id': failed.headers['request-id'],
      'client-request-id': 'corr-2',
    });
  });

  it('answers 400 for a path Graph does not have', async () => {
    const response = await s.graph.get('/groups');
    expect(response.status).toBe(400);
    expect(errorOf(response.data).message).toBe("Resource not found for the segment 'groups'.");
  });
});
