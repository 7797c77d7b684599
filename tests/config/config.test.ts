import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config';
import { createCertificates } from '../../tools/microsoft-simulator/certificates';
import { x509Certificates } from '../../src/integrations/certificates/x509';

const KEY = Buffer.alloc(32, 7).toString('base64');
const base = { ADMIN_API_KEY: 'a'.repeat(32), SECRETS_KEY: KEY };

describe('loadConfig', () => {
  test('defaults', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      database: { kind: 'sqlite', path: './data/teams-meetings.db' },
      logLevel: 'info',
      azureAuthorityHost: undefined,
      graphBaseUrl: undefined,
      publicBaseUrl: 'http://localhost:3000',
    });
    expect(config.secretsKey).toEqual(Buffer.alloc(32, 7));
  });

  test('reads every variable', () => {
    const config = loadConfig({
      ...base,
      PORT: '8080',
      HOST: '127.0.0.1',
      DATABASE_URL: 'postgresql://u@db:5432/tm',
      DATABASE_POOL_SIZE: '4',
      DATABASE_STATEMENT_TIMEOUT_MS: '2000',
      DATABASE_PREPARED_STATEMENTS: 'false',
      OUTBOUND_MAX_SOCKETS: '300',
      AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.us/',
      GRAPH_BASE_URL: 'https://graph.microsoft.us/v1.0',
      LOG_LEVEL: 'debug',
      PUBLIC_BASE_URL: 'https://meetings.uni.ac.uk/teams/',
    });
    expect(config).toMatchObject({
      publicBaseUrl: 'https://meetings.uni.ac.uk/teams',
      port: 8080,
      host: '127.0.0.1',
      database: {
        kind: 'postgres',
        url: 'postgresql://u@db:5432/tm',
        poolSize: 4,
        statementTimeoutMs: 2000,
        preparedStatements: false,
      },
      outboundMaxSockets: 300,
      azureAuthorityHost: 'https://login.microsoftonline.us',
      graphBaseUrl: 'https://graph.microsoft.us/v1.0',
      logLevel: 'debug',
    });
  });

  test.each([
    [{ ADMIN_API_KEY: undefined }, 'ADMIN_API_KEY', /required/],
    [{ ADMIN_API_KEY: 'short' }, 'ADMIN_API_KEY', /32 characters/],
    [{ SECRETS_KEY: undefined }, 'SECRETS_KEY', /required/],
    [{ SECRETS_KEY: Buffer.alloc(16).toString('base64') }, 'SECRETS_KEY', /32 bytes/],
    [{ SECRETS_KEY: 'not base64 !!' }, 'SECRETS_KEY', /32 bytes/],
    [{ PORT: 'eighty' }, 'PORT', /whole number/],
    [{ PORT: '70000' }, 'PORT', /between/],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL', /sqlite:<path> or postgres/],
    [{ AZURE_AUTHORITY_HOST: 'http://login.microsoftonline.com' }, 'AZURE_AUTHORITY_HOST', /https/],
    [{ GRAPH_BASE_URL: 'graph' }, 'GRAPH_BASE_URL', /https/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /./],
    [{ DATABASE_POOL_SIZE: '0' }, 'DATABASE_POOL_SIZE', /between 1 and 200/],
    [{ DATABASE_PREPARED_STATEMENTS: 'yes' }, 'DATABASE_PREPARED_STATEMENTS', /true or false/],
    [{ OUTBOUND_MAX_SOCKETS: '0' }, 'OUTBOUND_MAX_SOCKETS', /between 1 and 10000/],
    [{ PUBLIC_BASE_URL: 'meetings.uni.ac.uk' }, 'PUBLIC_BASE_URL', /http\(s\)/],
    [{ PUBLIC_BASE_URL: 'ftp://meetings.uni.ac.uk' }, 'PUBLIC_BASE_URL', /http\(s\)/],
    [{ PUBLIC_BASE_URL: 'https://meetings.uni.ac.uk/?x=1' }, 'PUBLIC_BASE_URL', /without query/],
  ])('%j stops the boot with one line naming %s', (override, name, message) => {
    let thrown: Error | undefined;
    try {
      loadConfig({ ...base, ...override } as NodeJS.ProcessEnv);
    } catch (error) {
      thrown = error as Error;
    }
    expect(thrown?.name).toBe('ConfigError');
    expect(thrown?.message).toMatch(new RegExp(`^Configuration error: ${name}: `));
    expect(thrown?.message).toMatch(message);
    expect(thrown?.message).not.toContain('\n');
  });

  test('every bad variable is named, one line each, not only the first', () => {
    let thrown: ConfigError | undefined;
    try {
      loadConfig({ SECRETS_KEY: 'short', PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
    } catch (error) {
      thrown = error as ConfigError;
    }
    expect(thrown?.lines).toEqual([
      expect.stringMatching(/^Configuration error: PORT: /),
      expect.stringMatching(/^Configuration error: DATABASE_URL: /),
      'Configuration error: ADMIN_API_KEY: ADMIN_API_KEY is required',
      expect.stringMatching(/^Configuration error: SECRETS_KEY: .*32 bytes/),
      expect.stringMatching(/^Configuration error: LOG_LEVEL: /),
    ]);
    expect(thrown?.message.split('\n')).toEqual(thrown?.lines);
  });

  test('NODE_EXTRA_CA_CERTS is read into the configuration (Node reads it only at its own start)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-ca-'));
    const { caCertPem } = await createCertificates([]);
    const file = path.join(dir, 'ca.pem');
    fs.writeFileSync(file, caCertPem);
    expect(loadConfig({ ...base, NODE_EXTRA_CA_CERTS: file }).extraCaPem).toBe(caCertPem.trim());
    expect(loadConfig(base).extraCaPem).toBeUndefined();
    expect(() => loadConfig({ ...base, NODE_EXTRA_CA_CERTS: path.join(dir, 'missing.pem') })).toThrow(
      /^Configuration error: NODE_EXTRA_CA_CERTS: .*cannot be read \(ENOENT\)/,
    );
    fs.writeFileSync(path.join(dir, 'junk.pem'), 'not a certificate');
    expect(() => loadConfig({ ...base, NODE_EXTRA_CA_CERTS: path.join(dir, 'junk.pem') })).toThrow(
      /^Configuration error: NODE_EXTRA_CA_CERTS: .*no readable PEM certificate/,
    );
    fs.rmSync(dir, { recursive: true });
  });

  test('empty values count as unset', () => {
    expect(loadConfig({ ...base, PORT: '', LOG_LEVEL: '' }).port).toBe(3000);
  });
});

