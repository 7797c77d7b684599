/**
 * Certificate credentials end to end, through HTTP against the simulator with the real msal-node:
 * made here or imported (every bad input refused), listed and downloaded, used for tokens once
 * uploaded (a client assertion reaches Entra, no secret), rotated without stopping creates, and
 * seen by verify, /health and the logs, with no private key anywhere but sealed in the store.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, generateKeyPairSync, webcrypto, X509Certificate } from 'node:crypto';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { makeHarness } from '../support/harness';
import {
  APP_ID,
  appointment,
  received,
  TENANT_ID,
  worldsPerTest,
  type ServiceWorld,
} from '../support/service-world';

const worlds = worldsPerTest();

function admin(w: ServiceWorld) {
  return {
    post: (path: string, body: unknown = {}) =>
      w.h.request
        .post(path)
        .set('Authorization', w.h.admin)
        .send(body as object),
    get: (path: string) => w.h.request.get(path).set('Authorization', w.h.admin),
    patch: (path: string, body: unknown) =>
      w.h.request
        .patch(path)
        .set('Authorization', w.h.admin)
        .send(body as object),
    delete: (path: string) => w.h.request.delete(path).set('Authorization', w.h.admin),
  };
}

/** A certificate made outside the service (as a university's own PKI would), for imports. */
async function external(options: { bits?: number; days?: number; notBefore?: Date } = {}) {
  const alg = {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: options.bits ?? 2048,
  };
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const notBefore = options.notBefore ?? new Date(Date.now() - 60_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '0102',
    name: 'CN=uni.ac.uk careers integration',
    notBefore,
    notAfter: new Date(notBefore.getTime() + (options.days ?? 365) * 86_400_000),
    signingAlgorithm: alg,
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
  });
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return {
    certificatePem: cert.toString('pem'),
    privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    key,
  };
}

function pemsOf(pair: { certificatePem: string; privateKeyPem: string }) {
  return { certificatePem: pair.certificatePem, privateKeyPem: pair.privateKeyPem };
}

function expect400(
  res: { status: number; body: { code: string; errors: Array<{ field: string; message: string }> } },
  field: string,
  pattern: RegExp,
) {
  expect(res.status).toBe(400);
  expect(res.body.code).toBe('VALIDATION_FAILED');
  const issue = res.body.errors.find((e) => e.field === field);
  expect(issue?.message).toMatch(pattern);
}

