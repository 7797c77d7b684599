import { AppError } from '../errors';
import type { MeetingRepository } from './meetings.port';
import type { GoneMeeting, MeetingRecord, SettledMeeting } from './meeting.record';

/**
 * The appointment's meeting once Teams has it (or had it, cancelled here); 404 MEETING_NOT_FOUND
 * while there is none, while its create is still pending, and once Teams lost it.
 */
export async function requireMeeting(
  meetings: MeetingRepository,
  partnerId: string,
  appointmentId: string,
): Promise<SettledMeeting> {
  return settledOr404(await meetings.get(partnerId, appointmentId), appointmentId);
}

export function settledOr404(record: MeetingRecord | null, appointmentId: string): SettledMeeting {
  if (record?.status === 'gone') throw goneFromTeams(record);
  if (!record || record.status === 'pending') {
    throw new AppError('MEETING_NOT_FOUND', { detail: `Appointment '${appointmentId}' has no meeting.` });
  }
  return record;
}

export function goneFromTeams(record: Pick<GoneMeeting, 'appointmentId'>): AppError {
  return new AppError('MEETING_NOT_FOUND', {
    detail: `The meeting of appointment '${record.appointmentId}' was deleted in Teams.`,
    remediation: 'Send the create (POST /appointments/meeting) again to make a new meeting for it.',
  });
}
