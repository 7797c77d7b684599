/**
 * The guard of every onlineMeetings call: the permission, the organizer's object ID in the path,
 * and the Teams application access policy.
 */
import type { GraphCall } from '../types';
import { isGuid } from '../directory';
import { graphError } from '../responses';
import type { SimResponse, SimUser } from '../types';
import { READ_ROLES, WRITE_ROLES } from './model';

export type Guarded = { organizer: SimUser } | { response: SimResponse };

export function guard(call: GraphCall, write: boolean): Guarded {
  const { answer, directory } = call.env;
  const roles = write ? WRITE_ROLES : READ_ROLES;
  if (!call.caller.roles.some((r) => roles.includes(r))) {
    return {
      response: graphError(
        answer,
        403,
        'Forbidden',
        `Application does not have permission to ${write ? 'write' : 'read'} online meetings. It needs ${roles.join(' or ')}.`,
      ),
    };
  }
  const ref = call.params['userId'] ?? '';
  // Only an object ID resolves here; a UPN or email is "not found", as Graph answers.
  const organizer = isGuid(ref) ? directory.userById(call.caller.tenantId, ref) : undefined;
  if (!organizer) {
    return { response: graphError(answer, 404, 'UnknownError', `User '${ref}' not found.`) };
  }
  if (!directory.hasPolicy(call.caller.tenantId, organizer.id, call.caller.appId)) {
    return {
      response: graphError(answer, 403, 'General', 'No application access policy found for this app.'),
    };
  }
  return { organizer };
}
