/**
 * What a person does in the Azure portal, as HTTP for the sandbox and its README: the app
 * registration's *Certificates & secrets* → *Certificates* → *Upload certificate*.
 *
 *   POST /portal/{tenant}/applications/{appId}/certificates   (body: the .cer file, PEM)
 *   → 201 { thumbprint, thumbprintSha256, endDateTime }, as the portal's Certificates tab lists it
 *
 * Not Microsoft's API (the portal has none to speak of); no token is asked for: the simulator
 * listens on loopback, and this stands for a person signed in to the portal.
 */
import { X509Certificate } from 'node:crypto';
import type { Directory } from './directory';
import type { SimRequest, SimResponse } from './types';

const json = (status: number, body: unknown): SimResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body,
});

const problem = (status: number, message: string): SimResponse => json(status, { error: { message } });

export function handlePortal(
  req: SimRequest,
  params: Record<string, string>,
  directory: Directory,
): SimResponse {
  if (req.method !== 'POST') return problem(405, 'Only POST uploads a certificate.');
  const tenant = directory.resolveTenant(params['tenant'] ?? '');
  if (!tenant) return problem(404, `No tenant '${params['tenant']}' in this simulator.`);
  const appId = (params['appId'] ?? '').toLowerCase();
  if (!directory.app(tenant.id, appId))
    return problem(404, `No app registration '${appId}' in tenant ${tenant.id}.`);
  const pem = typeof req.body === 'string' ? req.body : '';
  try {
    new X509Certificate(pem);
  } catch {
    return problem(400, 'The body must be the certificate file (.cer, .pem or .crt), PEM or Base64 encoded.');
  }
  const uploaded = directory.uploadCertificate(tenant.id, appId, pem);
  return json(201, {
    thumbprint: uploaded.thumbprint,
    thumbprintSha256: uploaded.thumbprintSha256,
    endDateTime: uploaded.notAfter.toISOString(),
  });
}
