/**
 * What Node's HTTP parser refuses, answered like everything else: problem+json with a request id
 * and the security headers (red-team item 13). The server is built as main.ts builds it.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { answerProtocolErrors } from '../../src/api/protocol-errors';
import { SECURITY_HEADERS } from '../../src/api/middleware/security-headers';
import { createLogger } from '../../src/logging/logger';
import { makeHarness, type Harness } from '../support/harness';

let h: Harness;
let server: http.Server;
let port: number;

beforeAll(async () => {
  h = makeHarness();
  server = http.createServer({ requireHostHeader: false, connectionsCheckingInterval: 50 }, h.built.app);
  server.headersTimeout = 400;
  server.requestTimeout = 400;
  answerProtocolErrors(server, createLogger('silent'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await h.close();
});

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends bytes as they are; `hold` keeps the socket open without finishing the request. */
function raw(bytes: string, hold = false): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => (hold ? socket.write(bytes) : socket.end(bytes)));
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', ...rest] = data.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const at = line.indexOf(':');
        headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
  });
}

function expectProblem(answer: RawAnswer, status: number, code: string): void {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(answer.body) as { status: number; code: string; requestId: string };
  expect(body).toMatchObject({ status, code });
  expect(body.requestId).toBe(answer.headers['x-request-id']);
  for (const [name, value] of SECURITY_HEADERS) expect(answer.headers[name.toLowerCase()]).toBe(value);
}

test.each([
  ['a 17 kB URL', `GET /${'a'.repeat(17_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431, 'REQUEST_HEADERS_TOO_LARGE'],
  [
    'a 20 kB header',
    `GET /health HTTP/1.1\r\nHost: x\r\nX-A: ${'a'.repeat(20_000)}\r\n\r\n`,
    431,
    'REQUEST_HEADERS_TOO_LARGE',
  ],
  [
    'Content-Length with Transfer-Encoding',
    'POST /partners HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    400,
    'VALIDATION_FAILED',
  ],
  [
    'bad chunking',
    'POST /appointments/meeting HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    400,
    'VALIDATION_FAILED',
  ],
  ['bare LF', 'GET /health HTTP/1.1\nHost: x\n\n', 400, 'VALIDATION_FAILED'],
  ['NUL in a header', 'GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n', 400, 'VALIDATION_FAILED'],
  ['no Host', 'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n', 400, 'VALIDATION_FAILED'],
  [
    'an Expect it cannot meet',
    'GET /health HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nConnection: close\r\n\r\n',
    417,
    'EXPECTATION_FAILED',
  ],
])('%s is answered as problem+json', async (_label, bytes, status, code) => {
  expectProblem(await raw(bytes), status, code);
});

test('a request whose headers do not arrive in time: 408 REQUEST_TIMEOUT', async () => {
  expectProblem(await raw('GET /health HTTP/1.1\r\nHost: x\r\n', true), 408, 'REQUEST_TIMEOUT');
});

test('an ordinary request on the same server is unaffected', async () => {
  const answer = await raw('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  expect(answer.status).toBe(200);
});
