/**
 * Cancelling (DELETE): the meeting is removed from Teams and the record kept as cancelled;
 * repeating it is harmless, and a cancel that races a PATCH still ends cancelled.
 */
import type { MicrosoftGateway } from '../microsoft.port';
import type { PartnerRecord } from '../partners/partner.model';
import type { MeetingRepository } from '../ports';
import type { CancelledMeeting, SettledMeeting } from './meeting.record';
import { requireMeeting } from './meeting-lookup';

export class CancelMeeting {
  constructor(
    private readonly meetings: MeetingRepository,
    private readonly gateway: MicrosoftGateway,
    private readonly now: () => Date,
  ) {}

  async run(partner: PartnerRecord, appointmentId: string): Promise<void> {
    const record = await requireMeeting(this.meetings, partner.id, appointmentId);
    if (record.status === 'cancelled') return;
    await this.gateway.deleteMeeting(partner, record.details.organizer.id, record.details.meetingId);
    const updatedAt = this.now().toISOString();
    if (await this.meetings.update(cancelled(record, updatedAt), record.version)) return;
    // Changed meanwhile (e.g. a concurrent PATCH): the meeting is gone from Teams all the same.
    const latest = await this.meetings.get(partner.id, appointmentId);
    if (latest && latest.status === 'scheduled') {
      await this.meetings.update(cancelled(latest, updatedAt), latest.version);
    }
  }
}

function cancelled(record: SettledMeeting, updatedAt: string): CancelledMeeting {
  return { ...record, status: 'cancelled', version: record.version + 1, updatedAt };
}
