/**
 * Cancelling (DELETE): with the record's lease (so that no change runs meanwhile), the meeting is
 * removed from Teams and the record kept as cancelled. Repeating it is harmless, and so is a
 * cancel of a meeting Teams already lost.
 */
import { AppError } from '../errors';
import type { MicrosoftGateway } from '../microsoft.port';
import type { PartnerRecord } from '../partners/partner.model';
import type { MeetingRepository } from '../ports';
import type { Leases } from './leases';
import type { CancelledMeeting, MeetingRecord, ScheduledMeeting } from './meeting.record';

export class CancelMeeting {
  constructor(
    private readonly meetings: MeetingRepository,
    private readonly gateway: MicrosoftGateway,
    private readonly leases: Leases,
    private readonly now: () => Date,
  ) {}

  async run(partner: PartnerRecord, appointmentId: string): Promise<void> {
    for (let round = 0; ; round += 1) {
      const record = await this.meetings.get(partner.id, appointmentId);
      if (!record || record.status === 'pending') {
        throw new AppError('MEETING_NOT_FOUND', { detail: `Appointment '${appointmentId}' has no meeting.` });
      }
      if (record.status === 'cancelled') return;
      if (this.leases.isHeld(record)) {
        if (await this.leases.pause(round)) continue;
        throw new AppError('CONCURRENT_UPDATE', {
          detail: 'A change of this meeting is still running; send the cancel again shortly.',
          retryAfterSeconds: this.leases.secondsLeft(record),
        });
      }
      if (record.status === 'gone') {
        // Teams lost it already: nothing to remove there.
        if (await this.meetings.update(this.cancelled(record), record.version)) return;
        continue;
      }
      const leased = await this.leases.take(record);
      if (leased === null) continue;
      await this.removeFromTeams(partner, leased);
      if (await this.meetings.update(this.cancelled(leased), leased.version)) return;
    }
  }

  private async removeFromTeams(partner: PartnerRecord, record: ScheduledMeeting): Promise<void> {
    try {
      await this.gateway.deleteMeeting(partner, record.details.organizer.id, record.details.meetingId);
    } catch (error) {
      await this.leases.release(record).catch(() => undefined);
      throw error;
    }
  }

  private cancelled(record: Exclude<MeetingRecord, { status: 'pending' }>): CancelledMeeting {
    return {
      ...record,
      status: 'cancelled',
      lease: null,
      version: record.version + 1,
      updatedAt: this.now().toISOString(),
    };
  }
}
