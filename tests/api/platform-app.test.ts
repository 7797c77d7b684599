/**
 * TARGETconnect's platform app through HTTP against the simulator: a university consents in one
 * click (the consent link, Entra's consent page, the service's callback), and its meetings are
 * made with the platform app's federated token (no secret anywhere), beside a university with its
 * own registration.
 */
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import axios from 'axios';
import { TestClock } from '../support/clock';
import { federatedIssuer } from '../../tools/fixtures/federation';
import { addPlatformApp, PLATFORM_APP_ID } from '../support/platform-app';
import {
  appointment,
  APP_ID,
  TENANT_ID,
  universityPartner,
  worldsPerTest,
  type ServiceWorld,
} from '../support/service-world';

const issuer = federatedIssuer();
const worlds = worldsPerTest();
let tokenFile: string;

beforeEach(() => {
  tokenFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'federated-')), 'token');
  fs.writeFileSync(tokenFile, issuer.mint());
});

/** A world whose service runs the platform app, the platform app registered in the simulator. */
async function platformWorld(env: Record<string, string> = {}, clock?: TestClock): Promise<ServiceWorld> {
  const w = await worlds.world({
    env: { PLATFORM_APP_ID, AZURE_FEDERATED_TOKEN_FILE: tokenFile, ...env },
    ...(clock ? { clock } : {}),
  });
  addPlatformApp(w.sim, issuer, 'http://localhost/setup/consent');
  // Steps 2-3 for the platform app: the Teams admin's grant names its id.
  w.sim.grantPolicy(TENANT_ID, w.adviser.id, PLATFORM_APP_ID);
  return w;
}

async function platformPartner(
  w: ServiceWorld,
  id = 'uni-p',
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const { applicationId: _a, clientSecret: _s, clientSecretExpiresAt: _e, ...rest } = universityPartner();
  const put = await w.h.request
    .put(`/partners/${id}`)
    .set('Authorization', w.h.admin)
    .send({ ...rest, credentialType: 'platformApp', ...overrides });
  expect(put.status).toBe(201);
  const key = await w.h.request.post(`/partners/${id}/api-keys`).set('Authorization', w.h.admin);
  return key.body.key as string;
}

/** The admin's browser: the consent link at Entra, then Entra's redirect to the service. */
async function consentThrough(w: ServiceWorld, partnerId = 'uni-p') {
  const link = await w.h.request.post(`/partners/${partnerId}/consent-link`).set('Authorization', w.h.admin);
  expect(link.status).toBe(200);
  const entra = await axios.get(link.body.url as string, {
    httpsAgent: new https.Agent({ ca: w.sim.caCertPem }),
    maxRedirects: 0,
    validateStatus: () => true,
  });
  const back = new URL(entra.headers['location'] as string);
  return { link, back, page: await w.h.request.get(`${back.pathname}${back.search}`) };
}

const tokenRequests = (w: ServiceWorld) => w.sim.requests().filter((r) => r.operation === 'token');

