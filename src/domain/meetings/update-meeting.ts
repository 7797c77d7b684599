/**
 * Changing a scheduled meeting (PATCH): new attendees are looked up, Teams is changed, and the
 * record is written if nobody changed it meanwhile. The join link stays the same.
 */
import { AppError } from '../errors';
import type { Identity } from '../identity/identity';
import type { MeetingPatch, MicrosoftGateway } from '../microsoft.port';
import type { MeetingOptions, PartnerRecord } from '../partners/partner.model';
import type { MeetingRepository } from '../ports';
import { toUtc, toView, type MeetingView, type ScheduledMeeting } from './meeting.record';
import { detailsFrom } from './meeting-changes';
import { requireMeeting } from './meeting-lookup';
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
    private readonly now: () => Date,
  ) {}

  async run(partner: PartnerRecord, appointmentId: string, input: UpdateMeetingInput): Promise<MeetingView> {
    const record = await this.scheduled(partner.id, appointmentId);
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
    const next: ScheduledMeeting = {
      ...record,
      details: detailsFrom(updated, details.organizer, attendees, options ?? details.options),
      version: record.version + 1,
      updatedAt: this.now().toISOString(),
    };
    if (!(await this.meetings.update(next, record.version))) {
      throw new AppError('CONCURRENT_UPDATE', {
        detail: 'The meeting changed while this update ran; read it with GET and send the update again.',
      });
    }
    return toView(next);
  }

  private async scheduled(partnerId: string, appointmentId: string): Promise<ScheduledMeeting> {
    const record = await requireMeeting(this.meetings, partnerId, appointmentId);
    if (record.status === 'cancelled') {
      throw new AppError('MEETING_NOT_FOUND', {
        detail: `The meeting of appointment '${appointmentId}' was cancelled; create a new appointment instead.`,
      });
    }
    return record;
  }
}
