/**
 * The real @azure/msal-node against the simulator: the token code of the service will use it the
 * same way (knownAuthorities with host:port, its own network client over an agent that trusts the
 * simulator's CA, because NODE_EXTRA_CA_CERTS cannot be set from inside a running process).
 */
import type https from 'node:https';
import axios, { type AxiosResponse } from 'axios';
import {
  ConfidentialClientApplication,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import { decodeClaims } from '../../tools/microsoft-simulator';
import {
  APP_ID,
  attendee,
  graphClient,
  GRAPH_SCOPE,
  meetingBody,
  SECRET,
  seedSimulatorWorld,
  simulatorPerTest,
  TENANT_DOMAIN,
  TENANT_ID,
} from '../support/simulator-world';

const s = simulatorPerTest({ seed: false });

/** msal-node's INetworkModule on axios: `{ headers (lower-case), body (parsed JSON), status }`, never throwing on status. */
function axiosNetworkClient(agent: https.Agent): INetworkModule {
  const http = axios.create({ httpsAgent: agent, validateStatus: () => true, timeout: 5000 });
  const toResponse = <T>(response: AxiosResponse): NetworkResponse<T> => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers as Record<string, unknown>)) {
      if (value !== undefined && value !== null) {
        headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
      }
    }
    return { headers, body: response.data as T, status: response.status };
  };
  return {
    async sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
      return toResponse<T>(await http.get(url, { headers: options?.headers ?? {} }));
    },
    async sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
      return toResponse<T>(await http.post(url, options?.body ?? '', { headers: options?.headers ?? {} }));
    },
  };
}

function msalApp(tenant: string, clientId = APP_ID, clientSecret = SECRET): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: {
      clientId,
      clientSecret,
      authority: `${s.h.sim.authorityHost}/${tenant}`,
      // MSAL compares the authority's host *with* its port: '127.0.0.1:<port>' (a full URL works too).
      knownAuthorities: [new URL(s.h.sim.authorityHost).host],
    },
    system: { networkClient: axiosNetworkClient(s.h.agent) },
  });
}

async function msalError(
  promise: Promise<unknown>,
): Promise<{ errorCode: string; errorNo?: string; name: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { errorCode: string; errorNo?: string; name: string };
  }
  throw new Error('expected MSAL to fail');
}

