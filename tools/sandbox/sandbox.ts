/**
 * `npm run sandbox`: the whole thing on one machine with nothing from Microsoft. Starts the
 * Microsoft simulator (HTTPS on loopback, its own CA), runs the built service against it on a
 * fresh SQLite file, seeds the README's partner (`uni-example`) through the admin API and prints
 * the keys, the two exports the README's examples need, a ready `curl` and the doctor. It stays
 * in the foreground; Ctrl-C stops both. Everything is throwaway: new keys and database each run
 * (ADMIN_API_KEY and SECRETS_KEY are reused from the environment when set).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import readline from 'node:readline';
import axios from 'axios';
import { seedSimulator, startSimulator, type MicrosoftSimulator } from '../microsoft-simulator';
import {
  startWebhookReceiver,
  type ReceivedWebhook,
  type WebhookReceiver,
} from '../webhook-receiver/receiver';
import {
  SANDBOX_APP_ID,
  SANDBOX_CLIENT_SECRET,
  SANDBOX_DOMAIN,
  SANDBOX_OPERATORS,
  SANDBOX_PARTNER_ID,
  SANDBOX_CALENDAR_PARTNER_ID,
  SANDBOX_STUDENTS,
  SANDBOX_PLATFORM_APP_ID,
  SANDBOX_PLATFORM_HOME_TENANT_ID,
  SANDBOX_PLATFORM_PARTNER_ID,
  sandboxWorld,
} from '../fixtures/sandbox-world';
import { federatedIssuer } from '../fixtures/federation';

const DATA_DIR = path.resolve(process.env.SANDBOX_DATA_DIR ?? path.join('data', 'sandbox'));
/** The built service: `npm run build` writes it; this file runs from dist-tools/sandbox/. */
const MAIN = path.join(__dirname, '..', '..', 'dist', 'main.js');

function banner(lines: string[]): string {
  const width = Math.max(...lines.map((l) => l.length)) + 4;
  const rule = '#'.repeat(width);
  return [rule, ...lines.map((l) => `# ${l.padEnd(width - 4)} #`), rule].join('\n');
}

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Loopback only, unless SANDBOX_ALLOW_REMOTE=1: the sandbox prints keys that work. */
function listenHost(): string {
  const host = process.env.HOST ?? '127.0.0.1';
  const loopback = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/i.test(host);
  if (loopback) return host;
  if (process.env.SANDBOX_ALLOW_REMOTE !== '1') {
    process.stderr.write(
      `The sandbox listens on loopback only: it prints working admin and partner keys, and HOST=${host} ` +
        'would let anyone who can reach this machine use them. Unset HOST, or set SANDBOX_ALLOW_REMOTE=1 ' +
        'if you really mean to expose it.\n',
    );
    process.exit(2);
  }
  say(
    banner([
      `WARNING: HOST=${host} with SANDBOX_ALLOW_REMOTE=1: the sandbox, and the keys printed`,
      'below, are reachable from other machines. Stop it (Ctrl-C) when you are done.',
    ]),
  );
  return host;
}

