/**
 * Changing a scheduled meeting (PATCH). Changes of one appointment are serialised, across
 * instances, by the record's lease: a change takes it, applies itself to the latest record in
 * Teams, writes the record and gives the lease back, so what the service answers, stores and Teams
 * holds agree after any interleaving, and every 200 is true. The join link stays the same.
 */
import { AppError } from '../errors';
import type { Identity } from '../identity/identity';
import { MeetingGoneError, type MeetingPatch } from '../microsoft.port';
import type { MeetingProviders } from './meeting-provider.port';
import type { MeetingOptions, PartnerRecord } from '../partners/partner.record';
import type { MeetingRepository } from './meetings.port';
import type { Leases } from './leases';
import { toUtc, type AttendeeOutcome, type MeetingDetails, type ScheduledMeeting } from './meeting.record';
import { changesInvite, detailsFrom, refOf } from './meeting-changes';
import { goneFromTeams, settledOr404 } from './meeting-lookup';
import { matchedOf, type Participants } from './participants';
import { holdsChange, type UnsettledChanges } from './unsettled-changes';
import { isoNow, type Clock } from '../../clock';
import type { MeetingEvents } from '../events/meeting-events';

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
    private readonly providers: MeetingProviders,
    private readonly participants: Participants,
    private readonly leases: Leases,
    private readonly unsettled: UnsettledChanges,
    private readonly clock: Clock,
    private readonly events: MeetingEvents,
  ) {}

  async run(
    partner: PartnerRecord,
    appointmentId: string,
    input: UpdateMeetingInput,
  ): Promise<ScheduledMeeting> {
    const attendees =
      input.attendees === undefined ? undefined : await this.participants.attendees(partner, input.attendees);
    const record = await this.leased(partner, appointmentId, input, attendees);
    const intended = record.pendingChange.details;
    try {
      return await this.apply(partner, record, intended, input);
    } catch (error) {
      if (error instanceof MeetingGoneError) {
        // Teams lost it: the record says so (and gives the lease back), and a create may make a new one.
        await this.meetings.update(
          {
            ...record,
            status: 'gone',
            lease: null,
            pendingChange: null,
            version: record.version + 1,
            updatedAt: isoNow(this.clock),
          },
          record.version,
        );
        throw goneFromTeams(record);
      }
      // Teams' answer lost: what Teams holds now decides; a change it holds is a success.
      const settled = await this.unsettled.afterFailure(partner, record, error);
      if (settled?.status === 'scheduled' && holdsChange(settled.details, intended)) return settled;
      if (settled?.status === 'gone') throw goneFromTeams(settled);
      throw error;
    }
  }

  /**
   * The latest scheduled record with this request's lease and the change it is about to make;
   * waits while another change holds it, and settles one whose outcome was lost first.
   */
  private async leased(
    partner: PartnerRecord,
    appointmentId: string,
    input: UpdateMeetingInput,
    attendees: AttendeeOutcome[] | undefined,
  ): Promise<ScheduledMeeting & { pendingChange: { kind: 'update'; details: MeetingDetails } }> {
    for (let round = 0; ; round += 1) {
      const found = settledOr404(await this.meetings.get(partner.id, appointmentId), appointmentId);
      const record = settledOr404(await this.unsettled.current(partner, found), appointmentId);
      if (record.status === 'cancelled') {
        throw new AppError('MEETING_NOT_FOUND', {
          detail: `The meeting of appointment '${appointmentId}' was cancelled; create a new appointment instead.`,
        });
      }
      if (this.leases.isHeld(record)) {
        if (await this.leases.pause(round)) continue;
        throw concurrentUpdate(this.leases.secondsLeft(record));
      }
      const pendingChange = {
        kind: 'update' as const,
        details: intendedDetails(record.details, input, attendees),
      };
      const taken = await this.leases.take({ ...record, pendingChange });
      if (taken !== null) return taken;
    }
  }

  /** Teams first, then the record (with the lease given back); the lease keeps others out meanwhile. */
  private async apply(
    partner: PartnerRecord,
    record: ScheduledMeeting,
    intended: MeetingDetails,
    input: UpdateMeetingInput,
  ): Promise<ScheduledMeeting> {
    const details = record.details;
    const patch: MeetingPatch = {
      ...(input.subject === undefined ? {} : { subject: intended.subject }),
      ...(input.startDateTime === undefined || input.endDateTime === undefined
        ? {}
        : { startDateTime: intended.startDateTime, endDateTime: intended.endDateTime }),
      ...(input.attendees === undefined ? {} : { attendees: matchedOf(intended.attendees) }),
      // Options a create could not set yet (its warnings) go with the next change.
      ...(input.options === undefined && details.wantedOptions === undefined
        ? {}
        : { options: intended.options }),
    };
    const updated = await this.providers
      .of(partner)
      .update(partner, details.organizer.id, refOf(details), patch);
    const applied = detailsFrom(updated, details.organizer, intended.attendees, intended.options);
    // Still not set (the meeting not found again): still wanted, and still warned about.
    const nextDetails = applied.warnings ? { ...applied, wantedOptions: intended.options } : applied;
    const next: ScheduledMeeting = {
      ...record,
      details: nextDetails,
      calendarSequence: record.calendarSequence + (changesInvite(details, nextDetails) ? 1 : 0),
      version: record.version + 1,
      updatedAt: isoNow(this.clock),
      lease: null,
      pendingChange: null,
    };
    // Only a lease that outlived its term could lose here (its owner took longer than any request may).
    if (!(await this.meetings.update(next, record.version, this.events.between(record, next)))) {
      throw concurrentUpdate(1);
    }
    return next;
  }
}

/** The details the record has once Teams took the change. */
function intendedDetails(
  details: MeetingDetails,
  input: UpdateMeetingInput,
  attendees: AttendeeOutcome[] | undefined,
): MeetingDetails {
  return {
    ...details,
    ...(input.subject === undefined ? {} : { subject: input.subject }),
    ...(input.startDateTime === undefined || input.endDateTime === undefined
      ? {}
      : { startDateTime: toUtc(input.startDateTime), endDateTime: toUtc(input.endDateTime) }),
    attendees: attendees ?? details.attendees,
    options: { ...details.options, ...details.wantedOptions, ...input.options },
  };
}

function concurrentUpdate(retryAfterSeconds: number): AppError {
  return new AppError('CONCURRENT_UPDATE', {
    detail: `Another change of this meeting is still running; send this one again after ${retryAfterSeconds} seconds.`,
    retryAfterSeconds,
  });
}
