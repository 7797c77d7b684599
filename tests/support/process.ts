/** Calls to a service running as a process, for the process tests. */
import http from 'node:http';

/**
 * One request with a bearer key and a JSON body, over plain http without keep-alive: nothing of
 * a test's connections outlives it. The answer's JSON body ({} when empty).
 */
export function call(url: string, method: string, route: string, key: string, body?: unknown) {
  return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      `${url}${route}`,
      {
        method,
        agent: false,
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          ...(payload ? { 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || '{}') }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
