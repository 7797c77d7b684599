/**
 * Setup diagnostics against the simulator: each failure of the setup guide's steps is found and
 * its remediation names the right thing; nothing is created.
 */
import { expectContract } from '../support/contract';
import {
  APP_ID,
  CLIENT_SECRET,
  received,
  TENANT_ID,
  type ServiceWorld,
  ROLES,
  worldsPerTest,
} from '../support/service-world';

const worlds = worldsPerTest();
const world = worlds.world.bind(worlds);

interface Check {
  id: string;
  step: string;
  status: string;
  detail: string;
  remediation: string | null;
}

async function verify(world_: ServiceWorld, operators?: unknown[]) {
  const req = world_.h.request.post('/partners/uni-x/verify').set('Authorization', world_.h.admin);
  const res = operators === undefined ? await req : await req.send({ operators });
  expect(res.status).toBe(200);
  expectContract(res, 'POST', '/partners/{partnerId}/verify');
  const checks = res.body.checks as Check[];
  return { ok: res.body.ok as boolean, checks, byId: (id: string) => checks.find((c) => c.id === id)! };
}

const MUTATIONS = [
  'onlineMeetings.create',
  'onlineMeetings.createOrGet',
  'onlineMeetings.update',
  'onlineMeetings.delete',
];

describe('POST /partners/{id}/verify', () => {
  test('a good setup passes every check, per operator too, and creates nothing', async () => {
    const world_ = await world({ roles: [...ROLES, 'OnlineMeetingArtifact.Read.All'] });
    await world_.h.request
      .patch('/partners/uni-x')
      .set('Authorization', world_.h.admin)
      .send({ clientSecretExpiresAt: '2099-01-01' });
    const result = await verify(world_, [{ email: 'ada.adviser@uni.example.ac.uk' }]);
    expect(result.checks.map((c) => [c.id, c.status])).toEqual([
      ['configuration', 'pass'],
      ['credentials', 'pass'],
      ['permissions', 'pass'],
      ['attendance-permission', 'pass'],
      ['secret-expiry', 'pass'],
      ['user-lookup', 'pass'],
      ['operator-lookup:0', 'pass'],
      ['access-policy:0', 'pass'],
    ]);
    expect(result.ok).toBe(true);
    expect(result.byId('operator-lookup:0').detail).toContain(world_.adviser.id);
    expect(result.byId('access-policy:0').step).toBe('Step 2 - Microsoft Teams Configuration');
    expect(result.byId('credentials').step).toBe('Step 1 - Azure AD/Microsoft Graph Config');
    expect(worlds.sim.meetings()).toHaveLength(0);
    expect(worlds.sim.requests().filter((r) => MUTATIONS.includes(r.operation))).toHaveLength(0);
  });

  test('without OnlineMeetingArtifact.Read.All only the optional attendance check warns; the setup is ok', async () => {
    const world_ = await world();
    const result = await verify(world_, [{ email: 'ada.adviser@uni.example.ac.uk' }]);
    expect(result.byId('attendance-permission').status).toBe('warn');
    expect(result.byId('attendance-permission').remediation).toContain('OnlineMeetingArtifact.Read.All');
    expect(result.byId('permissions').status).toBe('pass');
    expect(result.byId('access-policy:0').status).toBe('pass');
    expect(result.ok).toBe(true);
  });

  test.each(['empty', 'notFound'] as const)(
    'a good setup passes the access-policy probe whatever a lookup that finds no meeting answers (%s)',
    async (miss) => {
      const world_ = await world();
      worlds.sim.setMeetingLookupMiss(miss);
      const result = await verify(world_, [
        { email: 'ada.adviser@uni.example.ac.uk' },
        { email: 'nina.nopolicy@uni.example.ac.uk' },
      ]);
      const probes = received(worlds.sim, 'onlineMeetings.list');
      expect(probes.map((r) => r.status).sort()).toEqual(miss === 'empty' ? [200, 403] : [403, 404]);
      expect(result.byId('access-policy:0').status).toBe('pass');
      // Only a 403 names a missing policy, under either behaviour.
      expect(result.byId('access-policy:1').status).toBe('fail');
      expect(result.byId('access-policy:1').remediation).toContain('Grant-CsApplicationAccessPolicy');
    },
  );

  test('the operator without an access policy: the failing check names the object id, the Grant line and the delay', async () => {
    const world_ = await world();
    const result = await verify(world_, [
      { email: 'nina.nopolicy@uni.example.ac.uk' },
      { email: 'ada.adviser@uni.example.ac.uk' },
    ]);
    expect(result.ok).toBe(false);
    const policy = result.byId('access-policy:0');
    expect(policy.status).toBe('fail');
    expect(policy.remediation).toContain(world_.adviserNoPolicy.id);
    expect(policy.remediation).toContain(
      `Grant-CsApplicationAccessPolicy -PolicyName "TARGETconnect-Teams-Meetings" -Identity "${world_.adviserNoPolicy.id}"`,
    );
    expect(policy.remediation).toMatch(/30 minutes/);
    expect(result.byId('access-policy:1').status).toBe('pass');
    expect(worlds.sim.meetings()).toHaveLength(0);
  });

  test('operators not found, ambiguous or without the local field fail at Step 4 and skip the policy check', async () => {
    const world_ = await world();
    worlds.sim.addUser({
      tenantId: TENANT_ID,
      userPrincipalName: 'd1@uni.example.ac.uk',
      mail: 'dup@uni.example.ac.uk',
    });
    worlds.sim.addUser({
      tenantId: TENANT_ID,
      userPrincipalName: 'd2@uni.example.ac.uk',
      mail: 'dup@uni.example.ac.uk',
    });
    const result = await verify(world_, [
      { email: 'gone@uni.example.ac.uk' },
      { email: 'dup@uni.example.ac.uk' },
      { staffId: '7' },
    ]);
    for (const [i, words] of [
      [0, /No Entra ID user/],
      [1, /More than one/],
      [2, /no 'email' value/],
    ] as const) {
      const lookup = result.byId(`operator-lookup:${i}`);
      expect(lookup).toMatchObject({ status: 'fail', step: 'Step 4 - TARGETconnect platform' });
      expect(lookup.detail).toMatch(words);
      expect(lookup.remediation).toMatch(/email → mail/);
      expect(result.byId(`access-policy:${i}`).status).toBe('skip');
    }
  });

  test('a wrong secret fails credentials with the Value-not-Secret-ID remediation; later checks skip', async () => {
    const world_ = await world();
    await world_.h.request
      .patch('/partners/uni-x')
      .set('Authorization', world_.h.admin)
      .send({ clientSecret: 'nope8Q~00000000000000000000000000000000' });
    const result = await verify(world_, [{ email: 'ada.adviser@uni.example.ac.uk' }]);
    expect(result.ok).toBe(false);
    const credentials = result.byId('credentials');
    expect(credentials).toMatchObject({ status: 'fail', step: 'Step 1 - Azure AD/Microsoft Graph Config' });
    expect(credentials.detail).toContain('INVALID_CLIENT_SECRET');
    expect(credentials.remediation).toMatch(/Value/);
    expect(credentials.remediation).toMatch(/Secret ID/);
    for (const id of ['permissions', 'user-lookup', 'operator-lookup:0', 'access-policy:0'])
      expect(result.byId(id).status).toBe('skip');
    expect(JSON.stringify(result.checks)).not.toContain('nope8Q');
  });

  test.each([
    ['expired secret', 'CLIENT_SECRET_EXPIRED', /secret/i],
    ['unknown application', 'APPLICATION_NOT_FOUND', /applicationId/],
    ['unknown tenant', 'TENANT_NOT_FOUND', /tenantId/],
  ])('%s: %s with a remediation naming %s', async (label, code, names) => {
    const world_ = await world();
    if (label === 'expired secret') {
      worlds.sim.addApp({
        tenantId: TENANT_ID,
        appId: APP_ID,
        secrets: [{ value: CLIENT_SECRET, expiresAt: new Date(Date.now() - 60_000) }],
        roles: ['OnlineMeetings.ReadWrite.All', 'User.ReadBasic.All'],
      });
    } else {
      const patch =
        label === 'unknown application'
          ? { applicationId: '00000000-1111-4222-8333-444444444444' }
          : { tenantId: 'ffffffff-1111-4222-8333-444444444444' };
      await world_.h.request.patch('/partners/uni-x').set('Authorization', world_.h.admin).send(patch);
    }
    const credentials = (await verify(world_)).byId('credentials');
    expect(credentials.status).toBe('fail');
    expect(credentials.detail).toContain(code);
    expect(credentials.remediation).toMatch(names);
  });

  test('missing admin consent: permissions fail naming each missing permission', async () => {
    let result = await verify(await world({ roles: [] }));
    expect(result.byId('credentials').status).toBe('pass');
    let permissions = result.byId('permissions');
    expect(permissions.status).toBe('fail');
    expect(permissions.detail).toMatch(/admin consent/);
    expect(permissions.remediation).toContain('OnlineMeetings.ReadWrite.All and User.ReadBasic.All');
    expect(permissions.remediation).toMatch(/Grant admin consent/);
    result = await verify(await world({ roles: ['User.ReadBasic.All'] }));
    permissions = result.byId('permissions');
    expect(permissions.remediation).toContain('OnlineMeetings.ReadWrite.All');
    expect(permissions.remediation).not.toContain('User.ReadBasic.All,');
    expect(permissions.detail).toMatch(
      /lacks OnlineMeetings\.ReadWrite\.All \(it holds User\.ReadBasic\.All\)/,
    );
  });

  test('a tenant that refuses app-only User.ReadBasic.All on /users: user-lookup fails and says User.Read.All', async () => {
    const world_ = await world();
    worlds.sim.addApp({
      tenantId: TENANT_ID,
      appId: APP_ID,
      secrets: [{ value: CLIENT_SECRET }],
      roles: ['OnlineMeetings.ReadWrite.All', 'User.ReadBasic.All'],
      usersEndpointForbidden: true,
    });
    const lookup = (await verify(world_)).byId('user-lookup');
    expect(lookup.status).toBe('fail');
    expect(lookup.remediation).toContain('User.Read.All');
  });

  test('secret expiry: warn within 30 days (still ok), fail when past, skip without a date', async () => {
    const world_ = await world();
    expect((await verify(world_)).byId('secret-expiry').status).toBe('skip');
    const soon = new Date(Date.now() + 10 * 86_400_000).toISOString();
    await world_.h.request
      .patch('/partners/uni-x')
      .set('Authorization', world_.h.admin)
      .send({ clientSecretExpiresAt: soon });
    let result = await verify(world_);
    expect(result.byId('secret-expiry')).toMatchObject({ status: 'warn' });
    expect(result.byId('secret-expiry').remediation).toMatch(/clientSecretExpiresAt/);
    expect(result.ok).toBe(true);
    await world_.h.request
      .patch('/partners/uni-x')
      .set('Authorization', world_.h.admin)
      .send({ clientSecretExpiresAt: '2020-01-01' });
    result = await verify(world_);
    expect(result.byId('secret-expiry').status).toBe('fail');
    expect(result.ok).toBe(false);
  });

  test('20 operators are checked together: one lookup call for all of them', async () => {
    const world_ = await world();
    for (const s of world_.students.slice(0, 20)) worlds.sim.grantPolicy(TENANT_ID, s.id, APP_ID);
    const result = await verify(
      world_,
      world_.students.slice(0, 20).map((s) => ({ email: s.mail! })),
    );
    expect(result.ok).toBe(true);
    expect(
      result.checks.filter((c) => c.id.startsWith('access-policy:') && c.status === 'pass'),
    ).toHaveLength(20);
    expect(
      worlds.sim
        .requests()
        .filter((r) => !r.fromBatch && (r.operation === 'batch' || r.operation === 'users.list')).length,
    ).toBeLessThanOrEqual(3);
  });

  test('validation, keys and unknown partners', async () => {
    const world_ = await world();
    const bad = await world_.h.request
      .post('/partners/uni-x/verify')
      .set('Authorization', world_.h.admin)
      .send({ operators: 'ada' });
    expect(bad.status).toBe(400);
    const partner = await world_.h.request
      .post('/partners/uni-x/verify')
      .set('Authorization', `Bearer ${world_.partnerKey}`);
    expect(partner.status).toBe(403);
    const ghost = await world_.h.request.post('/partners/ghost/verify').set('Authorization', world_.h.admin);
    expect(ghost.status).toBe(404);
    expect(ghost.body.code).toBe('PARTNER_NOT_FOUND');
  });
});

