/** Paths and answers shared by the Graph resources that live under a user's online meetings. */
import { readGraphError } from './graph-errors';

/** Evolvable enum members (lobby scope `invited`, …) are sent and shown only with this. */
export const MEETING_HEADERS = { prefer: 'include-unknown-enum-members' };

export function encodeSegment(value: string): string {
  return encodeURIComponent(value);
}

export function meetingsPath(organizerId: string): string {
  return `/users/${encodeSegment(organizerId)}/onlineMeetings`;
}

/** A 404 about a meeting (`NotFound`, "Specified meeting is not found."), not about the user. */
export function isMeetingNotFound(body: unknown): boolean {
  const { code, message } = readGraphError(body);
  return code === 'NotFound' || /meeting/i.test(message ?? '');
}
