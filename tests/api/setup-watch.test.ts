/**
 * The daily setup watch (issue 28) on the test's clock, against the simulator: every partner is
 * re-checked once a day at its own time; a check that got worse is one `partner.setup_problem`
 * (received by a real webhook receiver); `GET /partners?include=status` and `doctor --all` (the
 * real CLI code, against the service on loopback) say the same.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import { TestClock } from '../support/clock';
import { federatedIssuer } from '../../tools/fixtures/federation';
import { addPlatformApp, PLATFORM_APP_ID } from '../support/platform-app';
import {
  appointment,
  APP_ID,
  ROLES,
  TENANT_ID,
  universityPartner,
  worldsPerTest,
  type ServiceWorld,
} from '../support/service-world';
import { registerWebhook, runWorker } from '../support/webhooks';
import { startWebhookReceiver, type WebhookReceiver } from '../../tools/webhook-receiver/receiver';
import { ADMIN_KEY } from '../support/harness';
import { runDoctor } from '../../src/cli/doctor';
import {
  dailySlotMs,
  worsened,
  type PartnerStatus,
  type WatchResult,
} from '../../src/domain/setup/setup-watch';
import { expectContract } from '../support/contract';

const DAY = 86_400_000;
/** With the optional attendance permission: nothing warns while all is well. */
const ALL_ROLES = [...ROLES, 'OnlineMeetingArtifact.Read.All'];
const issuer = federatedIssuer();
const worlds = worldsPerTest();
let receiver: WebhookReceiver;
let tokenFile: string;

beforeEach(async () => {
  receiver = await startWebhookReceiver();
  tokenFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'federated-')), 'token');
  fs.writeFileSync(tokenFile, issuer.mint());
});
afterEach(async () => {
  await receiver.close();
});

/** uni-x (its own registration, a secret) and uni-p (the platform app, consented), one meeting each. */
async function fleet(clock: TestClock): Promise<{ w: ServiceWorld; platformKey: string }> {
  const w = await worlds.world({
    clock,
    env: { PLATFORM_APP_ID, AZURE_FEDERATED_TOKEN_FILE: tokenFile },
    roles: ALL_ROLES,
  });
  addPlatformApp(w.sim, issuer, 'http://localhost/setup/consent', ALL_ROLES);
  w.sim.grantPolicy(TENANT_ID, w.adviser.id, PLATFORM_APP_ID);
  const { applicationId: _a, clientSecret: _s, clientSecretExpiresAt: _e, ...rest } = universityPartner();
  expect(
    (
      await w.h.request
        .put('/partners/uni-p')
        .set('Authorization', w.h.admin)
        .send({ ...rest, credentialType: 'platformApp' })
    ).status,
  ).toBe(201);
  const link = await w.h.request.post('/partners/uni-p/consent-link').set('Authorization', w.h.admin);
  const entra = await axios.get(link.body.url as string, {
    httpsAgent: new https.Agent({ ca: w.sim.caCertPem }),
    maxRedirects: 0,
    validateStatus: () => true,
  });
  const back = new URL(entra.headers['location'] as string);
  expect((await w.h.request.get(`${back.pathname}${back.search}`)).status).toBe(200);
  const platformKey = (await w.h.request.post('/partners/uni-p/api-keys').set('Authorization', w.h.admin))
    .body.key as string;
  // The secret expires in 40 days: fine today, within the 30-day warning in 11.
  expect(
    (
      await w.h.request
        .patch('/partners/uni-x')
        .set('Authorization', w.h.admin)
        .send({ clientSecretExpiresAt: new Date(clock.now() + 40 * DAY).toISOString() })
    ).status,
  ).toBe(200);
  expect((await w.create(appointment())).status).toBe(201);
  expect((await w.create(appointment(), platformKey)).status).toBe(201);
  // TARGETconnect hears of setup problems from both partners (an admin webhook).
  const hook = await registerWebhook(w.h, w.h.admin, {
    url: `${receiver.url}/hooks`,
    events: ['partner.setup_problem'],
  });
  receiver.setSecrets([hook.secret]);
  return { w, platformKey };
}

async function statuses(w: ServiceWorld) {
  const res = await w.h.request.get('/partners?include=status').set('Authorization', w.h.admin);
  expect(res.status).toBe(200);
  expectContract(res, 'get', '/partners');
  return Object.fromEntries(
    (res.body.partners as Array<{ id: string; status: PartnerStatus }>).map((p) => [p.id, p.status]),
  );
}

const problems = () =>
  receiver.received.map((r) => r.event as { partnerId: string; data: Record<string, unknown> });