describe('a platform-app partner', () => {
  test('is stored without a secret or registration, with the platform app id and no consent yet', async () => {
    const w = await platformWorld();
    await platformPartner(w);
    const got = await w.h.request.get('/partners/uni-p').set('Authorization', w.h.admin);
    expect(got.body).toMatchObject({
      credentialType: 'platformApp',
      applicationId: PLATFORM_APP_ID,
      hasClientSecret: false,
      consent: { status: 'none' },
    });
    // An own-registration partner answers no consent field.
    expect(
      (await w.h.request.get('/partners/uni-x').set('Authorization', w.h.admin)).body.consent,
    ).toBeUndefined();
  });

  test.each([
    [{ clientSecret: 'Qx8Q~AbCdEfGhIjKlMnOpQrStUvWxYz0123456789' }, 'body.clientSecret'],
    [{ applicationId: APP_ID }, 'body.applicationId'],
  ])('refuses %j with 400 naming the field', async (extra, field) => {
    const w = await platformWorld();
    const { applicationId: _a, clientSecret: _s, ...rest } = universityPartner();
    const res = await w.h.request
      .put('/partners/uni-p')
      .set('Authorization', w.h.admin)
      .send({ ...rest, credentialType: 'platformApp', ...extra });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  test('is refused where the deployment runs no platform app', async () => {
    const w = await worlds.world();
    const { applicationId: _a, clientSecret: _s, ...rest } = universityPartner();
    const res = await w.h.request
      .put('/partners/uni-p')
      .set('Authorization', w.h.admin)
      .send({ ...rest, credentialType: 'platformApp' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({
      field: 'body.credentialType',
      message: expect.stringMatching(/PLATFORM_APP_ID/),
    });
  });

  test('before consent: 424 CONSENT_REQUIRED saying how to get the link, and Entra is not asked', async () => {
    const w = await platformWorld();
    const key = await platformPartner(w);
    w.sim.clearRequests();
    const res = await w.create(appointment(), key);
    expect(res.status).toBe(424);
    expect(res.body).toMatchObject({
      code: 'CONSENT_REQUIRED',
      remediation: expect.stringMatching(/consent-link/),
    });
    expect(tokenRequests(w)).toEqual([]);
  });
});

describe('the consent round trip', () => {
  test('consent link → Entra → callback: granted; the meeting is made with the federated token, no secret sent', async () => {
    const w = await platformWorld();
    // The tenant as a verified domain: Entra answers the GUID, which the service resolves to compare.
    const key = await platformPartner(w, 'uni-p', { tenantId: 'uni.example.ac.uk' });
    const { link, back, page } = await consentThrough(w);
    // The link: Entra's admin consent for the partner's tenant, the platform app, the service's callback.
    const url = new URL(link.body.url as string);
    expect(url.pathname).toBe(`/uni.example.ac.uk/v2.0/adminconsent`);
    expect(url.searchParams.get('client_id')).toBe(PLATFORM_APP_ID);
    expect(url.searchParams.get('redirect_uri')).toBe('http://localhost/setup/consent');
    expect(Date.parse(link.body.expiresAt) - Date.now()).toBeLessThanOrEqual(3_600_000);
    expect(back.searchParams.get('admin_consent')).toBe('True');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(page.text).toContain('Consent recorded');
    const partner = await w.h.request.get('/partners/uni-p').set('Authorization', w.h.admin);
    expect(partner.body.consent).toEqual({ status: 'granted', grantedAt: expect.any(String) });

    w.sim.clearRequests();
    const created = await w.create(appointment(), key);
    expect(created.status).toBe(201);
    const [request] = tokenRequests(w);
    expect(request!.appId).toBe(PLATFORM_APP_ID);
    expect(request!.tenantId).toBe(TENANT_ID);
    expect(request!.body).toMatchObject({
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: fs.readFileSync(tokenFile, 'utf8'),
    });
    expect(request!.body).not.toHaveProperty('client_secret');
    // The university with its own registration works beside it, in the same instance.
    expect((await w.create(appointment())).status).toBe(201);
  });

  test('the token file is read again at each token request (the platform rewrites it)', async () => {
    const w = await platformWorld();
    const key = await platformPartner(w);
    await consentThrough(w);
    expect((await w.create(appointment(), key)).status).toBe(201);
    // A token for another subject: Entra refuses it (AADSTS70021), which shows the file was read again.
    fs.writeFileSync(tokenFile, issuer.mint({ subject: 'system:serviceaccount:other:app' }));
    // The held token would serve for an hour: drop it as a new partner version would.
    await w.h.request.patch('/partners/uni-p').set('Authorization', w.h.admin).send({ meetingDefaults: {} });
    const refused = await w.create(appointment(), key);
    expect(refused.status).toBe(424);
    expect(refused.body).toMatchObject({
      code: 'NO_USABLE_CREDENTIAL',
      detail: expect.stringMatching(/AADSTS70021/),
    });
    fs.writeFileSync(tokenFile, issuer.mint());
    expect((await w.create(appointment(), key)).status).toBe(201);
  });

  test('denied: recorded with Entra’s reason, and the page says what to do', async () => {
    const w = await platformWorld();
    const key = await platformPartner(w);
    w.sim.consentDecision(TENANT_ID, 'deny');
    const { page } = await consentThrough(w);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Consent was not given');
    expect(page.text).toContain('AADSTS65004');
    const partner = await w.h.request.get('/partners/uni-p').set('Authorization', w.h.admin);
    expect(partner.body.consent).toEqual({
      status: 'denied',
      error: 'AADSTS65004: User declined to consent to access the app.',
    });
    const res = await w.create(appointment(), key);
    expect(res.body).toMatchObject({ code: 'CONSENT_REQUIRED', detail: expect.stringMatching(/declined/) });
  });

  test('forged, reused, expired and other-tenant states: 400, nothing recorded', async () => {
    const clock = new TestClock();
    const w = await platformWorld({}, clock);
    await platformPartner(w);
    const consentOf = async () =>
      (await w.h.request.get('/partners/uni-p').set('Authorization', w.h.admin)).body.consent;
    const stateOf = async () => {
      const link = await w.h.request.post('/partners/uni-p/consent-link').set('Authorization', w.h.admin);
      return new URL(link.body.url as string).searchParams.get('state')!;
    };
    const callback = (query: Record<string, string>) =>
      w.h.request.get(`/setup/consent?${new URLSearchParams(query).toString()}`);
    const granted = { admin_consent: 'True', tenant: TENANT_ID };

    const state = await stateOf();
    const forged = await callback({ ...granted, state: `${state.split('.')[0]}.AAAA` });
    expect(forged.status).toBe(400);
    expect(forged.text).toContain('does not verify');
    expect((await callback({ ...granted, state: 'no-dot-at-all' })).status).toBe(400);
    const otherTenant = await callback({ ...granted, tenant: '99999999-9999-4999-8999-999999999999', state });
    expect(otherTenant.status).toBe(400);
    expect(otherTenant.text).toContain('another tenant');
    // That attempt spent the state: a state works once.
    const reused = await callback({ ...granted, state });
    expect(reused.status).toBe(400);
    expect(reused.text).toContain('used already, or has expired');
    // A state an hour old no longer works.
    const old = await stateOf();
    clock.advance(3_600_000 + 1000);
    const expired = await callback({ ...granted, state: old });
    expect(expired.status).toBe(400);
    expect(expired.text).toContain('used already, or has expired');
    expect(await consentOf()).toEqual({ status: 'none' });
    // A fresh one does.
    expect((await callback({ ...granted, state: await stateOf() })).status).toBe(200);
    expect(await consentOf()).toMatchObject({ status: 'granted' });
  });

  test('a consent that reaches tokens late is absorbed within the request budget', async () => {
    const w = await platformWorld();
    const key = await platformPartner(w);
    w.sim.setConsentLag(2_500);
    await consentThrough(w);
    w.sim.clearRequests();
    const created = await w.create(appointment(), key);
    expect(created.status).toBe(201);
    expect(tokenRequests(w).length).toBeGreaterThanOrEqual(2);
  });
});

describe('everything else, for a platform-app partner', () => {
  test('the access-policy script names the platform app; certificates are not offered', async () => {
    const w = await platformWorld();
    await platformPartner(w);
    // The script finds the advisers in Entra ID, through the platform app: after the consent.
    await consentThrough(w);
    const script = await w.h.request
      .post('/partners/uni-p/access-policy-script')
      .set('Authorization', w.h.admin)
      .send({ operators: [{ email: w.adviser.mail }] });
    expect(script.status).toBe(200);
    expect(script.text).toContain(PLATFORM_APP_ID);
    expect(script.text).not.toContain(APP_ID);
    const certificate = await w.h.request
      .post('/partners/uni-p/certificates')
      .set('Authorization', w.h.admin)
      .send({});
    expect(certificate.status).toBe(400);
  });

  test('verify: a consent not yet in effect is a warning, not a missing permission', async () => {
    const clock = new TestClock();
    const w = await platformWorld({}, clock);
    await platformPartner(w);
    w.sim.setConsentLag(3_600_000);
    await consentThrough(w);
    const verify = await w.h.request.post('/partners/uni-p/verify').set('Authorization', w.h.admin).send({});
    expect(verify.status).toBe(200);
    const credentials = (verify.body.checks as Array<{ id: string; status: string; detail: string }>).find(
      (c) => c.id === 'credentials',
    );
    expect(credentials).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/^Consent granted .*not yet in effect/),
    });
  });

  test('consent removed in Entra later: CONSENT_REQUIRED (AADSTS7000229), and /health names the platform credential', async () => {
    const w = await platformWorld();
    const key = await platformPartner(w);
    await consentThrough(w);
    w.sim.revokeConsent(TENANT_ID, PLATFORM_APP_ID);
    // A new partner version drops the held token, as any change does.
    await w.h.request.patch('/partners/uni-p').set('Authorization', w.h.admin).send({ meetingDefaults: {} });
    const res = await w.create(appointment(), key);
    expect(res.status).toBe(424);
    expect(res.body).toMatchObject({
      code: 'CONSENT_REQUIRED',
      detail: expect.stringMatching(/AADSTS7000229/),
    });
    const health = await w.h.request.get('/health');
    expect(health.body.checks.platformApp).toEqual({ status: 'ok', credential: 'federated' });
  });
});
