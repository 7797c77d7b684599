/**
 * The pass-through baseline: the least work any service doing this job must do. A bare
 * `node:http` server that, for each POST, reads the JSON body and makes the same one
 * `createOrGet` call to the simulator with the same HTTP client as the service (axios with a
 * keep-alive https agent trusting the simulator CA), then returns Graph's body.
 * Env: PT_GRAPH_BASE_URL, PT_CA_FILE, PT_TOKEN, PT_USER_ID. Prints its port on stdout.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import express from 'express';

const graph = axios.create({
  baseURL: process.env.PT_GRAPH_BASE_URL,
  httpsAgent: new https.Agent({ keepAlive: true, ca: fs.readFileSync(process.env.PT_CA_FILE ?? '') }),
  headers: { authorization: `Bearer ${process.env.PT_TOKEN ?? ''}` },
  validateStatus: () => true,
});
const userId = process.env.PT_USER_ID ?? '';

function createOrGet(body: Record<string, unknown>) {
  return graph.post(`/users/${userId}/onlineMeetings/createOrGet`, {
    externalId: body.appointmentId,
    startDateTime: body.startDateTime,
    endDateTime: body.endDateTime,
    subject: body.subject,
    participants: { attendees: [] },
  });
}

/** PT_EXPRESS=1: the same job behind Express 5 and express.json, the floor of an Express service. */
function expressApp(): http.RequestListener {
  const app = express();
  app.use(express.json());
  app.post('/appointments/meeting', async (req, res) => {
    const answer = await createOrGet(req.body as Record<string, unknown>);
    res.status(answer.status === 200 ? 201 : answer.status).json(answer.data);
  });
  return app;
}

const bare: http.RequestListener = (req, res) => {
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
