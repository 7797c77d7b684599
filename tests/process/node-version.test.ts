/**
 * An older Node than 24 is refused with one line naming Node 24 and `source .ci/node24.sh`,
 * before any native module loads (better-sqlite3 built for Node 24 crashes an older one with
 * "Segmentation fault"): the service, the doctor, and the test run itself. The older Node is
 * this one made to say it is 20 (a preload), so the test runs on any machine.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
let preload: string;

beforeAll(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-node-'));
  preload = path.join(dir, 'old-node.js');
  // Node 20.20.2 as far as the code can tell, and a record of every native addon that loads.
  fs.writeFileSync(
    preload,
    [
      "Object.defineProperty(process.versions, 'node', { value: '20.20.2' });",
      "const Module = require('node:module');",
      'const load = Module._load;',
      "Module._load = function (request, ...rest) { if (/better-sqlite3/.test(request)) process.stdout.write('LOADED better-sqlite3\\n'); return load.call(this, request, ...rest); };",
    ].join('\n'),
  );
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { NODE_OPTIONS: _n, ...env } = process.env;
  const child = spawn(process.execPath, ['--require', preload, ...args], {
    cwd: ROOT,
    env: { ...env, ADMIN_API_KEY: 'k'.repeat(32), SECRETS_KEY: Buffer.alloc(32).toString('base64') },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // A process that did not refuse (it started serving) is stopped, and the test fails on its code.
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

const ONE_LINE =
  /^teams-meetings needs Node 24 or newer; this is Node 20\.20\.2\. Run `source \.ci\/node24\.sh`.*\n$/;

test.each([
  ['the service', ['dist/main.js']],
  ['the doctor', ['dist/cli/doctor.js', '--partner', 'uni-x', 'ada@uni.ac.uk']],
])('%s exits 1 with one line, and no native module loaded', async (_name, args) => {
  const { code, stdout, stderr } = await run(args);
  expect(code).toBe(1);
  expect(stderr).toMatch(ONE_LINE);
  expect(stdout).not.toContain('LOADED better-sqlite3');
});

test('the test run stops before its first test, with the same line', async () => {
  const jest = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  const { code, stderr } = await run([jest, 'tests/config', '--ci']);
  expect(code).toBe(1);
  expect(stderr).toMatch(/teams-meetings needs Node 24 or newer; this is Node 20\.20\.2\./);
  expect(stderr).not.toMatch(/PASS|FAIL/);
}, 30_000);
