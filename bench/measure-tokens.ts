/**
 * Cold token requests with a client secret and with a certificate (MSAL signs a client assertion),
 * alternated, against the simulator over loopback HTTPS: the extra latency a certificate costs.
 * Usage: npx tsx bench/measure-tokens.ts [--n 40]
 */
import { Registry } from 'prom-client';
import { x509Certificates } from '../src/integrations/certificates/x509';
import { createMicrosoftGateway } from '../src/integrations/microsoft';
import { connectionOf } from '../src/domain/credentials/tenant-connection';
import { createLogger } from '../src/logging/logger';
import type { PartnerRecord } from '../src/domain/partners/partner.record';
import { startSimulator } from '../tools/microsoft-simulator';
import { APP_ID, CLIENT_SECRET, ROLES, SECRET_ID, TENANT_ID } from '../tools/fixtures/university';
import { median, runMain } from './support';

const nFlag = process.argv.indexOf('--n');
const n = nFlag > 0 ? Number(process.argv[nFlag + 1]) : 40;

function partner(id: string, credentialType: PartnerRecord['credentialType']): PartnerRecord {
  return {
    id,
    applicationId: APP_ID,
    tenantId: TENANT_ID,
    clientSecretCiphertext: 'unused',
    clientSecretExpiresAt: null,
    operatorLocalMatchField: 'email',
    operatorRemoteMatchField: 'mail',
    userLocalMatchField: 'email',
    userRemoteMatchField: 'mail',
    cloud: 'global',
    credentialType,
    meetingDefaults: {},
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 1,
    meetingMode: 'onlineMeeting',
    sendInvitations: true,
    consent: { status: 'none', grantedAt: null, error: null },
  };
}

async function main(): Promise<void> {
  const sim = await startSimulator();
  sim.addTenant({ id: TENANT_ID, domains: ['uni.example.ac.uk'] });
  const cert = await x509Certificates.generate('bench', 30, new Date());
  sim.addApp({
    tenantId: TENANT_ID,
    appId: APP_ID,
    secrets: [{ value: CLIENT_SECRET, id: SECRET_ID }],
    roles: ROLES,
    certificates: [cert.certificatePem],
  });
  const gateway = createMicrosoftGateway({
    logger: createLogger('silent'),
    registry: new Registry(),
    authorityHostOverride: sim.authorityHost,
    graphBaseUrlOverride: sim.graphBaseUrl,
    extraCaPem: sim.caCertPem,
    connectionOf: (p) =>
      connectionOf(p, async () =>
        p.credentialType === 'certificate'
          ? { type: 'certificate', certificates: [cert], expired: 0 }
          : { type: 'clientSecret', secret: CLIENT_SECRET },
      ),
  });
  const secretMs: number[] = [];
  const certificateMs: number[] = [];
  const cold = async (p: PartnerRecord, into: number[]) => {
    gateway.forgetPartner(p.id); // a new MSAL client and no held token: a cold request
    const t = process.hrtime.bigint();
    await gateway.tokenRoles(p);
    into.push(Number(process.hrtime.bigint() - t) / 1e6);
  };
  const secret = partner('bench-secret', 'clientSecret');
  const certificate = partner('bench-certificate', 'certificate');
  for (let i = 0; i < 5; i += 1) {
    await cold(secret, []);
    await cold(certificate, []);
  }
  for (let i = 0; i < n; i += 1) {
    await cold(secret, secretMs);
    await cold(certificate, certificateMs);
  }
  const s = median(secretMs);
  const c = median(certificateMs);
  process.stdout.write(
    `${JSON.stringify({ node: process.version, rounds: n, coldTokenMsSecret: +s.toFixed(2), coldTokenMsCertificate: +c.toFixed(2), extraMs: +(c - s).toFixed(2) }, null, 2)}\n`,
  );
  gateway.close();
  await sim.close();
}

runMain(main);
