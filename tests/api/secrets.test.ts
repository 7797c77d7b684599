import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { SecretCipher } from '../../src/domain/partners/secret-cipher';
import { createLogger } from '../../src/logging/logger';
import {
  makeHarness,
  validPartner,
  SECRET_VALUE,
  ADMIN_KEY,
  LogCapture,
  type Harness,
} from '../support/harness';

let h: Harness;
beforeEach(() => {
  h = makeHarness();
});
afterEach(async () => {
  await h.close();
});

const NEW_SECRET = 'Zz9Q~another-secret-value-1234567890abcd';

test('the client secret and the keys appear in no answer and no log line, whatever happens', async () => {
  const answers: string[] = [];
  const record = (res: { text: string; headers: Record<string, unknown> }) =>
    answers.push(res.text, JSON.stringify(res.headers));
  record(await h.request.put('/partners/uni-a').set('Authorization', h.admin).send(validPartner()));
  record(await h.request.put('/partners/uni-a').set('Authorization', h.admin).send(validPartner()));
  // Refused bodies that carry the secret must not echo it.
  record(
    await h.request
      .put('/partners/uni-b')
      .set('Authorization', h.admin)
      .send(validPartner({ tenantId: '!' })),
  );
  record(
    await h.request
      .put('/partners/uni-c')
      .set('Authorization', h.admin)
      .send(validPartner({ clientSecret: ` ${SECRET_VALUE} ` })),
  );
  record(
    await h.request.patch('/partners/uni-a').set('Authorization', h.admin).send({ clientSecret: NEW_SECRET }),
  );
  record(await h.request.get('/partners').set('Authorization', h.admin));
  record(await h.request.get('/partners/uni-a').set('Authorization', h.admin));
  const issued = await h.request.post('/partners/uni-a/api-keys').set('Authorization', h.admin);
  const partnerKey = issued.body.key as string;
  record(await h.request.get('/partners/uni-a/api-keys').set('Authorization', h.admin));
  record(await h.request.get('/partners').set('Authorization', `Bearer ${partnerKey}`));
  record(await h.request.get('/openapi.yaml').set('Authorization', `Bearer ${partnerKey}x`));
  record(await h.request.get('/health'));
  record(await h.request.get('/metrics').set('Authorization', h.admin));

  const everything = answers.join('\n');
  const logs = h.logs.text();
  expect(h.logs.lines.length).toBeGreaterThan(10);
  for (const secret of [SECRET_VALUE, NEW_SECRET, ADMIN_KEY, partnerKey]) {
    expect(everything).not.toContain(secret);
    expect(logs).not.toContain(secret);
  }
  expect(logs).not.toContain(partnerKey.slice(0, 20));
});

test('redact removes secrets even when code logs them by mistake', () => {
  const capture = new LogCapture();
  const logger = createLogger('info', capture);
  logger.info({ clientSecret: SECRET_VALUE, partner: { clientSecret: SECRET_VALUE } }, 'a');
  logger.info({ req: { headers: { authorization: `Bearer ${ADMIN_KEY}` } } }, 'b');
  logger.info({ body: { client_secret: SECRET_VALUE, access_token: 'eyJ.token.sig' } }, 'c');
  logger.info({ issued: { key: 'tmk_abc' }, adminApiKey: ADMIN_KEY }, 'd');
  expect(capture.lines).toHaveLength(4);
  expect(capture.text()).not.toMatch(new RegExp(`${SECRET_VALUE}|${ADMIN_KEY}|eyJ\\.token|tmk_abc`));
  expect(capture.text()).toContain('[redacted]');
});