test('a secret about to expire, a policy removed and a consent revoked: one event each, and the status and doctor --all say so', async () => {
  const clock = new TestClock();
  const { w } = await fleet(clock);
  const checks = () => w.sim.requests().filter((r) => r.operation === 'onlineMeetings.list').length;

  // The first round gives each partner its time of day; nothing is checked before it.
  await runWorker(w);
  let now = await statuses(w);
  expect(now['uni-x']).toMatchObject({ overall: 'unchecked', lastCheck: null, meetingsLast7Days: 1 });
  expect(Date.parse(now['uni-x']!.nextCheckAt!) - clock.now()).toBeLessThanOrEqual(DAY);
  expect(new Date(now['uni-x']!.nextCheckAt!).getTime() % DAY).toBe(dailySlotMs('uni-x'));

  // A day on: both checked, everything works, nothing to tell.
  clock.advance(DAY);
  w.sim.clearRequests();
  await runWorker(w);
  now = await statuses(w);
  expect(now['uni-x']).toMatchObject({
    overall: 'pass',
    credential: { type: 'clientSecret', expiresAt: expect.any(String) },
    consent: null,
    lastCheck: { ok: true, advisersChecked: 1 },
    lastMicrosoftError: null,
    meetingsLast7Days: 1,
    webhookEventsWaiting: 0,
  });
  expect(now['uni-p']).toMatchObject({
    overall: 'pass',
    credential: { type: 'platformApp', expiresAt: null },
    consent: 'granted',
    lastCheck: { ok: true, advisersChecked: 1 },
  });
  // The adviser's access policy, once per partner: one Graph call each.
  expect(checks()).toBe(2);
  expect(problems()).toEqual([]);

  // Then the university's admins change things.
  w.sim.revokePolicy(TENANT_ID, w.adviser.id, APP_ID);
  w.sim.revokeConsent(TENANT_ID, PLATFORM_APP_ID);
  clock.advance(11 * DAY);
  await runWorker(w);
  const found = problems().map((e) => [e.partnerId, e.data.code]);
  expect(found.sort()).toEqual([
    ['uni-p', 'CONSENT_REQUIRED'],
    ['uni-x', 'ACCESS_POLICY_MISSING'],
    ['uni-x', 'CLIENT_SECRET_EXPIRING'],
  ]);
  const policy = problems().find((e) => e.data.code === 'ACCESS_POLICY_MISSING')!;
  expect(policy.data).toMatchObject({
    detail: expect.stringMatching(/^Daily setup check: /),
    remediation: expect.stringContaining('Grant-CsApplicationAccessPolicy'),
    adviser: { id: w.adviser.id, userPrincipalName: w.adviser.userPrincipalName },
  });
  expect(policy.data.operator).toBeUndefined();

  // The same day again (another round, another instance): nothing more.
  await runWorker(w);
  clock.advance(60 * 60_000);
  await runWorker(w);
  expect(problems()).toHaveLength(3);

  now = await statuses(w);
  expect(now['uni-x']).toMatchObject({
    overall: 'fail',
    lastCheck: { ok: false },
    lastMicrosoftError: { code: 'ACCESS_POLICY_MISSING' },
    meetingsLast7Days: 0,
  });
  const steps = Object.fromEntries(now['uni-x']!.lastCheck!.steps.map((s) => [s.step.split(' - ')[0], s]));
  expect(steps['Step 1']).toMatchObject({ status: 'warn', problems: [{ code: 'CLIENT_SECRET_EXPIRING' }] });
  expect(steps['Step 2']).toMatchObject({ status: 'fail', problems: [{ code: 'ACCESS_POLICY_MISSING' }] });
  expect(now['uni-p']).toMatchObject({
    overall: 'fail',
    lastMicrosoftError: { code: 'CONSENT_REQUIRED' },
  });
  // The same for Prometheus (deploy/prometheus/alerts.yml alerts on it).
  const metrics = (await w.h.request.get('/metrics').set('Authorization', w.h.admin)).text;
  expect(metrics).toContain('teams_meetings_partner_setup_failing{partner_id="uni-x"} 1');
  expect(metrics).toContain('teams_meetings_partner_setup_failing{partner_id="uni-p"} 1');
  expect(metrics).toContain('teams_meetings_partners_by_setup_status{status="fail"} 2');

  // doctor --all, against the service on loopback: the same, worst first, exit 1.
  const server = http.createServer(w.h.built.app).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    let out = '';
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const code = await runDoctor(['--all', '--url', url, '--admin-key', ADMIN_KEY], (t) => (out += t));
    expect(code).toBe(1);
    const rows = out.split('\n').filter((l) => /^uni-/.test(l));
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(['uni-p', 'uni-x']);
    expect(rows[0]).toMatch(/^uni-p\s+FAIL\s+.*Step 1: CONSENT_REQUIRED\s+CONSENT_REQUIRED/);
    expect(rows[1]).toMatch(
      /^uni-x\s+FAIL\s+.*Step 1: CLIENT_SECRET_EXPIRING, Step 2: ACCESS_POLICY_MISSING\s+ACCESS_POLICY_MISSING \d{4}-\d\d-\d\d \d\d:\d\d\s+0\s+0$/,
    );
    expect(out).toContain('Result: 2 failing, 0 with warnings, 0 not checked yet.');
  } finally {
    server.close();
  }
});

