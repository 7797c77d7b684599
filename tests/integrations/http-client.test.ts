import { createHttpClient, proxyFromEnvironment } from '../../src/integrations/microsoft/http-client';

describe('proxy from the environment', () => {
  test('is looked for only when a proxy variable is set', () => {
    expect(proxyFromEnvironment({})).toBe(false);
    expect(proxyFromEnvironment({ NO_PROXY: 'localhost', HTTPS_PROXY: '' })).toBe(false);
    expect(proxyFromEnvironment({ HTTPS_PROXY: 'http://proxy.uni.example:3128' })).toBe(true);
    expect(proxyFromEnvironment({ http_proxy: 'http://proxy.uni.example:3128' })).toBe(true);
    expect(proxyFromEnvironment({ ALL_PROXY: 'http://proxy.uni.example:3128' })).toBe(true);
  });

  test('without one, the client is told so once; with one, axios reads it per call', () => {
    const names = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY'];
    const saved = names.map((name) => [name, process.env[name]] as const);
    try {
      for (const name of names) delete process.env[name];
      const direct = createHttpClient();
      expect(direct.axios.defaults.proxy).toBe(false);
      direct.close();
      process.env.HTTPS_PROXY = 'http://proxy.uni.example:3128';
      const proxied = createHttpClient();
      expect(proxied.axios.defaults.proxy).toBeUndefined();
      proxied.close();
    } finally {
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
