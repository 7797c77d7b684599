/**
 * What a person does in the Azure portal, as HTTP for the sandbox and its README: the app
 * registration's *Certificates & secrets* → *Certificates* → *Upload certificate*.
 *
 *   POST /portal/{tenant}/applications/{appId}/certificates   (body: the .cer file, PEM)
 *   → 201 { thumbprint, thumbprintSha256, endDateTime }, as the portal's Certificates tab lists it
 *
 *   POST /portal/{tenant}/meetings/{meetingId}/sessions   (body: { "joined": [ { "email", "minutes"? } ] })
 *   → 201 { reportId }: the meeting took place as scheduled, the people listed joined at its start
 *   (for `minutes`, default the whole meeting), everyone else stayed away; Teams then holds its
 *   attendance report, as it does a few minutes after a real session ends.
 *
 * Not Microsoft's API (the portal has none to speak of); no token is asked for: the simulator
 * listens on loopback, and this stands for a person signed in to the portal.
 */
import { X509Certificate } from 'node:crypto';
import type { Directory } from './directory';
import type { SimRequest, SimResponse } from './types';
import { reportOf } from './attendance';

const json = (status: number, body: unknown): SimResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body,
});

const problem = (status: number, message: string): SimResponse => json(status, { error: { message } });

export function handlePortal(
  req: SimRequest,
  operation: string,
  params: Record<string, string>,
  directory: Directory,
): SimResponse {
  if (operation === 'portal.meetingSession') return meetingSession(req, params, directory);
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

/** A session of the meeting, as the people in the body attended it. */
function meetingSession(req: SimRequest, params: Record<string, string>, directory: Directory): SimResponse {
  if (req.method !== 'POST') return problem(405, 'Only POST plays a session of the meeting.');
  const tenant = directory.resolveTenant(params['tenant'] ?? '');
  if (!tenant) return problem(404, `No tenant '${params['tenant']}' in this simulator.`);
  const meeting = directory.meeting(decodeURIComponent(params['meetingId'] ?? ''));
  if (!meeting || meeting.tenantId !== tenant.id) return problem(404, 'No such meeting in this tenant.');
  const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as {
    joined?: Array<{ email?: unknown; minutes?: unknown }>;
  };
  if (!Array.isArray(body.joined))
    return problem(400, 'The body must be { "joined": [ { "email", "minutes"? } ] }.');
  const start = Date.parse(meeting.startDateTime);
  const end = Date.parse(meeting.endDateTime);
  const participants = [];
  for (const person of body.joined) {
    const email = typeof person.email === 'string' ? person.email : '';
    const user = directory
      .usersOf(tenant.id)
      .find((u) => [u.mail, u.userPrincipalName].some((v) => v?.toLowerCase() === email.toLowerCase()));
    const minutes = typeof person.minutes === 'number' ? person.minutes : (end - start) / 60_000;
    participants.push({
      ...(user ? { userId: user.id, ...(user.displayName ? { displayName: user.displayName } : {}) } : {}),
      email,
      ...(user?.id === meeting.organizerId ? { role: 'Organizer' as const } : {}),
      intervals: [
        {
          join: new Date(start).toISOString(),
          leave: new Date(Math.min(end, start + minutes * 60_000)).toISOString(),
        },
      ],
    });
  }
  const report = reportOf(meeting.id, tenant.id, {
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    participants,
  });
  directory.addAttendanceReport(report);
  return json(201, { reportId: report.id });
}
