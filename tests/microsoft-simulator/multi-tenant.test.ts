/**
 * The simulator's multi-tenant application: admin consent (granted, denied, the redirect URI
 * check, consent that reaches tokens late), tokens in a customer tenant before and after it
 * (AADSTS7000229), and workload identity federation (an issuer's JWT as the client assertion;
 * AADSTS70021 and 700024), as GRAPH.md gives them.
 */
import axios from 'axios';
import https from 'node:https';
import { decodeClaims, startSimulator, type MicrosoftSimulator } from '../../tools/microsoft-simulator';
import { federatedIssuer } from '../../tools/fixtures/federation';

const PLATFORM = '7e1c0a55-0b9d-4c44-9a36-5f1d7c2b9e01';
const HOME = '11111111-2222-4333-8444-555555555555';
const UNI = '0b6c2f1e-4a5d-4e7f-9a1b-2c3d4e5f6a7b';
const REDIRECT = 'https://meetings.example/setup/consent';
const issuer = federatedIssuer();

let sim: MicrosoftSimulator;
let http: ReturnType<typeof axios.create>;

beforeAll(async () => {
  sim = await startSimulator();
  http = axios.create({
    baseURL: sim.authorityHost,
    httpsAgent: new https.Agent({ ca: sim.caCertPem }),
    validateStatus: () => true,
    maxRedirects: 0,
  });
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.reset();
  sim.addTenant({ id: HOME, domains: ['targetconnect.example'] });
  sim.addTenant({ id: UNI, domains: ['uni.ac.uk'] });
  sim.addApp({
    tenantId: HOME,
    appId: PLATFORM,
    secrets: [],
    roles: ['OnlineMeetings.ReadWrite.All', 'User.ReadBasic.All'],
    multiTenant: true,
    redirectUris: [REDIRECT],
    federatedCredentials: [issuer.credential],
  });
});

function token(tenant: string, assertion = issuer.mint()) {
  return http.post(
    `/${tenant}/oauth2/v2.0/token`,
    new URLSearchParams({
      client_id: PLATFORM,
      grant_type: 'client_credentials',
      scope: 'https://graph.microsoft.com/.default',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }).toString(),
    { headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  );
}

function consent(tenant: string, redirectUri = REDIRECT, state = 'st-1') {
  const query = new URLSearchParams({
    client_id: PLATFORM,
    scope: 'https://graph.microsoft.com/.default',
    redirect_uri: redirectUri,
    state,
  });
  return http.get(`/${tenant}/v2.0/adminconsent?${query.toString()}`);
}

test('before consent: invalid_client AADSTS7000229, the service principal is missing', async () => {
  const res = await token(UNI);
  expect(res.status).toBe(400);
  expect(res.data).toMatchObject({ error: 'invalid_client', error_codes: [7000229] });
  expect(res.data.error_description).toMatch(
    /^AADSTS7000229: The client application .* is missing service principal in the tenant/,
  );
});

test('consent granted: back to the redirect URI with admin_consent, the tenant GUID and the state; tokens then carry the roles', async () => {
  const res = await consent('uni.ac.uk');
  expect(res.status).toBe(302);
  const back = new URL(res.headers['location'] as string);
  expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
  expect(Object.fromEntries(back.searchParams)).toEqual({
    admin_consent: 'True',
    tenant: UNI,
    scope: 'https://graph.microsoft.com/.default',
    state: 'st-1',
  });
  const issued = await token(UNI);
  expect(issued.status).toBe(200);
  expect(decodeClaims(issued.data.access_token)).toMatchObject({
    tid: UNI,
    appid: PLATFORM,
    roles: ['OnlineMeetings.ReadWrite.All', 'User.ReadBasic.All'],
  });
  expect(sim.consents()).toEqual([expect.objectContaining({ tenantId: UNI, appId: PLATFORM })]);
});

test('consent that reaches tokens late: no roles until the lag has passed', async () => {
  sim.setConsentLag(60_000);
  expect((await consent(UNI)).status).toBe(302);
  const early = await token(UNI);
  expect(early.status).toBe(200);
  expect(decodeClaims(early.data.access_token)).not.toHaveProperty('roles');
});

test('consent denied: back with access_denied and AADSTS65004; nothing granted', async () => {
  sim.consentDecision(UNI, 'deny');
  const res = await consent(UNI);
  const back = new URL(res.headers['location'] as string);
  expect(Object.fromEntries(back.searchParams)).toEqual({
    error: 'access_denied',
    error_description: 'AADSTS65004: User declined to consent to access the app.',
    state: 'st-1',
  });
  expect(sim.consents()).toEqual([]);
});

test('a redirect URI not registered on the app: AADSTS50011, nobody is sent back', async () => {
  const res = await consent(UNI, 'https://evil.example/cb');
  expect(res.status).toBe(400);
  expect(res.data).toMatch(/^AADSTS50011: The redirect URI 'https:\/\/evil\.example\/cb'/);
  expect(sim.consents()).toEqual([]);
});

test('federation: another subject is AADSTS70021 naming issuer, subject and audience; an expired token AADSTS700024', async () => {
  await consent(UNI);
  const stranger = await token(UNI, issuer.mint({ subject: 'system:serviceaccount:other:app' }));
  expect(stranger.status).toBe(400);
  expect(stranger.data.error_codes).toEqual([70021]);
  expect(stranger.data.error_description).toContain(
    "Assertion Issuer: 'https://oidc.sandbox.example/targetconnect'. Assertion Subject: 'system:serviceaccount:other:app'. Assertion Audience: 'api://AzureADTokenExchange'.",
  );
  const stale = await token(UNI, issuer.mint({ lifetimeSeconds: -600 }));
  expect(stale.data.error_codes).toEqual([700024]);
  const forged = federatedIssuer(); // same issuer and subject, another key
  expect((await token(UNI, forged.mint())).data.error_codes).toEqual([700027]);
});