async function main(): Promise<void> {
  const host = listenHost();
  say(
    banner([
      'SANDBOX: simulated Microsoft, throwaway keys and data.',
      'Never point real universities at it.',
    ]),
  );
  // A concrete port even for PORT=0: the platform app's redirect URI (PUBLIC_BASE_URL) names it.
  const port = process.env.PORT === '0' ? String(await freePort(host)) : (process.env.PORT ?? '3000');
  await refuseTakenPort(host, Number(port));
  fs.rmSync(DATA_DIR, { recursive: true, force: true });
  fs.mkdirSync(DATA_DIR, { recursive: true });

  const simulator = await startSimulator({ port: Number(process.env.SIMULATOR_PORT ?? 0) });
  const caFile = path.join(DATA_DIR, 'simulator-ca.pem');
  fs.writeFileSync(caFile, simulator.caCertPem);
  seedSimulator(simulator, sandboxWorld());
  // TARGETconnect's platform app: multi-tenant, its consent coming back to this service, and a
  // token issuer of the sandbox's own as its federated credential. The token file is minted now
  // and again every 30 minutes, as a platform rewrites it: no secret exists anywhere.
  const publicBaseUrl = process.env.PUBLIC_BASE_URL ?? `http://localhost:${port}`;
  const issuer = federatedIssuer(
    'https://oidc.sandbox.teams-meetings.example',
    'system:serviceaccount:teams-meetings:service',
  );
  simulator.addApp({
    tenantId: SANDBOX_PLATFORM_HOME_TENANT_ID,
    appId: SANDBOX_PLATFORM_APP_ID,
    secrets: [],
    roles: ['OnlineMeetings.ReadWrite.All', 'User.ReadBasic.All', 'OnlineMeetingArtifact.Read.All'],
    multiTenant: true,
    redirectUris: [`${publicBaseUrl.replace(/\/$/, '')}/setup/consent`],
    federatedCredentials: [issuer.credential],
  });
  const tokenFile = path.join(DATA_DIR, 'federated-token');
  fs.writeFileSync(tokenFile, issuer.mint());
  setInterval(() => fs.writeFileSync(tokenFile, issuer.mint()), 30 * 60_000).unref();
  // TARGETconnect's side: a receiver that verifies each event's signature and prints it.
  const receiver = await startWebhookReceiver({
    port: Number(process.env.WEBHOOK_RECEIVER_PORT ?? 0),
    onEvent: printEvent,
  });

  const adminKey = process.env.ADMIN_API_KEY ?? `sandbox-admin-${randomBytes(24).toString('base64url')}`;
  const child = spawn(process.execPath, [MAIN], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      TEAMS_MEETINGS_SANDBOX: '1',
      PORT: port,
      HOST: host,
      DATABASE_URL: `sqlite:${path.join(DATA_DIR, 'teams-meetings.db')}`,
      ADMIN_API_KEY: adminKey,
      SECRETS_KEY: process.env.SECRETS_KEY ?? randomBytes(32).toString('base64'),
      AZURE_AUTHORITY_HOST: simulator.authorityHost,
      GRAPH_BASE_URL: simulator.graphBaseUrl,
      NODE_EXTRA_CA_CERTS: caFile,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      // Nothing balances load onto the sandbox: Ctrl-C stops it at once.
      SHUTDOWN_GRACE_MS: process.env.SHUTDOWN_GRACE_MS ?? '0',
      PUBLIC_BASE_URL: publicBaseUrl,
      PLATFORM_APP_ID: SANDBOX_PLATFORM_APP_ID,
      AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      // The receiver listens on loopback over http; attendance is looked for soon after a meeting.
      WEBHOOK_ALLOW_INSECURE: 'true',
      ATTENDANCE_CHECK_DELAYS: process.env.ATTENDANCE_CHECK_DELAYS ?? '5s,10s,1m,5m',
    },
  });

  let stopping = false;
  const stop = async (code: number): Promise<never> => {
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await simulator.close();
    await receiver.close();
    say('Sandbox stopped.');
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  child.once('exit', (code) => {
    if (stopping) return;
    process.stderr.write(`The service exited (code ${code}); stopping the sandbox.\n`);
    void stop(1);
  });

  const log = serviceLog(child);
  const url = await log.listening;
  await seedPartner(url, adminKey, receiver).then(
    ({ partnerKey, calendarPartnerKey, setupUrl, webhookId, platformPartnerKey }) => {
      printWelcome(
        url,
        adminKey,
        partnerKey,
        calendarPartnerKey,
        setupUrl,
        simulator,
        caFile,
        receiver,
        webhookId,
        platformPartnerKey,
      );
      // The service's JSON log lines, held back until now so they do not cut through the welcome.
      say('Service log (JSON lines):');
      log.flow();
    },
    async (error: unknown) => {
      process.stderr.write(`Could not seed the sandbox: ${(error as Error).message}\n`);
      await stop(1);
    },
  );
}

/** A port free now on `host`. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** A port another program holds: say so, and which variable picks another, instead of EADDRINUSE. */
async function refuseTakenPort(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const taken = await new Promise<boolean>((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(true));
    probe.listen(port, host, () => probe.close(() => resolve(false)));
  });
  if (!taken) return;
  process.stderr.write(
    `Port ${port} on ${host} is taken (another sandbox, or the service?). Stop it, or pick another port: PORT=${port + 1} npm run sandbox\n`,
  );
  process.exit(2);
}

/**
 * The service's log lines, held back until `flow()` and then passed through; `listening` resolves
 * with its URL once it listens.
 */
