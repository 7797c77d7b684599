import { decodeClaims } from '../../tools/microsoft-simulator';
import {
  APP_ID,
  requestToken,
  SECRET,
  SECRET_ID,
  seedSimulatorWorld,
  simulatorPerTest,
  TENANT_DOMAIN,
  TENANT_ID,
  type AadErrorBody,
} from '../support/simulator-world';

const s = simulatorPerTest({ policy: false, graph: false });

describe('token endpoint (client credentials)', () => {
  it('issues a Bearer JWT for Graph with the consented roles', async () => {
    const response = await requestToken(s.h.http, TENANT_ID);

    expect(response.status).toBe(200);
    expect(response.data).toEqual({
      token_type: 'Bearer',
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
    });
    const claims = decodeClaims(response.data.access_token);
    expect(claims).toMatchObject({
      aud: 'https://graph.microsoft.com',
      tid: TENANT_ID,
      appid: APP_ID,
      roles: ['OnlineMeetings.ReadWrite.All', 'User.ReadBasic.All'],
      idtyp: 'app',
    });
    expect(claims!.exp - claims!.iat).toBe(3599);
    expect(claims!.nbf).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });

  it('issues a token without roles when there is no admin consent', async () => {
    seedSimulatorWorld(s.h.sim, []);
    const response = await requestToken(s.h.http, TENANT_ID);

    expect(response.status).toBe(200);
    expect(decodeClaims(response.data.access_token)).not.toHaveProperty('roles');
  });

  it('accepts a verified domain for the tenant and answers with the tenant GUID', async () => {
    const response = await requestToken(s.h.http, TENANT_DOMAIN.toUpperCase());

    expect(response.status).toBe(200);
    expect(decodeClaims(response.data.access_token)?.tid).toBe(TENANT_ID);
  });

  it('accepts Graph application ID as the resource too', async () => {
    const response = await requestToken(s.h.http, TENANT_ID, {
      scope: '00000003-0000-0000-c000-000000000000/.default',
    });
    expect(response.status).toBe(200);
  });

  const cases: Array<{
    name: string;
    tenant?: string;
    fields?: Record<string, string>;
    status: number;
    error: string;
    code: number;
  }> = [
    {
      name: 'wrong secret',
      fields: { client_secret: 'nope' },
      status: 401,
      error: 'invalid_client',
      code: 7000215,
    },
    {
      name: 'the secret ID pasted instead of the value',
      fields: { client_secret: SECRET_ID },
      status: 401,
      error: 'invalid_client',
      code: 7000215,
    },
    {
      name: 'application unknown in that tenant',
      fields: { client_id: '99999999-2222-4333-8444-555555555555' },
      status: 400,
      error: 'unauthorized_client',
      code: 700016,
    },
    {
      name: 'unknown tenant',
      tenant: '00000000-1111-4222-8333-444444444444',
      status: 400,
      error: 'invalid_tenant',
      code: 90002,
    },
    { name: 'unknown domain', tenant: 'nowhere.example', status: 400, error: 'invalid_tenant', code: 90002 },
    { name: 'malformed tenant', tenant: 'not_a_tenant', status: 400, error: 'invalid_request', code: 900023 },
    {
      name: 'scope without /.default',
      fields: { scope: 'https://graph.microsoft.com/User.Read.All' },
      status: 400,
      error: 'invalid_scope',
      code: 1002012,
    },
    {
      name: 'a resource other than Graph',
      fields: { scope: 'https://management.azure.com/.default' },
      status: 400,
      error: 'invalid_resource',
      code: 500011,
    },
    {
      name: 'another grant type',
      fields: { grant_type: 'password' },
      status: 400,
      error: 'unsupported_grant_type',
      code: 70003,
    },
  ];

  it.each(cases)(
    'refuses $name with $error (AADSTS$code)',
    async ({ tenant, fields, status, error, code }) => {
      const response = await requestToken(s.h.http, tenant ?? TENANT_ID, fields);

      expect(response.status).toBe(status);
      const body = response.data as AadErrorBody;
      expect(body.error).toBe(error);
      expect(body.error_codes).toEqual([code]);
      expect(body.error_description).toMatch(new RegExp(`^AADSTS${code}: `));
      expect(body.trace_id).toEqual(expect.any(String));
      expect(body.correlation_id).toEqual(expect.any(String));
      expect(body.timestamp).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/);
    },
  );

  it('refuses an expired secret with AADSTS7000222 but accepts a current one next to it', async () => {
    s.h.sim.addApp({
      tenantId: TENANT_ID,
      appId: APP_ID,
      secrets: [
        { value: 'old-secret', expiresAt: new Date(Date.now() - 1000) },
        { value: SECRET, expiresAt: new Date(Date.now() + 86_400_000) },
      ],
      roles: [],
    });

    const expired = await requestToken(s.h.http, TENANT_ID, { client_secret: 'old-secret' });
    expect(expired.status).toBe(401);
    expect((expired.data as AadErrorBody).error).toBe('invalid_client');
    expect((expired.data as AadErrorBody).error_codes).toEqual([7000222]);

    expect((await requestToken(s.h.http, TENANT_ID)).status).toBe(200);
  });

  it('echoes the client-request-id as correlation_id', async () => {
    const response = await s.h.http.post(
      `/${TENANT_ID}/oauth2/v2.0/token?client-request-id=corr-123`,
      new URLSearchParams({
        client_id: APP_ID,
        client_secret: 'x',
        scope: 'a/.default',
        grant_type: 'client_credentials',
      }).toString(),
      { headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    );
    expect((response.data as AadErrorBody).correlation_id).toBe('corr-123');
  });

  it('reads only a form body (JSON looks like missing parameters)', async () => {
    const response = await s.h.http.post(`/${TENANT_ID}/oauth2/v2.0/token`, {
      client_id: APP_ID,
      client_secret: SECRET,
      grant_type: 'client_credentials',
      scope: 'https://graph.microsoft.com/.default',
    });
    expect(response.status).toBe(400);
    expect((response.data as AadErrorBody).error_codes).toEqual([900144]);
  });

  it('records token requests with tenant, app and the form', async () => {
    await requestToken(s.h.http, TENANT_DOMAIN, { client_secret: 'bad' });

    const [entry] = s.h.sim.requests();
    expect(entry).toMatchObject({
      kind: 'token',
      operation: 'token',
      method: 'POST',
      path: `/${TENANT_DOMAIN}/oauth2/v2.0/token`,
      params: { tenant: TENANT_DOMAIN },
      status: 401,
      tenantId: TENANT_ID,
      appId: APP_ID,
      body: { client_id: APP_ID, client_secret: 'bad', grant_type: 'client_credentials' },
    });
  });
});

