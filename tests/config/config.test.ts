import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config';
import { createCertificates } from '../../tools/microsoft-simulator/certificates';

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