function serviceLog(child: ChildProcess): { listening: Promise<string>; flow(): void } {
  const held: string[] = [];
  let flowing = false;
  const listening = new Promise<string>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (flowing) say(line);
      else held.push(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'teams-meetings listening' && entry.url) resolve(entry.url);
      } catch {
        // not a JSON line: passed through as it is
      }
    });
    child.once('exit', () => {
      for (const line of held.splice(0)) say(line);
      reject(new Error('the service exited before listening'));
    });
  });
  return {
    listening,
    flow() {
      flowing = true;
      for (const line of held.splice(0)) say(line);
    },
  };
}

async function seedPartner(
  url: string,
  adminKey: string,
  receiver: WebhookReceiver,
): Promise<{
  partnerKey: string;
  calendarPartnerKey: string;
  setupUrl: string;
  webhookId: string;
  platformPartnerKey: string;
}> {
  const admin = axios.create({
    baseURL: url,
    timeout: 5000,
    headers: { authorization: `Bearer ${adminKey}` },
  });
  const configuration = {
    applicationId: SANDBOX_APP_ID,
    tenantId: SANDBOX_DOMAIN,
    clientSecret: SANDBOX_CLIENT_SECRET,
    clientSecretExpiresAt: new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10),
    operatorLocalMatchField: 'email',
    operatorRemoteMatchField: 'mail',
    userLocalMatchField: 'email',
    userRemoteMatchField: 'userPrincipalName',
    cloud: 'global',
  };
  await admin.put(`/partners/${SANDBOX_PARTNER_ID}`, configuration);
  const issued = await admin.post<{ key: string }>(`/partners/${SANDBOX_PARTNER_ID}/api-keys`);
  // The second partner: the same university's registration, its meetings in the advisers' calendars.
  await admin.put(`/partners/${SANDBOX_CALENDAR_PARTNER_ID}`, {
    ...configuration,
    meetingMode: 'calendarEvent',
  });
  const calendarIssued = await admin.post<{ key: string }>(
    `/partners/${SANDBOX_CALENDAR_PARTNER_ID}/api-keys`,
  );
  const link = await admin.post<{ url: string }>(`/partners/${SANDBOX_PARTNER_ID}/setup-links`, {});
  // The third partner: the same university on TARGETconnect's platform app, not consented yet.
  const {
    applicationId: _own,
    clientSecret: _secret,
    clientSecretExpiresAt: _expiry,
    ...platformFields
  } = configuration;
  await admin.put(`/partners/${SANDBOX_PLATFORM_PARTNER_ID}`, {
    ...platformFields,
    credentialType: 'platformApp',
  });
  const platformIssued = await admin.post<{ key: string }>(
    `/partners/${SANDBOX_PLATFORM_PARTNER_ID}/api-keys`,
  );
  // uni-example's events go to the receiver, as TARGETconnect's backend would register them.
  const webhook = await axios.post<{ id: string; secret: string }>(
    `${url}/webhooks`,
    { url: `${receiver.url}/targetconnect/events`, events: ['*'], description: 'sandbox receiver' },
    { timeout: 5000, headers: { authorization: `Bearer ${issued.data.key}` } },
  );
  receiver.setSecrets([webhook.data.secret]);
  // The address the service listens on, whatever PUBLIC_BASE_URL says (PORT=0 picks a free port).
  return {
    partnerKey: issued.data.key,
    calendarPartnerKey: calendarIssued.data.key,
    setupUrl: `${url}/setup#${link.data.url.split('#')[1]}`,
    webhookId: webhook.data.id,
    platformPartnerKey: platformIssued.data.key,
  };
}

/** One line per event the receiver got: whether its signature verified, and what it says. */
function printEvent(received: ReceivedWebhook): void {
  const event = received.event;
  const data = (event?.data ?? {}) as Record<string, unknown>;
  const about =
    event?.type === 'attendance.ready'
      ? `attendance of ${String(data['appointmentId'])}: ` +
        (
          (data['attendees'] as Array<{ attended: boolean; userPrincipalName?: string; value?: string }>) ??
          []
        )
          .map((a) => `${a.userPrincipalName ?? a.value ?? '?'} ${a.attended ? 'attended' : 'NO-SHOW'}`)
          .join(', ')
      : event?.type === 'partner.setup_problem'
        ? `${String(data['code'])}: ${String(data['detail'])}`
        : event?.type?.startsWith('meeting.')
          ? `${String(data['appointmentId'])} ${String(data['status'])} (sequence ${String(data['sequence'])})`
          : '';
  say(
    `WEBHOOK ${event?.type ?? '(not JSON)'} ${received.headers['webhook-id'] ?? ''} ` +
      `${received.verified ? 'signature verified' : 'SIGNATURE NOT VERIFIED'}${received.duplicate ? ' (duplicate: dropped)' : ''}` +
      `${about ? `: ${about}` : ''}`,
  );
}