describe('OpenID metadata', () => {
  it('serves the tenant configuration with endpoints on the simulator', async () => {
    const response = await s.h.http.get(`/${TENANT_DOMAIN}/v2.0/.well-known/openid-configuration`);

    expect(response.status).toBe(200);
    expect(response.data).toMatchObject({
      issuer: `${s.h.sim.url}/${TENANT_ID}/v2.0`,
      token_endpoint: `${s.h.sim.url}/${TENANT_ID}/oauth2/v2.0/token`,
      authorization_endpoint: `${s.h.sim.url}/${TENANT_ID}/oauth2/v2.0/authorize`,
      jwks_uri: `${s.h.sim.url}/${TENANT_ID}/discovery/v2.0/keys`,
    });
    const keys = await s.h.http.get(`/${TENANT_ID}/discovery/v2.0/keys`);
    expect(keys.data.keys[0]).toMatchObject({ kty: 'RSA', use: 'sig', kid: expect.any(String) });
    expect(s.h.sim.requests().map((r) => [r.kind, r.operation])).toEqual([
      ['openid', 'openid-configuration'],
      ['openid', 'jwks'],
    ]);
  });

  it('answers 400 invalid_tenant (AADSTS90002) for an unknown tenant', async () => {
    const response = await s.h.http.get(
      '/00000000-1111-4222-8333-444444444444/v2.0/.well-known/openid-configuration',
    );

    expect(response.status).toBe(400);
    expect(response.data).toMatchObject({ error: 'invalid_tenant', error_codes: [90002] });
  });

  it('answers instance discovery for its own host', async () => {
    const response = await s.h.http.get('/common/discovery/instance', {
      params: {
        'api-version': '1.1',
        authorization_endpoint: `${s.h.sim.url}/${TENANT_ID}/oauth2/v2.0/authorize`,
      },
    });
    const host = new URL(s.h.sim.url).host;
    expect(response.data).toEqual({
      tenant_discovery_endpoint: `${s.h.sim.url}/${TENANT_ID}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
  });
});