describe('making, listing, downloading and deleting', () => {
  test('a generated certificate: RSA 2048, self-signed, both thumbprints, never the key', async () => {
    const w = await worlds.world();
    const api = admin(w);
    const made = await api.post('/partners/uni-x/certificates', { validityDays: 90 });
    expect(made.status).toBe(201);
    const cert = new X509Certificate(made.body.certificatePem);
    expect(made.body).toMatchObject({
      source: 'generated',
      subject: 'CN=TARGETconnect Teams meetings uni-x',
      thumbprint: cert.fingerprint.replace(/:/g, ''),
      thumbprintSha256: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
    });
    expect(made.body.thumbprint).toMatch(/^[0-9A-F]{40}$/);
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(cert.issuer).toBe(cert.subject);
    expect(Math.round((Date.parse(made.body.notAfter) - Date.now()) / 86_400_000)).toBe(90);
    expect(JSON.stringify(made.body)).not.toMatch(/PRIVATE KEY/);

    const list = await api.get('/partners/uni-x/certificates');
    expect(list.body.certificates.map((c: { id: string }) => c.id)).toEqual([made.body.id]);
    const file = await api.get(`/partners/uni-x/certificates/${made.body.id}/file`);
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toMatch(/^application\/x-pem-file/);
    expect(file.headers['content-disposition']).toBe(
      `attachment; filename="uni-x-${made.body.thumbprint}.cer"`,
    );
    expect(file.text).toBe(made.body.certificatePem);

    expect((await api.delete(`/partners/uni-x/certificates/${made.body.id}`)).status).toBe(204);
    expect((await api.get('/partners/uni-x/certificates')).body.certificates).toEqual([]);
    expect((await api.delete(`/partners/uni-x/certificates/${made.body.id}`)).status).toBe(404);
  });

  test('the store and the logs hold no private key in clear', async () => {
    const w = await worlds.world();
    const made = await admin(w).post('/partners/uni-x/certificates');
    const db = new Database(w.h.dbPath, { readonly: true });
    const rows = db.prepare('SELECT * FROM partner_certificates').all() as Array<Record<string, string>>;
    db.close();
    expect(rows).toHaveLength(1);
    expect(rows[0]!['private_key_ciphertext']).toMatch(/^v1\./);
    expect(JSON.stringify(rows)).not.toMatch(/PRIVATE KEY/);
    // The files themselves (database, WAL, shared memory), byte for byte; and an imported key's body.
    const files = fs
      .readdirSync(path.dirname(w.h.dbPath))
      .filter((f) => f.startsWith(path.basename(w.h.dbPath)));
    expect(files.length).toBeGreaterThanOrEqual(2);
    const pair = await external();
    expect((await admin(w).post('/partners/uni-x/certificates', pemsOf(pair))).status).toBe(201);
    const keyBody = pair.privateKeyPem.split('\n')[5]!;
    for (const file of files) {
      const bytes = fs.readFileSync(path.join(path.dirname(w.h.dbPath), file)).toString('latin1');
      expect(bytes).not.toContain('PRIVATE KEY');
      expect(bytes).not.toContain(keyBody);
    }
    expect(w.h.logs.text()).not.toMatch(/PRIVATE KEY/);
    expect(w.h.logs.text()).toContain(made.body.thumbprint);
  });

  test.each([
    [
      'an unreadable certificate',
      async () => ({ certificatePem: 'not a pem', privateKeyPem: (await external()).privateKeyPem }),
      'body.certificatePem',
      /cannot be read/,
    ],
    [
      'an unreadable key',
      async () => ({
        certificatePem: (await external()).certificatePem,
        privateKeyPem: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----',
      }),
      'body.privateKeyPem',
      /cannot be read/,
    ],
    [
      'the key of another certificate',
      async () => ({
        certificatePem: (await external()).certificatePem,
        privateKeyPem: (await external()).privateKeyPem,
      }),
      'body.privateKeyPem',
      /not the private key of this certificate/,
    ],
    [
      'an RSA key of 1024 bits',
      async () => pemsOf(await external({ bits: 1024 })),
      'body.privateKeyPem',
      /RSA of at least 2048 bits/,
    ],
    [
      'an expired certificate',
      async () => pemsOf(await external({ notBefore: new Date(Date.now() - 400 * 86_400_000), days: 30 })),
      'body.certificatePem',
      /expired/,
    ],
    [
      'an encrypted key without its passphrase',
      async () => {
        const pair = await external();
        return {
          certificatePem: pair.certificatePem,
          privateKeyPem: pair.key
            .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'correct horse' })
            .toString(),
        };
      },
      'body.privateKeyPem',
      /privateKeyPassphrase/,
    ],
  ])('importing %s is a 400 naming the field', async (_label, body, field, pattern) => {
    const w = await worlds.world();
    expect400(await admin(w).post('/partners/uni-x/certificates', await body()), field, pattern);
    expect((await admin(w).get('/partners/uni-x/certificates')).body.certificates).toEqual([]);
  });

  test('an encrypted PKCS#8 key with its passphrase imports', async () => {
    const w = await worlds.world();
    const pair = await external();
    const res = await admin(w).post('/partners/uni-x/certificates', {
      certificatePem: pair.certificatePem,
      privateKeyPem: pair.key
        .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'correct horse' })
        .toString(),
      privateKeyPassphrase: 'correct horse',
    });
    expect(res.status).toBe(201);
    expect(res.body.source).toBe('imported');
    expect(res.body.subject).toBe('CN=uni.ac.uk careers integration');
  });

  test('the same certificate imported again answers the stored one (200, same id), once in the list', async () => {
    const w = await worlds.world();
    const pair = pemsOf(await external());
    const first = await admin(w).post('/partners/uni-x/certificates', pair);
    expect(first.status).toBe(201);
    const again = await admin(w).post('/partners/uni-x/certificates', pair);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const listed = (await admin(w).get('/partners/uni-x/certificates')).body.certificates;
    expect(listed.map((c: { id: string }) => c.id)).toEqual([first.body.id]);
    expect(w.h.logs.text()).toContain('certificate already stored');
  });

  test('an EC key is refused', async () => {
    const w = await worlds.world();
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect400(
      await admin(w).post('/partners/uni-x/certificates', {
        certificatePem: (await external()).certificatePem,
        privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      }),
      'body.privateKeyPem',
      /RSA/,
    );
  });
});