function printWelcome(
  url: string,
  adminKey: string,
  partnerKey: string,
  calendarPartnerKey: string,
  setupUrl: string,
  simulator: MicrosoftSimulator,
  caFile: string,
  receiver: WebhookReceiver,
  webhookId: string,
  platformPartnerKey: string,
): void {
  const start = new Date(Date.now() + 86_400_000);
  start.setUTCMinutes(0, 0, 0);
  const end = new Date(start.getTime() + 30 * 60_000);
  const body = JSON.stringify({
    appointmentId: `sandbox-${Date.now()}`,
    subject: 'Careers guidance appointment',
    startDateTime: start.toISOString().replace('.000Z', 'Z'),
    endDateTime: end.toISOString().replace('.000Z', 'Z'),
    operator: { email: SANDBOX_OPERATORS.withPolicy[0] },
    attendees: [{ email: SANDBOX_STUDENTS[0] }, { email: `not.in.entra@${SANDBOX_DOMAIN}` }],
  });
  say(
    [
      '',
      banner([
        'SANDBOX READY (simulated Microsoft; keys change every run)',
        `service:        ${url}`,
        `simulator:      ${simulator.url}`,
        `admin key:      ${adminKey}`,
        `partner key:    ${partnerKey}   (partner '${SANDBOX_PARTNER_ID}')`,
        `partner key:    ${calendarPartnerKey}   (partner '${SANDBOX_CALENDAR_PARTNER_ID}', calendar-backed)`,
        `partner key:    ${platformPartnerKey}   (partner '${SANDBOX_PLATFORM_PARTNER_ID}', TARGETconnect's platform app)`,
        `webhooks:       ${receiver.url} (uni-example's events, printed below as WEBHOOK lines)`,
      ]),
      '',
      'Create a Teams meeting for an appointment:',
      `  curl -sS -X POST ${url}/appointments/meeting \\`,
      `    -H 'Authorization: Bearer ${partnerKey}' -H 'Content-Type: application/json' \\`,
      `    -d '${body}'`,
      '',
      `Operators with an access policy: ${SANDBOX_OPERATORS.withPolicy.join(', ')}`,
      `Operator without one (shows ACCESS_POLICY_MISSING): ${SANDBOX_OPERATORS.withoutPolicy}`,
      `Students: ${SANDBOX_STUDENTS.join(', ')}`,
      '',
      `Health: curl -sS ${url}/health`,
      `Partner: curl -sS ${url}/partners/${SANDBOX_PARTNER_ID} -H 'Authorization: Bearer ${adminKey}'`,
      '',
      "The README's examples use these variables; in a second terminal:",
      `  export ADMIN_API_KEY='${adminKey}' PARTNER_KEY='${partnerKey}' CALENDAR_PARTNER_KEY='${calendarPartnerKey}' SIMULATOR_URL='${simulator.url}' SIMULATOR_CA='${caFile}' WEBHOOK_ID='${webhookId}' RECEIVER_URL='${receiver.url}' PLATFORM_PARTNER_KEY='${platformPartnerKey}'`,
      '',
      'The setup checks for the advisers (one passes, one shows the missing access policy):',
      `  ADMIN_API_KEY='${adminKey}' npm run doctor -- --url ${url} --partner ${SANDBOX_PARTNER_ID} \\`,
      `    --operator ${SANDBOX_OPERATORS.withPolicy[0]} --operator ${SANDBOX_OPERATORS.withoutPolicy}`,
      "The university IT team's setup page, in a browser (a setup link, valid for a week):",
      `  ${setupUrl}`,
      '',
      'The sandbox stays in the foreground: run the examples and `npm test` in a second terminal.',
      'Ctrl-C stops the service and the simulator.',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`Sandbox failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
