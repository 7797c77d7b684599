/**
 * Finding Entra users for the identity match: `in` filters of at most 15 values, several filters
 * in one $batch, OData literals escaped, results grouped by the lower-cased value.
 */
import { TestClock } from '../support/clock';
import { appError, graphRequests, gatewayPerTest, seedGatewayWorld, partner } from '../support/gateway-world';

const g = gatewayPerTest(() => ({ random: () => 0.2 }));

describe('findUsers', () => {
  it('finds one value with one GET /users (eq filter, the four fields)', async () => {
    const users = await g.t.gateway.findUsers(partner(), 'mail', ['SAM.Student@careers-uni.ac.uk']);

    expect(users).toEqual(
      new Map([
        [
          'sam.student@careers-uni.ac.uk',
          [
            {
              id: g.world.student.id,
              userPrincipalName: 's0001@careers-uni.ac.uk',
              mail: 'sam.student@careers-uni.ac.uk',
              displayName: 'Sam Student',
            },
          ],
        ],
      ]),
    );
    const [call] = graphRequests(g.sim);
    expect(graphRequests(g.sim)).toHaveLength(1);
    expect(call).toMatchObject({ method: 'GET', operation: 'users.list' });
    expect(call!.query['$filter']).toBe("mail eq 'SAM.Student@careers-uni.ac.uk'");
    expect(call!.query['$select']).toBe('id,userPrincipalName,mail,displayName');
  });

  it('resolves 40 values with exactly one Graph call: a $batch of 3 filters of at most 15', async () => {
    const values = [
      ...g.world.students.slice(0, 38).map((s) => s.mail!.toUpperCase()),
      'nobody@careers-uni.ac.uk',
      'Ada.Adviser@careers-uni.ac.uk',
    ];

    const users = await g.t.gateway.findUsers(partner(), 'mail', values);

    expect(graphRequests(g.sim).map((r) => r.operation)).toEqual(['batch']);
    const items = g.sim.requests().filter((r) => r.fromBatch !== undefined);
    expect(items).toHaveLength(3);
    expect(items.map((r) => (r.query['$filter']!.match(/'/g)?.length ?? 0) / 2)).toEqual([15, 15, 10]);
    expect(items.every((r) => r.query['$filter']!.startsWith('mail in ('))).toBe(true);
    // Graph answers a batch in any order (the simulator reverses it): matched by id, not position.
    expect(users.size).toBe(40);
    g.world.students
      .slice(0, 38)
      .forEach((s) => expect(users.get(s.mail!)?.map((u) => u.id)).toEqual([s.id]));
    expect(users.get('nobody@careers-uni.ac.uk')).toEqual([]);
    expect(users.get('ada.adviser@careers-uni.ac.uk')?.map((u) => u.id)).toEqual([g.world.adviser.id]);
  });

  it('repeats only the $batch items that were throttled, after their Retry-After', async () => {
    const clock = new TestClock();
    g.replace({ random: () => 0.2, clock });
    g.sim.injectFault({ match: { operation: 'users.list' }, status: 429, retryAfter: '0.3' });
    const values = g.world.students.slice(0, 20).map((s) => s.mail!);

    const users = await g.t.gateway.findUsers(partner(), 'mail', values);

    expect(values.every((v) => users.get(v)?.length === 1)).toBe(true);
    const batches = graphRequests(g.sim).filter((r) => r.operation === 'batch');
    expect(batches).toHaveLength(2);
    expect(((batches[1]!.body as { requests: unknown[] }).requests ?? []).length).toBe(1);
    expect(clock.waits).toEqual([300]);
  });

  it("escapes quotes: o'brien is found", async () => {
    const users = await g.t.gateway.findUsers(partner(), 'mail', ["O'Brien@careers-uni.ac.uk"]);

    expect(users.get("o'brien@careers-uni.ac.uk")?.map((u) => u.id)).toEqual([g.world.obrien.id]);
    expect(graphRequests(g.sim)[0]!.query['$filter']).toBe("mail eq 'O''Brien@careers-uni.ac.uk'");
    expect(graphRequests(g.sim)[0]!.rawQuery).not.toMatch(/[ ']/);
  });

  it('finds nobody for a value that tries to add a clause', async () => {
    const hostile = "x' or mail eq 'sam.student@careers-uni.ac.uk";

    const users = await g.t.gateway.findUsers(partner(), 'mail', [hostile, "o'brien@careers-uni.ac.uk"]);

    expect(users.get(hostile)).toEqual([]);
    expect(users.get("o'brien@careers-uni.ac.uk")).toHaveLength(1);
    // The user the injection aimed at exists, and was not returned.
    expect(
      g.sim.users(g.world.student.tenantId).some((u) => u.mail === 'sam.student@careers-uni.ac.uk'),
    ).toBe(true);
    expect(graphRequests(g.sim)[0]!.query['$filter']).toBe(
      "mail in ('x'' or mail eq ''sam.student@careers-uni.ac.uk','o''brien@careers-uni.ac.uk')",
    );
  });

  it('matches on userPrincipalName too, and asks nothing for no values', async () => {
    const users = await g.t.gateway.findUsers(partner(), 'userPrincipalName', [
      'A.Adviser@careers-uni.ac.uk',
    ]);
    expect(users.get('a.adviser@careers-uni.ac.uk')?.[0]?.id).toBe(g.world.adviser.id);
    expect(await g.t.gateway.findUsers(partner(), 'mail', [])).toEqual(new Map());
    expect(graphRequests(g.sim)).toHaveLength(1);
  });

  it('PERMISSION_MISSING names both missing permissions for an app without consent (Step 1 items 9-17)', async () => {
    seedGatewayWorld(g.sim, []);
    const error = await appError(g.t.gateway.findUsers(partner(), 'mail', ['sam.student@careers-uni.ac.uk']));

    expect(error.code).toBe('PERMISSION_MISSING');
    expect(error.status).toBe(424);
    expect(error.detail).toContain('OnlineMeetings.ReadWrite.All and User.ReadBasic.All');
    expect(error.remediation).toContain('Step 1, items 9-17');
    expect(error.remediation).toContain('Grant admin consent');
  });

  it('says User.Read.All is needed where a tenant refuses User.ReadBasic.All on /users', async () => {
    seedGatewayWorld(g.sim);
    g.sim.addApp({
      tenantId: g.world.adviser.tenantId,
      appId: '8e7d6c5b-4a39-4281-9f0e-d1c2b3a4f5e6',
      secrets: [{ value: 'Xy8Q~integration.secret-VALUE_0123456789abcdef' }],
      roles: ['OnlineMeetings.ReadWrite.All', 'User.ReadBasic.All'],
      usersEndpointForbidden: true,
    });
    const error = await appError(g.t.gateway.findUsers(partner(), 'mail', ['sam.student@careers-uni.ac.uk']));

    expect(error.code).toBe('PERMISSION_MISSING');
    expect(error.detail).toContain('Some tenants refuse app-only User.ReadBasic.All on /users');
    expect(error.remediation).toContain('User.Read.All');
  });
});

describe('getUsersById', () => {
  it('gets one user with GET /users/{id}; an unknown id is null', async () => {
    const p = partner();
    expect((await g.t.gateway.getUsersById(p, [g.world.adviser.id])).get(g.world.adviser.id)?.mail).toBe(
      'Ada.Adviser@careers-uni.ac.uk',
    );
    const unknown = '0a0b0c0d-1e1f-4a2b-8c3d-4e5f6a7b8c9d';
    expect((await g.t.gateway.getUsersById(p, [unknown])).get(unknown)).toBeNull();
    expect(graphRequests(g.sim).map((r) => [r.operation, r.params['user'], r.status])).toEqual([
      ['users.get', g.world.adviser.id, 200],
      ['users.get', unknown, 404],
    ]);
  });

  it('gets several in one $batch', async () => {
    const unknown = '0a0b0c0d-1e1f-4a2b-8c3d-4e5f6a7b8c9d';
    const users = await g.t.gateway.getUsersById(partner(), [
      g.world.adviser.id,
      g.world.student.id,
      unknown,
    ]);

    expect(users.get(g.world.adviser.id)?.displayName).toBe('Ada Adviser');
    expect(users.get(g.world.student.id)?.userPrincipalName).toBe('s0001@careers-uni.ac.uk');
    expect(users.get(unknown)).toBeNull();
    expect(graphRequests(g.sim).map((r) => r.operation)).toEqual(['batch']);
  });
});
