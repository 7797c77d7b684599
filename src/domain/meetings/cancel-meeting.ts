/**
 * Cancelling (DELETE): with the record's lease (so that no change runs meanwhile), the meeting is
 * locked, then removed from Teams, and the record kept as cancelled. Locked first because a
 * deleted meeting's join link can keep working in Teams: with the lobby and presenters set to the
 * organizer and chat off, whoever still has the link waits in the lobby of a meeting nobody runs.
 * Repeating the cancel is harmless, and so is a cancel of a meeting Teams already lost.
 */
import { AppError } from '../errors';
import { MeetingGoneError } from '../microsoft.port';
import type { MeetingProviders } from './meeting-provider.port';
import { refOf } from './meeting-changes';
import type { MeetingOptions, PartnerRecord } from '../partners/partner.record';
import type { MeetingRepository } from './meetings.port';
import type { Leases } from './leases';
import type { CancelledMeeting, MeetingRecord, ScheduledMeeting } from './meeting.record';
import type { UnsettledChanges } from './unsettled-changes';
import { isoNow, type Clock } from '../../clock';
import type { MeetingEvents } from '../events/meeting-events';

/** What a cancelled meeting's link leads to, if Teams keeps it joinable. */
export const LOCKED_OPTIONS: MeetingOptions = {
  lobbyBypassScope: 'organizer',
  allowedPresenters: 'organizer',
  allowMeetingChat: 'disabled',
};

/**
 * How the lock went: `locked`, `gone` (Teams had lost the meeting already), or `failed` with the
 * error's code (the meeting was deleted all the same; the caller logs it).
 */
export type LockOutcome = { lock: 'locked' | 'gone' | 'none' } | { lock: 'failed'; code: string };

export class CancelMeeting {
  constructor(
    private readonly meetings: MeetingRepository,
    private readonly providers: MeetingProviders,
    private readonly leases: Leases,
    private readonly unsettled: UnsettledChanges,
    private readonly clock: Clock,
    private readonly events: MeetingEvents,
  ) {}

  async run(partner: PartnerRecord, appointmentId: string): Promise<LockOutcome> {
    for (let round = 0; ; round += 1) {
      const found = await this.meetings.get(partner.id, appointmentId);
      if (!found || found.status === 'pending') {
        throw new AppError('MEETING_NOT_FOUND', { detail: `Appointment '${appointmentId}' has no meeting.` });
      }
      const record = await this.unsettled.current(partner, found);
      if (record.status === 'pending') continue;
      if (record.status === 'cancelled') return { lock: 'none' };
      if (this.leases.isHeld(record)) {
        if (await this.leases.pause(round)) continue;
        throw new AppError('CONCURRENT_UPDATE', {
          detail: 'A change of this meeting is still running; send the cancel again shortly.',
          retryAfterSeconds: this.leases.secondsLeft(record),
        });
      }
      if (record.status === 'gone') {
        // Teams lost it already: nothing to remove there.
        const cancelled = this.cancelled(record);
        if (await this.meetings.update(cancelled, record.version, this.events.between(record, cancelled))) {
          return { lock: 'gone' };
        }
        continue;
      }
      const leased = await this.leases.take({ ...record, pendingChange: { kind: 'cancel' as const } });
      if (leased === null) continue;
      const { recorded, ...outcome } = await this.removeFromTeams(partner, leased);
      if (recorded) return outcome;
      const cancelled = this.cancelled(leased);
      if (await this.meetings.update(cancelled, leased.version, this.events.between(leased, cancelled))) {
        return outcome;
      }
    }
  }

  /**
   * The lock (one PATCH), then the DELETE; a lock that fails for another reason than a lost
   * meeting does not stop it. `recorded`: a DELETE whose answer was lost was settled from what
   * Teams holds, and the record already says cancelled.
   */
  private async removeFromTeams(
    partner: PartnerRecord,
    record: ScheduledMeeting,
  ): Promise<LockOutcome & { recorded?: boolean }> {
    const { organizer } = record.details;
    const ref = refOf(record.details);
    let outcome: LockOutcome = { lock: 'locked' };
    try {
      await this.providers.of(partner).update(partner, organizer.id, ref, { options: LOCKED_OPTIONS });
    } catch (error) {
      outcome =
        error instanceof MeetingGoneError
          ? { lock: 'gone' }
          : { lock: 'failed', code: error instanceof AppError ? error.code : 'INTERNAL_ERROR' };
    }
    try {
      if (outcome.lock !== 'gone') await this.providers.of(partner).remove(partner, organizer.id, ref);
    } catch (error) {
      const settled = await this.unsettled.afterFailure(partner, record, error);
      if (settled?.status === 'cancelled') return { ...outcome, recorded: true };
      throw error;
    }
    return outcome;
  }

  private cancelled(record: Exclude<MeetingRecord, { status: 'pending' }>): CancelledMeeting {
    return {
      ...record,
      status: 'cancelled',
      lease: null,
      pendingChange: null,
      version: record.version + 1,
      calendarSequence: record.calendarSequence + 1,
      updatedAt: isoNow(this.clock),
    };
  }
}
