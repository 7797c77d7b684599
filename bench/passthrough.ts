/**
 * The pass-through baseline: the least work any service doing this job must do. A bare
 * `node:http` server that, for each POST, reads the JSON body and makes the same one
 * `createOrGet` call to the simulator with the same HTTP client as the service (axios with a
 * keep-alive https agent trusting the simulator CA), then returns Graph's body.
 * PT_EXPRESS=1: the same behind Express 5 and express.json (the Express floor).
 * PT_LOOKUPS=1 (the production shape): the operator and attendees are found in Entra first, as the
 * job needs, with the least work that can be: a map of every address ever found, kept for ever,
 * and one `GET /users?$filter=mail in (…)` for those it lacks; each tenant by its email domain.
 * `GET /stats`: the outbound agent's sockets, and how many requests waited for one.
 * Env: PT_GRAPH_BASE_URL, PT_CA_FILE, PT_TOKEN, PT_USER_ID; PT_TENANTS (JSON: [{domain, token}]).
 * Prints its port on stdout.
 */
import fs from 'node:fs';
import http, { type ClientRequest } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import express from 'express';

/** Counts requests queued for want of a socket (as the service's agent does). */
class CountingAgent extends https.Agent {
  waited = 0;
  addRequest(req: ClientRequest, options: https.RequestOptions): void {
    const name = this.getName(options);
    const queued = this.requests[name]?.length ?? 0;
    (
      https.Agent.prototype as unknown as {
        addRequest(this: https.Agent, r: ClientRequest, o: https.RequestOptions): void;
      }
    ).addRequest.call(this, req, options);
    if ((this.requests[name]?.length ?? 0) > queued) this.waited += 1;
  }
}

// Node's defaults (no socket limit), kept alive: what a careful minimal client would use.
const agent = new CountingAgent({ keepAlive: true, ca: fs.readFileSync(process.env.PT_CA_FILE ?? '') });
const graph = axios.create({
  baseURL: process.env.PT_GRAPH_BASE_URL,
  httpsAgent: agent,
  headers: { authorization: `Bearer ${process.env.PT_TOKEN ?? ''}` },
  validateStatus: () => true,
});
const userId = process.env.PT_USER_ID ?? '';
const LOOKUPS = process.env.PT_LOOKUPS === '1';
const tokens = new Map(
  (JSON.parse(process.env.PT_TENANTS ?? '[]') as { domain: string; token: string }[]).map((t) => [
    t.domain,
    `Bearer ${t.token}`,
  ]),
);
const found = new Map<string, string>();

interface Person {
  email: string;
}

async function resolve(emails: string[], authorization: string): Promise<void> {
  const missing = [...new Set(emails.filter((e) => !found.has(e)))];
  if (missing.length === 0) return;
  const filter = `mail in (${missing.map((e) => `'${e.replace(/'/g, "''")}'`).join(',')})`;
  const answer = await graph.get('/users', {
    params: { $filter: filter, $select: 'id,mail' },
    headers: { authorization },
  });
  for (const user of (answer.data as { value?: { id: string; mail: string }[] }).value ?? []) {
    found.set(user.mail.toLowerCase(), user.id);
  }
}

async function createOrGet(body: Record<string, unknown>) {
  if (!LOOKUPS) {
    return graph.post(`/users/${userId}/onlineMeetings/createOrGet`, {
      externalId: body.appointmentId,
      startDateTime: body.startDateTime,
      endDateTime: body.endDateTime,
      subject: body.subject,
      participants: { attendees: [] },
    });
  }
  const operator = (body.operator as Person).email.toLowerCase();
  const attendees = ((body.attendees as Person[] | undefined) ?? []).map((a) => a.email.toLowerCase());
  const authorization = tokens.get(operator.slice(operator.indexOf('@') + 1)) ?? '';
  await resolve([operator, ...attendees], authorization);
  return graph.post(
    `/users/${found.get(operator)}/onlineMeetings/createOrGet`,
    {
      externalId: body.appointmentId,
      startDateTime: body.startDateTime,
      endDateTime: body.endDateTime,
      subject: body.subject,
      participants: {
        attendees: attendees
          .filter((a) => found.has(a))
          .map((a) => ({ upn: a, role: 'attendee', identity: { user: { id: found.get(a) } } })),
      },
    },
    { headers: { authorization } },
  );
}

function stats() {
  const count = (lists: NodeJS.ReadOnlyDict<unknown[]>) =>
    Object.values(lists).reduce((n, list) => n + (list?.length ?? 0), 0);
  return {
    inUse: count(agent.sockets),
    idle: count(agent.freeSockets),
    waitingNow: count(agent.requests),
    waitedTotal: agent.waited,
  };
}

function expressApp(): http.RequestListener {
  const app = express();
  app.use(express.json());
  app.get('/stats', (_req, res) => {
    res.json(stats());
  });
  app.post('/appointments/meeting', async (req, res) => {
    const answer = await createOrGet(req.body as Record<string, unknown>);
    res.status(answer.status === 200 ? 201 : answer.status).json(answer.data);
  });
  return app;
}

const bare: http.RequestListener = (req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats()));
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    void (async () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        const answer = await createOrGet(body);
        res.writeHead(answer.status === 200 ? 201 : answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.data));
      } catch (error) {
        res.writeHead(500).end((error as Error).message);
      }
    })();
  });
};

const server = http.createServer(process.env.PT_EXPRESS === '1' ? expressApp() : bare);
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT ${(server.address() as AddressInfo).port}\n`);
});
// A clean exit on SIGTERM, so that --cpu-prof can write its profile.
process.on('SIGTERM', () => process.exit(0));