describe('msal-node ConfidentialClientApplication against the simulator', () => {
  it('gets a token, finds the adviser on /users and creates a meeting with it', async () => {
    const world = seedSimulatorWorld(s.h.sim);
    s.h.sim.grantPolicy(TENANT_ID, world.adviser.id, APP_ID);
    const app = msalApp(TENANT_ID);

    const result = await app.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] });
    expect(result?.accessToken).toEqual(expect.any(String));
    // No ID token in this flow, so MSAL's own tenantId is ''; the token's `tid` is what counts.
    expect(decodeClaims(result!.accessToken)?.tid).toBe(TENANT_ID);

    const graph = graphClient(s.h, result!.accessToken);
    const users = await graph.get('/users', {
      params: { $filter: "mail eq 'ada.adviser@uni.ac.uk'", $select: 'id,userPrincipalName,mail' },
    });
    expect(users.status).toBe(200);
    expect(users.data.value).toEqual([
      { id: world.adviser.id, userPrincipalName: 'a.adviser@uni.ac.uk', mail: 'Ada.Adviser@uni.ac.uk' },
    ]);

    const created = await graph.post(
      `/users/${users.data.value[0].id}/onlineMeetings/createOrGet`,
      meetingBody({ externalId: 'appointment-1', participants: { attendees: [attendee(world.student)] } }),
    );
    expect(created.status).toBe(201);
    expect(s.h.sim.meetings({ userId: world.adviser.id })).toHaveLength(1);

    // What MSAL sent: the metadata once, then one token request with the form a client-credentials client sends.
    const identity = s.h.sim.requests().filter((r) => r.kind !== 'graph');
    expect(identity.map((r) => r.operation)).toEqual(['openid-configuration', 'token']);
    expect(identity[1]?.body).toMatchObject({
      client_id: APP_ID,
      client_secret: SECRET,
      grant_type: 'client_credentials',
      scope: GRAPH_SCOPE,
    });
  });

  it('serves a second call from its cache (no second token request)', async () => {
    seedSimulatorWorld(s.h.sim);
    const app = msalApp(TENANT_DOMAIN);

    const first = await app.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] });
    const second = await app.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] });

    expect(second?.accessToken).toBe(first?.accessToken);
    expect(s.h.sim.requests().filter((r) => r.operation === 'token')).toHaveLength(1);
  });

  it('renews when the token is within five minutes of expiry', async () => {
    seedSimulatorWorld(s.h.sim);
    s.h.sim.setTokenLifetime(240);
    const app = msalApp(TENANT_ID);

    await app.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] });
    await app.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] });

    expect(s.h.sim.requests().filter((r) => r.operation === 'token')).toHaveLength(2);
  });

  it.each([
    { name: 'a wrong secret', secret: 'wrong', errorNo: '7000215' },
    {
      name: 'the secret ID instead of its value',
      secret: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
      errorNo: '7000215',
    },
    { name: 'an expired secret', secret: 'expired-secret', errorNo: '7000222' },
  ])('surfaces $name as ServerError invalid_client', async ({ secret, errorNo }) => {
    seedSimulatorWorld(s.h.sim);
    s.h.sim.addApp({
      tenantId: TENANT_ID,
      appId: APP_ID,
      secrets: [
        { value: SECRET, id: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee' },
        { value: 'expired-secret', expiresAt: new Date(Date.now() - 60_000) },
      ],
    });

    const error = await msalError(
      msalApp(TENANT_ID, APP_ID, secret).acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] }),
    );

    expect(error.name).toBe('ServerError');
    expect(error.errorCode).toBe('invalid_client');
    expect(String(error.errorNo)).toBe(errorNo);
  });

  it('surfaces an application unknown in the tenant as unauthorized_client (AADSTS700016)', async () => {
    seedSimulatorWorld(s.h.sim);
    const error = await msalError(
      msalApp(TENANT_ID, '99999999-2222-4333-8444-555555555555').acquireTokenByClientCredential({
        scopes: [GRAPH_SCOPE],
      }),
    );
    expect(error.errorCode).toBe('unauthorized_client');
    expect(String(error.errorNo)).toBe('700016');
  });

  it.each(['00000000-1111-4222-8333-444444444444', 'nowhere.example', 'not_a_tenant'])(
    'reports an unknown or malformed tenant (%s) as endpoints_resolution_error, before any token request',
    async (tenant) => {
      seedSimulatorWorld(s.h.sim);
      const error = await msalError(
        msalApp(tenant).acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] }),
      );

      expect(error.errorCode).toBe('endpoints_resolution_error');
      const operations = s.h.sim.requests().map((r) => [r.operation, r.status]);
      expect(operations).toEqual([['openid-configuration', 400]]);
    },
  );

  it('surfaces an unknown tenant at the token request when authorityMetadata is given', async () => {
    seedSimulatorWorld(s.h.sim);
    const tenant = '00000000-1111-4222-8333-444444444444';
    const metadata = {
      token_endpoint: `${s.h.sim.url}/${tenant}/oauth2/v2.0/token`,
      authorization_endpoint: `${s.h.sim.url}/${tenant}/oauth2/v2.0/authorize`,
      issuer: `${s.h.sim.url}/${tenant}/v2.0`,
      jwks_uri: `${s.h.sim.url}/${tenant}/discovery/v2.0/keys`,
      end_session_endpoint: `${s.h.sim.url}/${tenant}/oauth2/v2.0/logout`,
    };
    const app = new ConfidentialClientApplication({
      auth: {
        clientId: APP_ID,
        clientSecret: SECRET,
        authority: `${s.h.sim.authorityHost}/${tenant}`,
        knownAuthorities: [s.h.sim.authorityHost],
        authorityMetadata: JSON.stringify(metadata),
      },
      system: { networkClient: axiosNetworkClient(s.h.agent) },
    });

    const error = await msalError(app.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] }));

    expect(error.errorCode).toBe('invalid_tenant');
    expect(String(error.errorNo)).toBe('90002');
    expect(s.h.sim.requests().map((r) => r.operation)).toEqual(['token']);
  });

  it('surfaces a token 503 as ServerError temporarily_unavailable', async () => {
    seedSimulatorWorld(s.h.sim);
    s.h.sim.injectFault({ match: { operation: 'token' }, status: 503, retryAfter: null });

    const error = await msalError(
      msalApp(TENANT_ID).acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] }),
    );

    expect(error.errorCode).toBe('temporarily_unavailable');
  });

  it('throttles itself after a 429/5xx token answer: the next call fails at once, without a request', async () => {
    seedSimulatorWorld(s.h.sim);
    s.h.sim.injectFault({ match: { operation: 'token' }, status: 429, retryAfter: '30' });
    const app = msalApp(TENANT_ID);

    const first = await msalError(app.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] }));
    const second = await msalError(app.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] }));

    expect(first.errorCode).toBe('temporarily_unavailable');
    // From MSAL's throttling cache: the AADSTS numbers become the errorCode.
    expect(second.name).toBe('ServerError');
    expect(second.errorCode).toBe('90055');
    expect(s.h.sim.requests().filter((r) => r.operation === 'token')).toHaveLength(1);
    // A fresh instance is not throttled.
    await expect(
      msalApp(TENANT_ID).acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] }),
    ).resolves.toBeTruthy();
  });

  it('surfaces a lost connection as network_error', async () => {
    seedSimulatorWorld(s.h.sim);
    s.h.sim.injectFault({ match: { operation: 'token' }, drop: 'before' });

    const error = await msalError(
      msalApp(TENANT_ID).acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] }),
    );

    expect(error.errorCode).toBe('network_error');
  });
});