describe('tokens signed with certificates', () => {
  async function certificatePartner(w: ServiceWorld) {
    const made = await admin(w).post('/partners/uni-x/certificates');
    expect((await admin(w).patch('/partners/uni-x', { credentialType: 'certificate' })).status).toBe(200);
    return made.body as { id: string; thumbprint: string; thumbprintSha256: string; certificatePem: string };
  }

  test('not yet uploaded: 424 CERTIFICATE_NOT_REGISTERED naming the thumbprint and the tab; verify says the same', async () => {
    const w = await worlds.world();
    const cert = await certificatePartner(w);
    const res = await w.create(appointment());
    expect(res.status).toBe(424);
    expect(res.body.code).toBe('CERTIFICATE_NOT_REGISTERED');
    expect(res.body.remediation).toContain(cert.thumbprint);
    expect(res.body.remediation).toContain('Certificates & secrets > Certificates');
    const verify = await admin(w).post('/partners/uni-x/verify', {});
    const byId = (id: string) => verify.body.checks.find((c: { id: string }) => c.id === id);
    expect(byId(`certificate:${cert.thumbprint}`).status).toBe('fail');
    expect(byId(`certificate:${cert.thumbprint}`).remediation).toContain(cert.thumbprint);
    expect(byId('certificate-expiry').status).toBe('pass');
  });

  test('before switching: verify probes each certificate as a warning while the secret still signs', async () => {
    const w = await worlds.world();
    const made = (await admin(w).post('/partners/uni-x/certificates')).body as {
      thumbprint: string;
      certificatePem: string;
    };
    const id = `certificate:${made.thumbprint}`;
    const before = await admin(w).post('/partners/uni-x/verify', {});
    const probe = before.body.checks.find((c: { id: string }) => c.id === id);
    expect(probe).toMatchObject({ status: 'warn', step: expect.any(String) });
    expect(probe.remediation).toContain(made.thumbprint);
    expect(before.body.ok).toBe(true);
    expect(before.body.checks.find((c: { id: string }) => c.id === 'credentials').status).toBe('pass');
    worlds.sim.uploadCertificate(TENANT_ID, APP_ID, made.certificatePem);
    const after = await admin(w).post('/partners/uni-x/verify', {});
    expect(after.body.checks.find((c: { id: string }) => c.id === id).status).toBe('pass');
  });

  test('uploaded: the create works, Entra received an assertion and no secret; a warm create asks for no token', async () => {
    const w = await worlds.world();
    const cert = await certificatePartner(w);
    worlds.sim.uploadCertificate(TENANT_ID, APP_ID, cert.certificatePem);
    worlds.sim.clearRequests();
    expect((await w.create(appointment())).status).toBe(201);
    const [token, ...more] = received(worlds.sim, 'token');
    expect(more).toHaveLength(0);
    const form = token!.body as Record<string, string>;
    expect(form['client_secret']).toBeUndefined();
    expect(form['client_assertion_type']).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const header = JSON.parse(Buffer.from(form['client_assertion']!.split('.')[0]!, 'base64url').toString());
    expect(Buffer.from(header['x5t#S256'], 'base64url').toString('hex')).toBe(cert.thumbprintSha256);
    worlds.sim.clearRequests();
    expect((await w.create(appointment())).status).toBe(201);
    expect(received(worlds.sim, 'token')).toHaveLength(0);
    expect(worlds.sim.requests().filter((r) => r.kind === 'graph')).toHaveLength(1);
    const verify = await admin(w).post('/partners/uni-x/verify', {});
    expect(
      verify.body.checks.find((c: { id: string }) => c.id === `certificate:${cert.thumbprint}`).status,
    ).toBe('pass');
  });

  test('secretless: the stored secret can be removed once certificates sign, not before', async () => {
    const w = await worlds.world();
    const early = await admin(w).patch('/partners/uni-x', { clientSecret: null });
    expect(early.status).toBe(400);
    expect(early.body.errors[0].field).toBe('body.clientSecret');
    expect(early.body.errors[0].message).toMatch(/credentialType/);
    const cert = await certificatePartner(w);
    worlds.sim.uploadCertificate(TENANT_ID, APP_ID, cert.certificatePem);
    const removed = await admin(w).patch('/partners/uni-x', { clientSecret: null });
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ hasClientSecret: false, clientSecretExpiresAt: null });
    const db = new Database(w.h.dbPath, { readonly: true });
    const row = db.prepare('SELECT client_secret_ciphertext FROM partners').get() as Record<string, unknown>;
    db.close();
    expect(row['client_secret_ciphertext']).toBeNull();
    expect((await w.create(appointment())).status).toBe(201);
    const back = await admin(w).patch('/partners/uni-x', { credentialType: 'clientSecret' });
    expect(back.status).toBe(400);
    expect(back.body.errors[0].field).toBe('body.clientSecret');
    const verify = await admin(w).post('/partners/uni-x/verify', {});
    expect(verify.body.checks.find((c: { id: string }) => c.id === 'secret-expiry')?.status ?? 'skip').toBe(
      'skip',
    );
  });

  test('rotation: a newer certificate not yet uploaded does not stop creates; once uploaded it is used', async () => {
    const w = await worlds.world();
    const first = await certificatePartner(w);
    worlds.sim.uploadCertificate(TENANT_ID, APP_ID, first.certificatePem);
    expect((await w.create(appointment())).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 5)); // a later createdAt
    const second = (await admin(w).post('/partners/uni-x/certificates')).body;
    // A partner change drops the held token: the next create asks Entra again.
    await admin(w).patch('/partners/uni-x', { cloud: 'global' });
    worlds.sim.clearRequests();
    expect((await w.create(appointment())).status).toBe(201);
    const thumbprintsTried = received(worlds.sim, 'token').map((r) => {
      const assertion = (r.body as Record<string, string>)['client_assertion']!;
      return Buffer.from(
        JSON.parse(Buffer.from(assertion.split('.')[0]!, 'base64url').toString())['x5t#S256'],
        'base64url',
      ).toString('hex');
    });
    expect(thumbprintsTried).toEqual([second.thumbprintSha256, first.thumbprintSha256]);
    expect(received(worlds.sim, 'token').map((r) => r.status)).toEqual([401, 200]);

    worlds.sim.uploadCertificate(TENANT_ID, APP_ID, second.certificatePem);
    await admin(w).patch('/partners/uni-x', { cloud: 'global' });
    worlds.sim.clearRequests();
    expect((await w.create(appointment())).status).toBe(201);
    expect(received(worlds.sim, 'token').map((r) => r.status)).toEqual([200]);
  });

  test('no valid certificate: 424 NO_USABLE_CREDENTIAL; /health counts it', async () => {
    const w = await worlds.world();
    expect((await admin(w).patch('/partners/uni-x', { credentialType: 'certificate' })).status).toBe(200);
    const res = await w.create(appointment());
    expect(res.status).toBe(424);
    expect(res.body.code).toBe('NO_USABLE_CREDENTIAL');
    const health = await w.h.request.get('/health');
    expect(health.body.status).toBe('degraded');
    expect(health.body.checks.partners.certificatesExpired).toBe(1);
  });

  test('a certificate that ends within 30 days: verify warns and /health is degraded', async () => {
    const w = await worlds.world();
    const cert = (await admin(w).post('/partners/uni-x/certificates', { validityDays: 30 })).body;
    expect((await admin(w).patch('/partners/uni-x', { credentialType: 'certificate' })).status).toBe(200);
    worlds.sim.uploadCertificate(TENANT_ID, APP_ID, cert.certificatePem);
    const verify = await admin(w).post('/partners/uni-x/verify', {});
    const expiry = verify.body.checks.find((c: { id: string }) => c.id === 'certificate-expiry');
    expect(expiry.status).toBe('warn');
    expect(expiry.detail).toContain(cert.thumbprint);
    const health = await w.h.request.get('/health');
    expect(health.body.checks.partners.certificatesExpiringSoon).toBe(1);
  });

  test('switching between secret and certificate on one instance takes effect at the next request on another', async () => {
    const w = await worlds.world();
    const other = makeHarness({
      store: w.h.store,
      secretsKey: w.h.secretsKey,
      microsoft: {
        azureAuthorityHost: worlds.sim.authorityHost,
        graphBaseUrl: worlds.sim.graphBaseUrl,
        extraCaPem: worlds.sim.caCertPem,
      },
    });
    try {
      const viaOther = () =>
        other.request
          .post('/appointments/meeting')
          .set('Authorization', `Bearer ${w.partnerKey}`)
          .send(appointment());
      expect((await viaOther()).status).toBe(201);
      const cert = await certificatePartner(w); // through the first instance
      expect((await viaOther()).body.code).toBe('CERTIFICATE_NOT_REGISTERED');
      worlds.sim.uploadCertificate(TENANT_ID, APP_ID, cert.certificatePem);
      expect((await viaOther()).status).toBe(201);
      expect((await admin(w).patch('/partners/uni-x', { credentialType: 'clientSecret' })).status).toBe(200);
      worlds.sim.clearRequests();
      expect((await viaOther()).status).toBe(201);
      expect(
        (received(worlds.sim, 'token')[0]!.body as Record<string, string>)['client_secret'],
      ).toBeDefined();
    } finally {
      await other.close();
    }
  });
});
