import { AppError } from '../errors';
import type { MeetingRepository } from '../ports';
import type { SettledMeeting } from './meeting.record';

/** The appointment's meeting once Teams has it; 404 MEETING_NOT_FOUND while none (or still pending). */
export async function requireMeeting(
  meetings: MeetingRepository,
  partnerId: string,
  appointmentId: string,
): Promise<SettledMeeting> {
  const record = await meetings.get(partnerId, appointmentId);
  if (!record || record.status === 'pending') {
    throw new AppError('MEETING_NOT_FOUND', { detail: `Appointment '${appointmentId}' has no meeting.` });
  }
  return record;
}
