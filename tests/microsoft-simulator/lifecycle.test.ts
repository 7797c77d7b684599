/** The simulator as a server: TLS, the request log, reset and close. */
import https from 'node:https';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import axios from 'axios';
import { startSimulator } from '../../tools/microsoft-simulator';
import {
  accessToken,
  APP_ID,
  graphClient,
  requestToken,
  simulatorPerTest,
  TENANT_ID,
} from '../support/simulator-world';

const s = simulatorPerTest({ policy: false, graph: false });

describe('TLS', () => {
  it('listens on https://127.0.0.1:<port> with URLs on one origin', () => {
    expect(s.h.sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(s.h.sim.authorityHost).toBe(s.h.sim.url);
    expect(s.h.sim.graphBaseUrl).toBe(`${s.h.sim.url}/v1.0`);
  });

  it('serves a leaf for 127.0.0.1 and localhost signed by a CA certificate (CA:true)', () => {
    const ca = new X509Certificate(s.h.sim.caCertPem);
    expect(ca.ca).toBe(true);

    return new Promise<void>((resolve, reject) => {
      const socket = tls.connect(
        {
          host: '127.0.0.1',
          port: Number(new URL(s.h.sim.url).port),
          ca: s.h.sim.caCertPem,
          servername: 'localhost',
        },
        () => {
          try {
            const leaf = new X509Certificate(socket.getPeerX509Certificate()!.raw);
            expect(leaf.ca).toBe(false);
            expect(leaf.subjectAltName).toContain('IP Address:127.0.0.1');
            expect(leaf.subjectAltName).toContain('DNS:localhost');
            expect(leaf.checkIssued(ca)).toBe(true);
            expect(leaf.verify(ca.publicKey)).toBe(true);
            resolve();
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          } finally {
            socket.end();
          }
        },
      );
      socket.on('error', reject);
    });
  });

  it('is refused by a client that does not trust its CA', async () => {
    const untrusting = axios.create({ httpsAgent: new https.Agent({ keepAlive: false }), timeout: 3000 });
    await expect(untrusting.get(`${s.h.sim.url}/v1.0/users`)).rejects.toMatchObject({
      code: expect.stringMatching(/SELF_SIGNED|UNABLE_TO_VERIFY/),
    });
  });
});

describe('request log', () => {
  it('records every request in order with kind, operation, decoded query, headers, body and status', async () => {
    const token = await accessToken(s.h.http);
    const graph = graphClient(s.h, token);
    await graph.get(`/users?$filter=${encodeURIComponent("mail eq 'ada.adviser@uni.ac.uk'")}&$select=id`, {
      headers: { 'client-request-id': 'abc' },
    });
    await graph.post(`/users/${s.h.sim.users(TENANT_ID)[0]!.id}/onlineMeetings`, { subject: 'x' });

    const log = s.h.sim.requests();
    expect(log.map((r) => [r.seq, r.kind, r.operation, r.status])).toEqual([
      [log[0]!.seq, 'token', 'token', 200],
      [log[0]!.seq + 1, 'graph', 'users.list', 200],
      [log[0]!.seq + 2, 'graph', 'onlineMeetings.create', 403],
    ]);
    expect(log[1]).toMatchObject({
      method: 'GET',
      path: '/v1.0/users',
      query: { $filter: "mail eq 'ada.adviser@uni.ac.uk'", $select: 'id' },
      rawQuery: '$filter=mail%20eq%20%27ada.adviser%40uni.ac.uk%27&$select=id',
      tenantId: TENANT_ID,
      appId: APP_ID,
      tokenClaims: { tid: TENANT_ID, appid: APP_ID },
    });
    expect(log[1]!.headers).toMatchObject({ authorization: `Bearer ${token}`, 'client-request-id': 'abc' });
    expect(log[1]!.at).toBeInstanceOf(Date);
    expect(log[2]!.body).toEqual({ subject: 'x' });
  });

  it('hands out copies, and clearRequests empties the log', async () => {
    await requestToken(s.h.http, TENANT_ID);
    const copy = s.h.sim.requests();
    copy[0]!.status = 999;
    expect(s.h.sim.requests()[0]!.status).toBe(200);

    s.h.sim.clearRequests();
    expect(s.h.sim.requests()).toEqual([]);
  });
});

describe('reset and close', () => {
  it('reset forgets tenants, meetings, faults, latency and requests', async () => {
    s.h.sim.injectFault({ status: 500, times: Infinity });
    s.h.sim.setLatency(1000);
    s.h.sim.reset();

    const started = Date.now();
    const response = await requestToken(s.h.http, TENANT_ID);
    expect(Date.now() - started).toBeLessThan(500);
    expect(response.status).toBe(400);
    expect(response.data.error).toBe('invalid_tenant');
    expect(s.h.sim.requests()).toHaveLength(1);
    expect(s.h.sim.meetings()).toEqual([]);
  });

  it('closes promptly with keep-alive sockets and requests still waiting', async () => {
    const sim = await startSimulator();
    const agent = new https.Agent({ ca: sim.caCertPem, keepAlive: true });
    const http = axios.create({ baseURL: sim.url, httpsAgent: agent, validateStatus: () => true });
    sim.addTenant({ id: TENANT_ID });
    await http.get(`/${TENANT_ID}/v2.0/.well-known/openid-configuration`);
    sim.setLatency(10_000);
    const waiting = http
      .get(`/${TENANT_ID}/v2.0/.well-known/openid-configuration`)
      .catch((error: unknown) => error);

    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await sim.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await waiting).toBeInstanceOf(Error);
    agent.destroy();
  });

  it('checks what it is given', () => {
    expect(() => s.h.sim.addTenant({ id: 'not-a-guid' })).toThrow(/GUID/);
    expect(() => s.h.sim.addUser({ tenantId: 'unknown.example', userPrincipalName: 'x@y' })).toThrow(
      /unknown tenant/,
    );
    expect(() => s.h.sim.injectFault({ status: 429, drop: 'before' })).toThrow(/not both/);
  });
});