test('redact reaches secrets at any depth, inside errors and inside text, and keeps the rest', () => {
  const capture = new LogCapture();
  const logger = createLogger('info', capture);
  const partnerKey = 'tmk_Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTA';
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJyb2xlcyI6W119.c2lnbmF0dXJl';
  // What an axios error that escaped a token request would carry.
  const escaped = Object.assign(new Error('Request failed with status code 400'), {
    code: 'ERR_BAD_REQUEST',
    config: {
      headers: { Authorization: `Bearer ${jwt}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      data: `client_id=app&client_secret=${encodeURIComponent(SECRET_VALUE)}&scope=x`,
    },
    request: new (class ClientRequest {})(),
  });
  logger.error({ err: escaped }, 'unhandled error');
  logger.warn({ cause: escaped, deep: { a: { b: { c: { d: { apiKey: partnerKey } } } } } }, 'nested');
  logger.warn({ detail: `the tenant refused ${SECRET_VALUE}` }, `key ${partnerKey} and Bearer ${jwt}`);
  logger.error(new Error(`boom with ${partnerKey}`));
  const text = capture.text();
  for (const secret of [SECRET_VALUE, encodeURIComponent(SECRET_VALUE), partnerKey, jwt, 'eyJhbGci']) {
    expect(text).not.toContain(secret);
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const [first, second, third, fourth] = capture.entries() as Array<Record<string, any>>;
  expect(first!.err).toMatchObject({
    type: 'Error',
    message: 'Request failed with status code 400',
    code: 'ERR_BAD_REQUEST',
    config: {
      headers: { Authorization: '[redacted]', 'Content-Type': 'application/x-www-form-urlencoded' },
      data: 'client_id=app&client_secret=[redacted]&scope=x',
    },
    request: '[ClientRequest]',
  });
  expect(second!.cause.config.headers.Authorization).toBe('[redacted]');
  expect(second!.deep.a.b.c.d.apiKey).toBe('[redacted]');
  expect(third!.msg).toBe('key [redacted] and Bearer [redacted]');
  expect(third!.detail).toBe('the tenant refused [redacted]');
  expect(fourth!.msg).toBe('boom with [redacted]');
});

test('the stored secret is unreadable in the database file and bound to its partner', async () => {
  await h.request.put('/partners/uni-a').set('Authorization', h.admin).send(validPartner());
  await h.request.put('/partners/uni-b').set('Authorization', h.admin).send(validPartner());
  const files = [h.dbPath, `${h.dbPath}-wal`].filter((f) => fs.existsSync(f));
  const bytes = Buffer.concat(files.map((f) => fs.readFileSync(f)));
  expect(bytes.length).toBeGreaterThan(0);
  expect(bytes.includes(Buffer.from(SECRET_VALUE))).toBe(false);
  expect(bytes.includes(Buffer.from(SECRET_VALUE.slice(0, 12)))).toBe(false);

  const a = (await h.store.partners.get('uni-a'))!;
  const b = (await h.store.partners.get('uni-b'))!;
  expect(a.clientSecretCiphertext).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
  // A random IV per value: the same secret seals differently.
  expect(a.clientSecretCiphertext).not.toBe(b.clientSecretCiphertext);
  // A ciphertext copied onto another partner's row does not open.
  await expect(
    h.services.partners.clientSecretOf({ ...b, clientSecretCiphertext: a.clientSecretCiphertext }),
  ).rejects.toThrow();
  await expect(h.services.partners.clientSecretOf(a)).resolves.toBe(SECRET_VALUE);
});

describe('SecretCipher', () => {
  const cipher = new SecretCipher(randomBytes(32));

  test('round-trips, and refuses altered values, other keys and other partners', () => {
    const sealed = cipher.encrypt('s3cret', 'uni-a');
    expect(cipher.decrypt(sealed, 'uni-a')).toBe('s3cret');
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[3]!, 'base64url');
    flipped[0] = (flipped[0]! ^ 1) & 0xff;
    expect(() =>
      cipher.decrypt([parts[0], parts[1], parts[2], flipped.toString('base64url')].join('.'), 'uni-a'),
    ).toThrow();
    expect(() => cipher.decrypt(sealed, 'uni-b')).toThrow();
    expect(() => new SecretCipher(randomBytes(32)).decrypt(sealed, 'uni-a')).toThrow();
    expect(() => cipher.decrypt('plain-text', 'uni-a')).toThrow(/format/);
  });

  test('refuses a key that is not 32 bytes', () => {
    expect(() => new SecretCipher(randomBytes(16))).toThrow();
  });
});
