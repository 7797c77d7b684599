/**
 * Which operation a method and path mean, for the server, the $batch items and the request log.
 * Pure: no state, no authentication.
 */
import type { Operation, RequestKind } from './types';

export interface Route {
  kind: RequestKind;
  operation: Operation;
  /** Decoded path parameters: `tenant`, `userId`, `meetingId`, `user`. */
  params: Record<string, string>;
  /** The path exists but not for this method. */
  methodNotAllowed?: boolean;
  /** For unknown Graph paths: the first segment Graph would not find. */
  unknownSegment?: string;
}

export const GRAPH_VERSION = 'v1.0';

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Splits a raw path into percent-decoded segments (so an encoded `/` stays inside its segment). */
export function pathSegments(rawPath: string): string[] {
  return rawPath
    .split('/')
    .filter((s) => s !== '')
    .map(decodeSegment);
}

function same(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}

function graphRoute(method: string, segments: string[]): Route {
  const [, first, userRef, collection, meetingRef, ...rest] = segments;
  const is = (m: string): boolean => method === m;
  const route = (operation: Operation, params: Record<string, string> = {}, allowed = true): Route => ({
    kind: 'graph',
    operation: allowed ? operation : 'unknown',
    params,
    ...(allowed ? {} : { methodNotAllowed: true }),
  });

  if (segments.length === 2 && same(first, '$batch')) return route('batch', {}, is('POST'));
  if (!same(first, 'users')) {
    return { kind: 'graph', operation: 'unknown', params: {}, unknownSegment: first ?? '' };
  }
  if (userRef === undefined) return route('users.list', {}, is('GET'));
  if (collection === undefined) return route('users.get', { user: userRef }, is('GET'));
  // Events: /users/{id}/events[/…] and /users/{id}/calendar/events[/…].
  const calendar = same(collection, 'calendar') && same(meetingRef, 'events');
  if (same(collection, 'events') || calendar) {
    const [eventId, action, ...more] = calendar ? rest : [meetingRef, ...rest];
    const at = { userId: userRef, ...(eventId === undefined ? {} : { eventId }) };
    if (more.length > 0)
      return { kind: 'graph', operation: 'unknown', params: {}, unknownSegment: more[0] ?? '' };
    if (eventId === undefined)
      return is('POST') ? route('events.create', at) : route('events.list', at, is('GET'));
    if (action !== undefined) {
      if (same(action, 'cancel')) return route('events.cancel', at, is('POST'));
      return { kind: 'graph', operation: 'unknown', params: {}, unknownSegment: action };
    }
    if (is('GET')) return route('events.get', at);
    if (is('PATCH')) return route('events.update', at);
    if (is('DELETE')) return route('events.delete', at);
    return route('events.get', at, false);
  }
  if (
    same(collection, 'onlineMeetings') &&
    meetingRef !== undefined &&
    same(rest[0] ?? '', 'attendanceReports')
  ) {
    const at = { userId: userRef, meetingId: meetingRef };
    if (rest.length === 1) return route('attendanceReports.list', at, is('GET'));
    if (rest.length === 3 && same(rest[2] ?? '', 'attendanceRecords'))
      return route('attendanceRecords.list', { ...at, reportId: rest[1]! }, is('GET'));
  }
  if (!same(collection, 'onlineMeetings') || rest.length > 0) {
    return { kind: 'graph', operation: 'unknown', params: {}, unknownSegment: rest[0] ?? collection };
  }
  const params: Record<string, string> = { userId: userRef };
  if (meetingRef === undefined) {
    if (is('POST')) return route('onlineMeetings.create', params);
    return route('onlineMeetings.list', params, is('GET'));
  }
  if (same(meetingRef, 'createOrGet') && is('POST')) return route('onlineMeetings.createOrGet', params);
  const withMeeting = { ...params, meetingId: meetingRef };
  if (is('GET')) return route('onlineMeetings.get', withMeeting);
  if (is('PATCH')) return route('onlineMeetings.update', withMeeting);
  if (is('DELETE')) return route('onlineMeetings.delete', withMeeting);
  return route('onlineMeetings.get', withMeeting, false);
}

function identityRoute(method: string, segments: string[]): Route {
  const [tenant, a, b, c] = segments;
  const params: Record<string, string> = tenant === undefined ? {} : { tenant };
  if (segments.length === 4 && same(a, 'oauth2') && same(b, 'v2.0') && same(c, 'token')) {
    return { kind: 'token', operation: 'token', params };
  }
  if (segments.length === 4 && same(a, 'v2.0') && same(b, '.well-known') && same(c, 'openid-configuration')) {
    return { kind: 'openid', operation: 'openid-configuration', params };
  }
  if (segments.length === 3 && same(a, 'v2.0') && same(b, 'adminconsent')) {
    return { kind: 'openid', operation: 'adminconsent', params };
  }
  if (segments.length === 4 && same(a, 'discovery') && same(b, 'v2.0') && same(c, 'keys')) {
    return { kind: 'openid', operation: 'jwks', params };
  }
  if (segments.length === 3 && same(tenant, 'common') && same(a, 'discovery') && same(b, 'instance')) {
    return { kind: 'openid', operation: 'instance-discovery', params: {} };
  }
  return { kind: 'openid', operation: 'unknown', params };
}

/** The portal's *Upload certificate*, and a meeting that took place, for the sandbox (portal.ts). */
function portalRoute(segments: string[]): Route {
  const [, tenant, applications, appId, certificates] = segments;
  if (segments.length === 5 && same(applications, 'meetings') && same(certificates, 'sessions')) {
    return {
      kind: 'portal',
      operation: 'portal.meetingSession',
      params: { tenant: tenant!, meetingId: appId! },
    };
  }
  if (segments.length === 5 && same(applications, 'applications') && same(certificates, 'certificates')) {
    return {
      kind: 'portal',
      operation: 'portal.uploadCertificate',
      params: { tenant: tenant!, appId: appId! },
    };
  }
  return { kind: 'portal', operation: 'unknown', params: {} };
}

/**
 * The route of a request to the simulator's origin (`/v1.0/...` is Graph, `/portal/...` the
 * portal's uploads, the rest is Entra).
 */
export function resolveRoute(method: string, rawPath: string): Route {
  const segments = pathSegments(rawPath);
  if (same(segments[0], 'portal')) return portalRoute(segments);
  if (same(segments[0], GRAPH_VERSION)) return graphRoute(method.toUpperCase(), segments);
  if (same(segments[0], 'beta'))
    return { kind: 'graph', operation: 'unknown', params: {}, unknownSegment: 'beta' };
  return identityRoute(method.toUpperCase(), segments);
}
