/**
 * Nothing lost when the process dies (kill -9): an event is stored with the change it reports,
 * so one made by a process killed before sending it is sent after the restart; one whose
 * delivery was in flight when the process died is sent again once its lease ran out (15 s: the
 * 10 s timeout and a margin). Receivers dedupe on webhook-id: the second copy has the same one.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { tempDbPath } from '../support/harness';
import { call, startBuiltService } from '../support/process';
import { startSimulator, type MicrosoftSimulator } from '../../tools/microsoft-simulator';
import { startWebhookReceiver, type WebhookReceiver } from '../../tools/webhook-receiver/receiver';
import * as university from '../../tools/fixtures/university';

const ADMIN = 'process-admin-key-0123456789abcdefghijkl';

let sim: MicrosoftSimulator;
let receiver: WebhookReceiver;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  sim = await startSimulator();
  university.addUniversity(sim, { domains: ['uni.ac.uk'] });
  receiver = await startWebhookReceiver();
  dir = path.dirname(tempDbPath());
  fs.writeFileSync(path.join(dir, 'ca.pem'), sim.caCertPem);
  fs.writeFileSync(
    path.join(dir, '.env'),
    [
      `ADMIN_API_KEY=${ADMIN}`,
      `SECRETS_KEY=${randomBytes(32).toString('base64')}`,
      'DATABASE_URL=sqlite:./service.db',
      `AZURE_AUTHORITY_HOST=${sim.authorityHost}`,
      `GRAPH_BASE_URL=${sim.graphBaseUrl}`,
      'NODE_EXTRA_CA_CERTS=./ca.pem',
      'WEBHOOK_ALLOW_INSECURE=true',
    ].join('\n'),
  );
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await receiver.close();
  await sim.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The built service in `dir` (its .env), once it listens; `worker` on or off. */
function boot(worker: 'on' | 'off') {
  return startBuiltService({ WORKER: worker }, dir, children);
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

test('kill -9 before the delivery, then during one: every event arrives after the restart', async () => {
  // 1. A process without a worker makes a meeting (its event stored with it), then dies.
  let service = await boot('off');
  expect(
    (await call(service.url, 'PUT', '/partners/uni-a', ADMIN, university.universityPartner())).status,
  ).toBe(201);
  const key = (await call(service.url, 'POST', '/partners/uni-a/api-keys', ADMIN)).body.key as string;
  const hook = await call(service.url, 'POST', '/webhooks', key, { url: receiver.url, events: ['*'] });
  expect(hook.status).toBe(201);
  receiver.setSecrets([hook.body.secret as string]);
  const first = await call(service.url, 'POST', '/appointments/meeting', key, university.appointment());
  expect(first.status).toBe(201);
  await killed(service.child);
  expect(receiver.received).toEqual([]);

  // 2. Restarted with its worker: the event goes out. The receiver holds its answer to the next
  //    one, and the process is killed while that delivery is in flight.
  service = await boot('on');
  await receiver.waitFor(1, 10_000);
  expect(receiver.received[0]!.event).toMatchObject({ type: 'meeting.created' });
  expect(receiver.received[0]!.verified).toBe(true);
  receiver.delayAnswers(30_000);
  const second = await call(service.url, 'POST', '/appointments/meeting', key, university.appointment());
  expect(second.status).toBe(201);
  await receiver.waitFor(2, 10_000);
  await killed(service.child);
  receiver.delayAnswers(0);

  // 3. Restarted: once the dead attempt's lease runs out, the delivery is made again, same id.
  service = await boot('on');
  await receiver.waitFor(3, 25_000);
  const [, inFlight, again] = receiver.received;
  expect(again!.headers['webhook-id']).toBe(inFlight!.headers['webhook-id']);
  expect(again!.duplicate).toBe(true);
  expect(again!.event).toMatchObject({
    type: 'meeting.created',
    data: { appointmentId: second.body.appointmentId },
  });
  const log = await call(service.url, 'GET', `/webhooks/${hook.body.id as string}/deliveries`, key);
  expect(log.body.deliveries).toEqual([
    expect.objectContaining({ status: 'succeeded', attempt: 1 }),
    expect.objectContaining({ status: 'succeeded', attempt: 1 }),
  ]);
  await killed(service.child);
}, 60_000);
