/**
 * A SECRETS_KEY that changed since the secrets were stored is a configuration failure, told as
 * one: 424 with the same remediation as verify, and counted by /health (red-team item 6).
 */
import { randomBytes } from 'node:crypto';
import { makeHarness } from '../support/harness';
import { appointment, makeWorld, received } from '../support/service-world';
import { startSimulator, type MicrosoftSimulator } from '../../tools/microsoft-simulator';

let sim: MicrosoftSimulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());

test('creates answer 424 CLIENT_SECRET_UNREADABLE, verify agrees, and /health counts a credential failure', async () => {
  const first = await makeWorld({ sim });
  // The same store, restarted with another SECRETS_KEY.
  const restarted = makeHarness({
    store: first.h.store,
    secretsKey: randomBytes(32),
    microsoft: {
      azureAuthorityHost: sim.authorityHost,
      graphBaseUrl: sim.graphBaseUrl,
      extraCaPem: sim.caCertPem,
    },
  });
  try {
    const res = await restarted.request
      .post('/appointments/meeting')
      .set('Authorization', `Bearer ${first.partnerKey}`)
      .send(appointment());
    expect(res.status).toBe(424);
    expect(res.body.code).toBe('CLIENT_SECRET_UNREADABLE');
    expect(res.body.remediation).toMatch(/SECRETS_KEY/);
    expect(res.body.remediation).toMatch(/PATCH \/partners\/\{partnerId\}/);
    expect(received(sim, 'token')).toHaveLength(0);

    const health = await restarted.request.get('/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('degraded');
    expect(health.body.checks.partners.credentialFailures).toBe(1);

    const verify = await restarted.request
      .post('/partners/uni-x/verify')
      .set('Authorization', restarted.admin)
      .send({});
    const configuration = verify.body.checks.find((c: { id: string }) => c.id === 'configuration');
    expect(configuration.status).toBe('fail');
    expect(res.body.remediation).toBe(configuration.remediation);
  } finally {
    await restarted.close();
    await first.close();
  }
});
