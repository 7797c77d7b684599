/**
 * The README's examples, run as written against a running sandbox: every `curl` (and the doctor
 * line, and a `NAME=$(curl …)` that keeps a value for later examples) of its shell blocks, in
 * order, in one shell as a reader would, each held to the status the README states for it in the
 * comment above (`→ 201`, `→ exit 0`). Only the address changes: the sandbox here listens on a
 * free port instead of 3000.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const SANDBOX = path.join(ROOT, 'dist-tools', 'sandbox', 'sandbox.js');

interface Example {
  command: string;
  expected: { status: number } | { exit: number } | null;
  line: number;
}

/** The curl and doctor commands of the README's ```sh blocks, with what each should answer. */
function readmeExamples(): Example[] {
  const lines = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n');
  const examples: Example[] = [];
  let inShell = false;
  let comment = '';
  let current: Example | null = null;
  const finish = () => {
    if (current) examples.push(current);
    current = null;
  };
  lines.forEach((line, index) => {
    if (line.startsWith('```')) {
      finish();
      inShell = line === '```sh';
      comment = '';
      return;
    }
    if (!inShell) return;
    if (line.startsWith('#')) {
      finish();
      comment = line;
    } else if (/^(curl |npm run doctor|[A-Z_]+=\$\(curl )/.test(line)) {
      finish();
      const status = /→ (\d{3})\b/.exec(comment);
      const exit = /→ exit (\d)\b/.exec(comment);
      current = {
        command: line,
        expected: status ? { status: Number(status[1]) } : exit ? { exit: Number(exit[1]) } : null,
        line: index + 1,
      };
      comment = '';
    } else if (current && line.trim() !== '') {
      current.command += `\n${line}`;
    }
  });
  finish();
  return examples;
}

function bash(
  script: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd: ROOT, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => resolve({ code, out, err }));
  });
}

let sandbox: ChildProcess;
let output = '';
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-sandbox-'));
  const { NODE_OPTIONS: _n, ADMIN_API_KEY: _a, SECRETS_KEY: _s, ...env } = process.env;
  sandbox = spawn(process.execPath, [SANDBOX], { env: { ...env, PORT: '0', SANDBOX_DATA_DIR: dataDir } });
  sandbox.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  sandbox.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  for (let i = 0; i < 300 && !output.includes('Ctrl-C stops'); i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!output.includes('Ctrl-C stops')) throw new Error(`the sandbox did not come up:\n${output}`);
}, 30_000);

afterAll(async () => {
  sandbox.kill('SIGINT');
  await new Promise((resolve) => sandbox.once('exit', resolve));
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('every example states what it answers', () => {
  const examples = readmeExamples();
  expect(examples.filter((e) => e.command.startsWith('curl')).length).toBeGreaterThanOrEqual(7);
  expect(examples.some((e) => e.command.startsWith('npm run doctor'))).toBe(true);
  expect(examples.filter((e) => e.expected === null).map((e) => `README.md:${e.line}`)).toEqual([]);
});

test("the README's examples answer, in order, what the README says", async () => {
  const url = /service: +(http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]!;
  const exports = /^ {2}(export ADMIN_API_KEY=.+)$/m.exec(output)![1]!;
  const { NODE_OPTIONS: _n, ...env } = process.env;
  const examples = readmeExamples().filter((e) => e.expected !== null);
  // One shell for all of them, as a reader's: each curl tells its status on stderr, each example
  // its exit code, between markers.
  const script = [
    exports,
    `curl() { command curl -w '%{stderr}@@status %{http_code}\\n' "$@"; }`,
    ...examples.flatMap((example) => [
      `echo "@@example ${example.line}" >&2`,
      `${example.command.replaceAll('http://localhost:3000', url)} >/dev/null`,
      'echo "@@exit $?" >&2',
    ]),
  ].join('\n');
  const run = await bash(script, env);
  const results: string[] = [];
  const wanted: string[] = [];
  const sections = run.err.split(/^@@example /m).slice(1);
  for (const example of examples) {
    const where = `README.md:${example.line}`;
    const section = sections.find((s) => s.startsWith(`${example.line}\n`)) ?? '';
    if ('status' in example.expected!) {
      const statuses = [...section.matchAll(/@@status (\d{3})/g)].map((m) => m[1]);
      results.push(`${where} ${statuses[statuses.length - 1] ?? 'no answer'}`);
      wanted.push(`${where} ${example.expected.status}`);
    } else {
      results.push(`${where} exit ${/@@exit (\d+)/.exec(section)?.[1]}`);
      wanted.push(`${where} exit ${example.expected!.exit}`);
    }
  }
  expect(results).toEqual(wanted);
  // The webhooks section's no-show: the sandbox's receiver printed the attendance event, verified.
  const noShow =
    /^WEBHOOK attendance\.ready evt_\S+ signature verified: attendance of appt-held: sam\.student@uni\.ac\.uk attended, olivia\.okafor@uni\.ac\.uk NO-SHOW$/m;
  for (let i = 0; i < 200 && !noShow.test(output); i += 1) await new Promise((r) => setTimeout(r, 50));
  expect(output).toMatch(noShow);
  expect(output).toMatch(/^WEBHOOK webhook\.test evt_\S+ signature verified$/m);
  expect(output).not.toMatch(/SIGNATURE NOT VERIFIED/);
}, 90_000);
