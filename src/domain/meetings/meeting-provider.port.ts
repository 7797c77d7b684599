/**
 * Where an appointment's Teams meeting lives, as the meeting use cases see it (create-meeting.ts,
 * update-meeting.ts, cancel-meeting.ts, unsettled-changes.ts): made once per appointment key, read,
 * changed and removed. A partner's meetings all come from one provider: a standalone online
 * meeting (providers/online-meeting.provider.ts), or, in calendar mode, an event in the adviser's
 * calendar with its Teams meeting. The use cases stay one path; what differs lives here.
 */
import type { MeetingInput, MeetingPatch, TeamsMeeting } from '../microsoft.port';
import type { PartnerRecord } from '../partners/partner.record';

export interface MeetingProvider {
  /**
   * The appointment's meeting, made if it does not exist yet: the same `externalId` never makes
   * a second one (a repeat after a lost answer or a crash finds the first). `created` says which.
   * UnknownOrganizerError when Graph does not know the organizer's object id.
   */
  createOrGet(
    partner: PartnerRecord,
    organizerId: string,
    externalId: string,
    input: MeetingInput,
  ): Promise<{ created: boolean; meeting: TeamsMeeting }>;
  /** The meeting as Teams holds it now; null when Teams no longer has it. */
  get(partner: PartnerRecord, organizerId: string, meetingId: string): Promise<TeamsMeeting | null>;
  /** Applies the patch (full values only); MeetingGoneError when Teams no longer has it. */
  update(
    partner: PartnerRecord,
    organizerId: string,
    meetingId: string,
    patch: MeetingPatch,
  ): Promise<TeamsMeeting>;
  /** Removes it; 'gone' when Teams had lost it already (removing twice is harmless). */
  remove(partner: PartnerRecord, organizerId: string, meetingId: string): Promise<'deleted' | 'gone'>;
}

/** The provider of a partner's meetings (by its configuration). */
export interface MeetingProviders {
  of(partner: PartnerRecord): MeetingProvider;
}