describe('the platform app', () => {
  const APP = '7e1c0a55-0b9d-4c44-9a36-5f1d7c2b9e01';
  const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'platform-app-'));
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
  const lineOf = (env: Record<string, string>) => {
    try {
      loadConfig({ ...base, ...env });
    } catch (error) {
      return (error as ConfigError).lines;
    }
    return [];
  };

  test('with a federated token file: the file is named, not read into the configuration', () => {
    const file = path.join(dir(), 'token');
    fs.writeFileSync(file, `${jwt}\n`);
    expect(
      loadConfig({ ...base, PLATFORM_APP_ID: APP, AZURE_FEDERATED_TOKEN_FILE: file }).platformApp,
    ).toEqual({
      appId: APP,
      credential: { type: 'federated', tokenFile: file },
    });
  });

  test('with a certificate: its thumbprints, key and expiry', async () => {
    const { certificatePem, privateKeyPem, thumbprint, thumbprintSha256, notAfter } =
      await x509Certificates.generate('TARGETconnect platform', 365, new Date());
    const file = path.join(dir(), 'platform.pem');
    fs.writeFileSync(file, `${certificatePem}\n${privateKeyPem}`);
    const config = loadConfig({ ...base, PLATFORM_APP_ID: APP, PLATFORM_APP_CERTIFICATE_PATH: file });
    expect(config.platformApp?.credential).toMatchObject({
      type: 'certificate',
      thumbprint,
      thumbprintSha256,
      notAfter,
    });
  });

  test.each([
    [
      { PLATFORM_APP_ID: APP },
      'Configuration error: PLATFORM_APP_ID: PLATFORM_APP_ID needs one credential: AZURE_FEDERATED_TOKEN_FILE, PLATFORM_APP_CERTIFICATE_PATH or PLATFORM_APP_CLIENT_SECRET',
    ],
    [
      { PLATFORM_APP_CLIENT_SECRET: 'x' },
      'Configuration error: PLATFORM_APP_ID: PLATFORM_APP_ID is required with PLATFORM_APP_CLIENT_SECRET',
    ],
    [
      { PLATFORM_APP_ID: APP, PLATFORM_APP_CLIENT_SECRET: 'x', PLATFORM_APP_CERTIFICATE_PATH: '/x.pem' },
      'Configuration error: PLATFORM_APP_ID: PLATFORM_APP_ID takes one credential, not PLATFORM_APP_CERTIFICATE_PATH and PLATFORM_APP_CLIENT_SECRET',
    ],
    [
      { PLATFORM_APP_ID: APP, AZURE_FEDERATED_TOKEN_FILE: '/nowhere/token' },
      'Configuration error: AZURE_FEDERATED_TOKEN_FILE: AZURE_FEDERATED_TOKEN_FILE names a file that cannot be read (ENOENT): /nowhere/token',
    ],
    [
      { PLATFORM_APP_ID: 'not-a-guid', PLATFORM_APP_CLIENT_SECRET: 'x' },
      'Configuration error: PLATFORM_APP_ID: PLATFORM_APP_ID must be the application (client) ID of the platform app, a GUID',
    ],
  ])('refuses %j with one line naming the variable', (env, line) => {
    expect(lineOf(env)).toEqual([line]);
  });

  test('a token file without a JWT, and a PEM without its key, are refused', async () => {
    const d = dir();
    fs.writeFileSync(path.join(d, 'token'), 'not a token');
    const { certificatePem } = await x509Certificates.generate('TARGETconnect platform', 365, new Date());
    fs.writeFileSync(path.join(d, 'cert.pem'), certificatePem);
    expect(lineOf({ PLATFORM_APP_ID: APP, AZURE_FEDERATED_TOKEN_FILE: path.join(d, 'token') })).toEqual([
      expect.stringMatching(/^Configuration error: AZURE_FEDERATED_TOKEN_FILE: .*does not hold a JWT/),
    ]);
    expect(lineOf({ PLATFORM_APP_ID: APP, PLATFORM_APP_CERTIFICATE_PATH: path.join(d, 'cert.pem') })).toEqual(
      [
        expect.stringMatching(
          /^Configuration error: PLATFORM_APP_CERTIFICATE_PATH: .*certificate and its private key/,
        ),
      ],
    );
  });

  test('AZURE_FEDERATED_TOKEN_FILE alone (set by Azure Workload Identity for other uses) is no platform app', () => {
    expect(
      loadConfig({ ...base, AZURE_FEDERATED_TOKEN_FILE: '/var/run/secrets/token' }).platformApp,
    ).toBeNull();
  });
});
