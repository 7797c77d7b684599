/** The built service as a process, and calls to it, for the process tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';

const MAIN = path.join(__dirname, '..', '..', 'dist', 'main.js');

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  /** Everything it wrote to stdout so far (its JSON log lines). */
  logs(): string;
}

/**
 * Starts `node dist/main.js` in `cwd` with the test's environment (without NODE_OPTIONS and
 * NODE_EXTRA_CA_CERTS, unless `env` gives them) and `env` over it, on a free port of 127.0.0.1;
 * resolves once it logs its URL. The caller kills it (track it in `children`).
 */
export async function startBuiltService(
  env: Record<string, string>,
  cwd: string,
  children: ChildProcess[] = [],
): Promise<ServiceProcess> {
  const { NODE_OPTIONS: _n, NODE_EXTRA_CA_CERTS: _c, ...rest } = process.env;
  const child = spawn(process.execPath, [MAIN], {
    env: { ...rest, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    cwd,
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', () => reject(new Error(`exited before listening: ${out}`)));
  });
  return { child, url, logs: () => out };
}

/**
 * One request with a bearer key and a JSON body, over plain http without keep-alive: nothing of
 * a test's connections outlives it. The answer's JSON body ({} when empty).
 */
export function call(
  url: string,
  method: string,
  route: string,
  key: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
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
          ...headers,
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
