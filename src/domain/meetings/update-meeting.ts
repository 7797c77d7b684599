/**
 * Changing a scheduled meeting (PATCH). Changes of one appointment are serialised, across
 * instances, by the record's lease: a change takes it, applies itself to the latest record in
 * Teams, writes the record and gives the lease back, so what the service answers, stores and Teams
 * holds agree after any interleaving, and every 200 is true. The join link stays the same.
 */
import { AppError } from '../errors';
import type { Identity } from '../identity/identity';
import { MeetingGoneError, type MeetingPatch, type MicrosoftGateway } from '../microsoft.port';
import type { MeetingOptions, PartnerRecord } from '../partners/partner.model';
import type { MeetingRepository } from '../ports';
import type { Leases } from './leases';
import { toUtc, type ScheduledMeeting } from './meeting.record';
import { changesInvite, detailsFrom } from './meeting-changes';
import { goneFromTeams, settledOr404 } from './meeting-lookup';
import { matchedOf, type Participants } from './participants';

export interface UpdateMeetingInput {
  subject?: string | undefined;
  startDateTime?: string | undefined;
  endDateTime?: string | undefined;
  attendees?: Identity[] | undefined;
  options?: MeetingOptions | undefined;
}

export class UpdateMeeting {
  constructor(
    private readonly meetings: MeetingRepository,
    private readonly gateway: MicrosoftGateway,
    private readonly participants: Participants,
    private readonly leases: Leases,
    private readonly now: () => Date,
  ) {}

  async run(
    partner: PartnerRecord,
    appointmentId: string,
    input: UpdateMeetingInput,
  ): Promise<ScheduledMeeting> {
    const record = await this.leased(partner.id, appointmentId);
    try {
      return await this.apply(partner, record, input);
    } catch (error) {
      if (error instanceof MeetingGoneError) {
        // Teams lost it: the record says so (and gives the lease back), and a create may make a new one.
        await this.meetings.update(
          {
            ...record,
            status: 'gone',
            lease: null,
            version: record.version + 1,
            updatedAt: this.now().toISOString(),
          },
          record.version,
        );
        throw goneFromTeams(record);
      }
      await this.leases.release(record).catch(() => undefined);
      throw error;
    }
  }

  /** The latest scheduled record with this request's lease; waits while another change holds it. */
  private async leased(partnerId: string, appointmentId: string): Promise<ScheduledMeeting> {
    for (let round = 0; ; round += 1) {
      const record = settledOr404(await this.meetings.get(partnerId, appointmentId), appointmentId);
      if (record.status === 'cancelled') {
        throw new AppError('MEETING_NOT_FOUND', {
          detail: `The meeting of appointment '${appointmentId}' was cancelled; create a new appointment instead.`,
        });
      }
      if (this.leases.isHeld(record)) {
        if (await this.leases.pause(round)) continue;
        throw concurrentUpdate(this.leases.secondsLeft(record));
      }
      const taken = await this.leases.take(record);
      if (taken !== null) return taken;
    }
  }

  /** Teams first, then the record (with the lease given back); the lease keeps others out meanwhile. */
  private async apply(
    partner: PartnerRecord,
    record: ScheduledMeeting,
    input: UpdateMeetingInput,
  ): Promise<ScheduledMeeting> {
    const details = record.details;
    const attendees =
      input.attendees === undefined
        ? details.attendees
        : await this.participants.attendees(partner, input.attendees);
    const options = input.options === undefined ? undefined : { ...details.options, ...input.options };
    const patch: MeetingPatch = {
      ...(input.subject === undefined ? {} : { subject: input.subject }),
      ...(input.startDateTime === undefined || input.endDateTime === undefined
        ? {}
        : { startDateTime: toUtc(input.startDateTime), endDateTime: toUtc(input.endDateTime) }),
      ...(input.attendees === undefined ? {} : { attendees: matchedOf(attendees) }),
      ...(options === undefined ? {} : { options }),
    };
    const updated = await this.gateway.updateMeeting(partner, details.organizer.id, details.meetingId, patch);
    const nextDetails = detailsFrom(updated, details.organizer, attendees, options ?? details.options);
    const next: ScheduledMeeting = {
      ...record,
      details: nextDetails,
      calendarSequence: record.calendarSequence + (changesInvite(details, nextDetails) ? 1 : 0),
      version: record.version + 1,
      updatedAt: this.now().toISOString(),
      lease: null,
    };
    // Only a lease that outlived its term could lose here (its owner took longer than any request may).
    if (!(await this.meetings.update(next, record.version))) throw concurrentUpdate(1);
    return next;
  }
}

function concurrentUpdate(retryAfterSeconds: number): AppError {
  return new AppError('CONCURRENT_UPDATE', {
    detail: `Another change of this meeting is still running; send this one again after ${retryAfterSeconds} seconds.`,
    retryAfterSeconds,
  });
}
