/**
 * The one place where an error answer of Microsoft Graph becomes an AppError: the missing Teams
 * application access policy, a missing application permission, and everything else unexpected.
 * Remediations speak in the setup guide's terms. Never passes a raw body on (an echo of a request
 * could hold a token); only Graph's error code, a bounded message and the request ids.
 */
import { AppError } from '../../domain/errors';
import type { PartnerRecord } from '../../domain/partners/partner.record';
import {
  accessPolicyRemediation,
  ATTENDANCE_PERMISSION,
  missingPermissions,
  REQUIRED_PERMISSIONS,
} from '../../domain/setup/setup-guide';

export {
  ACCESS_POLICY_NAME,
  REQUIRED_PERMISSIONS,
  accessPolicyRemediation,
  missingPermissions,
} from '../../domain/setup/setup-guide';
import { objectOr } from './json';

const MAX_MESSAGE_CHARS = 300;

export interface GraphErrorInfo {
  code: string | undefined;
  message: string | undefined;
  /** Graph's `request-id` (header, else the body's innerError). */
  requestId: string | undefined;
  clientRequestId: string | undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Reads `{ error: { code, message, innerError | innererror } }` and the request-id headers. */
export function readGraphError(body: unknown, headers: Record<string, string> = {}): GraphErrorInfo {
  const e = objectOr(objectOr(body)['error']);
  const inner = objectOr(e['innerError'] ?? e['innererror']);
  return {
    code: text(e['code']),
    message: text(e['message']),
    requestId: headers['request-id'] ?? text(inner['request-id']),
    clientRequestId: headers['client-request-id'] ?? text(inner['client-request-id']),
  };
}

export interface GraphFailure {
  partner: PartnerRecord;
  operation: string;
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** The `roles` of the token the call was made with. */
  roles: readonly string[];
  /** The path user of an onlineMeetings call. */
  organizerId?: string;
}

function bounded(message: string | undefined): string {
  if (message === undefined) return '';
  const oneLine = message.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_MESSAGE_CHARS ? `${oneLine.slice(0, MAX_MESSAGE_CHARS)}…` : oneLine;
}

function ids(info: GraphErrorInfo): string {
  return info.requestId !== undefined ? ` (request-id ${info.requestId})` : '';
}

function permissionError(failure: GraphFailure, info: GraphErrorInfo): AppError {
  const { partner, operation } = failure;
  const missing = missingPermissions(failure.roles);
  const consent =
    `In the Azure portal, open App registrations > the app with Application (client) ID ${partner.applicationId} > ` +
    'API permissions (setup guide Step 1, items 9-17): "+ Add a permission" > Microsoft Graph > Application ' +
    'permissions';
  const after =
    `then click "Grant admin consent for <your organisation>" and check that each permission shows a green ` +
    'check under Status. The next request asks Entra ID for a new token, which carries the new permissions.';
  if (operation.startsWith('attendance')) {
    // Optional: only attendance needs it, and only this answer says it is missing.
    return new AppError('PERMISSION_MISSING', {
      detail:
        `Microsoft Graph refused ${operation} (403 ${info.code ?? 'Forbidden'})${ids(info)}: attendance reports need ` +
        `the application permission ${ATTENDANCE_PERMISSION} (or admin consent for it).`,
      remediation: `${consent}, add ${ATTENDANCE_PERMISSION}; ${after}`,
    });
  }
  if (missing.length > 0) {
    return new AppError('PERMISSION_MISSING', {
      detail:
        `Microsoft Graph refused ${operation} (403 ${info.code ?? 'Forbidden'})${ids(info)}: the application lacks ` +
        `the application permission${missing.length > 1 ? 's' : ''} ${missing.join(' and ')} (or admin consent for ` +
        `${missing.length > 1 ? 'them' : 'it'}).`,
      remediation: `${consent}, add ${missing.join(' and ')}; ${after}`,
    });
  }
  if (operation.startsWith('users.')) {
    return new AppError('PERMISSION_MISSING', {
      detail:
        `Microsoft Graph refused ${operation} (403 ${info.code ?? 'Forbidden'})${ids(info)} although the token ` +
        'holds User.ReadBasic.All. Some tenants refuse app-only User.ReadBasic.All on /users; User.Read.All is ' +
        'then needed.',
      remediation: `${consent}, add User.Read.All; ${after}`,
    });
  }
  return new AppError('PERMISSION_MISSING', {
    detail:
      `Microsoft Graph refused ${operation} (403 ${info.code ?? 'Forbidden'})${ids(info)} although the token holds ` +
      `${REQUIRED_PERMISSIONS.join(' and ')}. ${bounded(info.message)}`.trim(),
    remediation: `${consent}: check that OnlineMeetings.ReadWrite.All and User.ReadBasic.All are granted; ${after}`,
  });
}

/** True for Graph's "No application access policy found for this app" (code Forbidden or General). */
export function isAccessPolicyRefusal(status: number, body: unknown): boolean {
  if (status !== 403) return false;
  return /no application access policy/i.test(readGraphError(body).message ?? '');
}

/** Translates an error answer of Graph. */
export function graphErrorToAppError(failure: GraphFailure): AppError {
  const info = readGraphError(failure.body, failure.headers);
  const { partner, operation, status } = failure;

  if (isAccessPolicyRefusal(status, failure.body)) {
    const objectId = failure.organizerId ?? '<operator object id>';
    return new AppError('ACCESS_POLICY_MISSING', {
      detail:
        `Microsoft Graph refused ${operation} for the operator ${objectId}: no Teams application access policy ` +
        `allows application ${partner.applicationId} to act for this user${ids(info)}.`,
      remediation: accessPolicyRemediation(partner.applicationId, objectId),
    });
  }
  if (status === 403) return permissionError(failure, info);
  if (status === 401) {
    return new AppError('GRAPH_ERROR', {
      detail: `Microsoft Graph did not accept the access token for ${operation} (401${info.code !== undefined ? ` ${info.code}` : ''})${ids(info)}.`,
      remediation:
        `Check the partner's cloud ('${partner.cloud}'): a token from one Microsoft cloud is not valid for another ` +
        "cloud's Graph.",
    });
  }
  const message = bounded(info.message);
  return new AppError('GRAPH_ERROR', {
    detail:
      `Microsoft Graph answered ${status}${info.code !== undefined ? ` ${info.code}` : ''} to ${operation}` +
      `${ids(info)}${message !== '' ? `: ${message}` : '.'}`,
  });
}