describe('the last check, kept for the partner', () => {
  test('GET answers the last result; a check without operators checks the last advisers again', async () => {
    const w = await world();
    const last = () => w.h.request.get('/partners/uni-x/verify').set('Authorization', w.h.admin);
    const before = await last();
    expect(before.status).toBe(204);
    expect(before.text).toBe('');

    const named = [{ email: 'ada.adviser@uni.example.ac.uk' }, { email: 'nina.nopolicy@uni.example.ac.uk' }];
    const first = await w.h.request
      .post('/partners/uni-x/verify')
      .set('Authorization', w.h.admin)
      .send({ operators: named });
    const kept = await last();
    expect(kept.status).toBe(200);
    expectContract(kept, 'GET', '/partners/{partnerId}/verify');
    expect(kept.body).toEqual(first.body);
    expect(kept.body.operators).toEqual(named);

    // The next person, through the partner's setup link, need not type the advisers again.
    const link = await w.h.request.post('/partners/uni-x/setup-links').set('Authorization', w.h.admin);
    const token = (link.body.url as string).split('#')[1]!;
    const again = await w.h.request.post('/partners/uni-x/verify').set('Authorization', `Bearer ${token}`);
    expect(again.body.operators).toEqual(named);
    expect((again.body.checks as Check[]).map((c) => c.id)).toEqual(
      expect.arrayContaining(['access-policy:0', 'access-policy:1']),
    );
    expect(Date.parse(again.body.checkedAt)).toBeGreaterThanOrEqual(Date.parse(first.body.checkedAt));
    // An empty list checks no adviser, and is kept as such.
    const none = await w.h.request
      .post('/partners/uni-x/verify')
      .set('Authorization', w.h.admin)
      .send({ operators: [] });
    expect((none.body.checks as Check[]).some((c) => c.id.startsWith('access-policy'))).toBe(false);
    expect((await last()).body.operators).toEqual([]);
    expect((await last()).body.accessPolicyScriptAt).toBeUndefined();
    // The Teams admin's PowerShell, written by anyone: the checks say when (a grant takes 30 minutes).
    await w.h.request
      .post('/partners/uni-x/access-policy-script')
      .set('Authorization', w.h.admin)
      .send({ operators: named });
    const after = await last();
    expect(Date.now() - Date.parse(after.body.accessPolicyScriptAt)).toBeLessThan(60_000);
    expectContract(after, 'GET', '/partners/{partnerId}/verify');
  });
});