test('the policy given back: the next day passes and tells nothing; a request that fails is the last Microsoft error', async () => {
  const clock = new TestClock();
  const { w } = await fleet(clock);
  await runWorker(w);
  clock.advance(DAY);
  await runWorker(w);
  w.sim.revokePolicy(TENANT_ID, w.adviser.id, APP_ID);
  clock.advance(DAY);
  await runWorker(w);
  expect(problems().map((e) => e.data.code)).toEqual(['ACCESS_POLICY_MISSING']);
  w.sim.grantPolicy(TENANT_ID, w.adviser.id, APP_ID);
  clock.advance(DAY);
  await runWorker(w);
  expect((await statuses(w))['uni-x']).toMatchObject({ overall: 'pass' });
  expect(problems()).toHaveLength(1);

  // A request's Microsoft error is kept too (the status shows the newest).
  w.sim.revokePolicy(TENANT_ID, w.adviser.id, APP_ID);
  clock.advance(60_000);
  const before = new Date(clock.now()).toISOString();
  expect((await w.create(appointment({ appointmentId: 'later' }))).status).toBe(424);
  const error = (await statuses(w))['uni-x']!.lastMicrosoftError!;
  expect(error.code).toBe('ACCESS_POLICY_MISSING');
  expect(error.at >= before && error.at <= new Date(clock.now()).toISOString()).toBe(true);
  // Within the minute, the same error again is not written again (an outage fails every request).
  clock.advance(10_000);
  expect((await w.create(appointment({ appointmentId: 'later-2' }))).status).toBe(424);
  expect((await statuses(w))['uni-x']!.lastMicrosoftError!.at).toBe(error.at);
  clock.advance(60_000);
  expect((await w.create(appointment({ appointmentId: 'later-3' }))).status).toBe(424);
  expect((await statuses(w))['uni-x']!.lastMicrosoftError!.at > error.at).toBe(true);
  expect((await w.h.request.get('/metrics').set('Authorization', w.h.admin)).text).toMatch(
    /teams_meetings_http_problems_total\{method="POST",route="\/appointments\/meeting",code="ACCESS_POLICY_MISSING"\} 3/,
  );
});

test('advisers: only those of the last 30 days, one Graph call each; a partner without meetings checks none', async () => {
  const clock = new TestClock();
  const { w } = await fleet(clock);
  await runWorker(w);
  clock.advance(31 * DAY);
  w.sim.clearRequests();
  await runWorker(w);
  expect(w.sim.requests().filter((r) => r.operation === 'onlineMeetings.list')).toHaveLength(0);
  // The secret (40 days at the start) now expires within 30: the one warning.
  const status = (await statuses(w))['uni-x']!;
  expect(status).toMatchObject({ overall: 'warn', lastCheck: { advisersChecked: 0 } });
  expect(status.lastCheck!.steps.flatMap((s) => s.problems.map((p) => p.code))).toEqual([
    'CLIENT_SECRET_EXPIRING',
  ]);
});

test('?include= other than status is a 400 naming the parameter; without it no status', async () => {
  const w = await worlds.world();
  const bad = await w.h.request.get('/partners?include=secrets').set('Authorization', w.h.admin);
  expect(bad.status).toBe(400);
  expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['query.include']);
  const plain = await w.h.request.get('/partners').set('Authorization', w.h.admin);
  expect(plain.body.partners[0].status).toBeUndefined();
  // A partner key cannot see the fleet.
  const partner = await w.h.request
    .get('/partners?include=status')
    .set('Authorization', `Bearer ${w.partnerKey}`);
  expect(partner.status).toBe(403);
});

describe('worsened', () => {
  const result = (checks: Array<[string, string, string?]>): WatchResult => ({
    checkedAt: '2026-12-07T00:00:00.000Z',
    ok: true,
    advisersChecked: 0,
    checks: checks.map(([id, status, code]) => ({
      id,
      step: 'Step 1 - Azure AD/Microsoft Graph Config',
      status: status as 'pass',
      detail: id,
      remediation: null,
      ...(code ? { code } : {}),
    })),
  });
  test('pass to warn and anything to fail are worse; the same, better, or a transient failure are not', () => {
    expect(
      worsened(
        result([
          ['a', 'pass'],
          ['b', 'warn'],
          ['c', 'fail', 'X'],
          ['d', 'pass'],
          ['e', 'fail', 'GRAPH_UNAVAILABLE'],
        ]),
        result([
          ['a', 'warn', 'A'],
          ['b', 'warn', 'B'],
          ['c', 'pass'],
          ['d', 'fail', 'GRAPH_TIMEOUT'],
          ['e', 'fail', 'ACCESS_POLICY_MISSING'],
          ['f', 'fail', 'NEW'],
        ]),
      ).map((c) => c.id),
    ).toEqual(['a', 'e', 'f']);
  });
});
