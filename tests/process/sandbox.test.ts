/**
 * `npm run sandbox` as a person runs it: the simulator and the service come up, the partner is
 * seeded, the printed keys work, and Ctrl-C stops both cleanly.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import axios from 'axios';

const SANDBOX = path.join(__dirname, '..', '..', 'dist-tools', 'sandbox', 'sandbox.js');

test('the sandbox serves /health, prints working keys and a curl that creates a meeting, and stops on SIGINT', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-test-'));
  const { NODE_OPTIONS: _n, ADMIN_API_KEY: _a, SECRETS_KEY: _s, ...env } = process.env;
  const child = spawn(process.execPath, [SANDBOX], {
    env: { ...env, PORT: '0', SANDBOX_DATA_DIR: dataDir, LOG_LEVEL: 'info' },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      // The welcome, then the service's log lines: written one after the other, read in chunks.
      const timer = setInterval(() => {
        if (out.includes('Ctrl-C stops') && out.includes('"sandbox":true')) {
          clearInterval(timer);
          resolve();
        }
      }, 50);
      void exited.then(() => {
        clearInterval(timer);
        reject(new Error(`sandbox exited early:\n${out}`));
      });
    });
    expect(out).toContain('SANDBOX');
    expect(out).toMatch(/"sandbox":true/);
    const url = /service: +(http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
    const adminKey = /admin key: +(\S+)/.exec(out)![1]!;
    const partnerKey = /partner key: +(tmk_\S+) +\(partner 'uni-example'\)/.exec(out)![1]!;
    const calendarKey = /partner key: +(tmk_\S+) +\(partner 'uni-calendar', calendar-backed\)/.exec(out)![1]!;
    expect(out).toContain(`curl -sS -X POST ${url}/appointments/meeting`);

    const health = await axios.get(`${url}/health`);
    expect(health.status).toBe(200);
    expect(health.data.checks.partners.total).toBe(3);
    expect(health.data.checks.platformApp).toEqual({ status: 'ok', credential: 'federated' });
    const partner = await axios.get(`${url}/partners/uni-example`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(partner.data).toMatchObject({ id: 'uni-example', tenantId: 'uni.ac.uk', hasClientSecret: true });
    const calendar = await axios.get(`${url}/partners/uni-calendar`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(calendar.data).toMatchObject({ meetingMode: 'calendarEvent', sendInvitations: true });
    // What the README's examples need, printed for a second terminal.
    expect(out).toMatch(
      new RegExp(
        `export ADMIN_API_KEY='${adminKey}' PARTNER_KEY='${partnerKey}' CALENDAR_PARTNER_KEY='${calendarKey}' SIMULATOR_URL='https://127\\.0\\.0\\.1:\\d+' SIMULATOR_CA='[^']+simulator-ca\\.pem' WEBHOOK_ID='wh_[A-Za-z0-9_-]{16}' RECEIVER_URL='http://127\\.0\\.0\\.1:\\d+' PLATFORM_PARTNER_KEY='tmk_\\S+'`,
      ),
    );
    expect(out).toMatch(/stays in the foreground/);
    // The log lines come after the welcome, not through it.
    expect(out.indexOf('"sandbox":true')).toBeGreaterThan(out.indexOf('Ctrl-C stops'));
    const forbidden = await axios.get(`${url}/partners`, {
      headers: { authorization: `Bearer ${partnerKey}` },
      validateStatus: () => true,
    });
    expect(forbidden.status).toBe(403);

    // The printed curl, sent as printed: a real (simulated) Teams meeting through NODE_EXTRA_CA_CERTS.
    const printedBody = /-d '(\{.*\})'/.exec(out)![1]!;
    const created = await axios.post(`${url}/appointments/meeting`, JSON.parse(printedBody), {
      headers: { authorization: `Bearer ${partnerKey}` },
      validateStatus: () => true,
    });
    expect(created.status).toBe(201);
    expect(created.data.joinWebUrl).toMatch(/^https:\/\/teams\.microsoft\.com\//);
    expect(created.data.organizer.userPrincipalName).toBe('ada.adviser@uni.ac.uk');
    // The sandbox's receiver got the event, signed, and printed it.
    const webhookLine = new RegExp(
      `^WEBHOOK meeting\\.created evt_\\S+ signature verified: ${created.data.appointmentId} scheduled \\(sequence \\d+\\)$`,
      'm',
    );
    for (let i = 0; i < 100 && !webhookLine.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    expect(out).toMatch(webhookLine);

    // The printed setup link opens the page and its token opens the partner's setup.
    const setupUrl = /^ {2}(http:\/\/127\.0\.0\.1:\d+\/setup#tms_\S+)$/m.exec(out)![1]!;
    expect((await axios.get(setupUrl.split('#')[0]!)).headers['content-type']).toMatch(/^text\/html/);
    const whose = await axios.get(`${url}/setup-link`, {
      headers: { authorization: `Bearer ${setupUrl.split('#')[1]}` },
    });
    expect(whose.data.partnerId).toBe('uni-example');

    // The printed doctor line, run as printed: one adviser passes, the other lacks the policy.
    const doctorLine = /(ADMIN_API_KEY='\S+' npm run doctor -- [^\n]*\\\n[^\n]*)/.exec(out)![1]!;
    const doctor = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const run = spawn('bash', ['-c', doctorLine], { cwd: path.join(__dirname, '..', '..') });
      let text = '';
      run.stdout.on('data', (d: Buffer) => (text += d.toString()));
      run.stderr.on('data', (d: Buffer) => (text += d.toString()));
      run.once('exit', (code) => resolve({ code, text }));
    });
    expect(doctor.text).toMatch(/✔ PASS +access-policy:0/);
    expect(doctor.text).toMatch(/✖ FAIL +access-policy:1/);
    expect(doctor.code).toBe(1);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('Sandbox stopped.');
    await expect(axios.get(`${url}/health`, { timeout: 1000 })).rejects.toThrow();
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a taken port is refused with the variable that picks another', async () => {
  const holder = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => holder.once('listening', resolve));
  const port = (holder.address() as net.AddressInfo).port;
  try {
    const { NODE_OPTIONS: _n, ...env } = process.env;
    const child = spawn(process.execPath, [SANDBOX], { env: { ...env, PORT: String(port) } });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(err).toContain(`Port ${port} on 127.0.0.1 is taken`);
    expect(err).toContain(`PORT=${port + 1} npm run sandbox`);
  } finally {
    holder.close();
  }
});

test('the sandbox refuses to listen beyond loopback unless told to, since it prints working keys', async () => {
  const { NODE_OPTIONS: _n, ...env } = process.env;
  const child = spawn(process.execPath, [SANDBOX], { env: { ...env, HOST: '0.0.0.0', PORT: '0' } });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(2);
  expect(err).toMatch(/loopback only/);
  expect(err).toMatch(/SANDBOX_ALLOW_REMOTE=1/);
});
