/**
 * Where an appointment's Teams meeting lives, as the meeting use cases see it (create-meeting.ts,
 * update-meeting.ts, cancel-meeting.ts, unsettled-changes.ts): made once per appointment key, read,
 * changed and removed. A partner's meetings all come from one provider, by its `meetingMode`: a
 * standalone online meeting (providers/online-meeting.provider.ts), or an event in the adviser's
 * calendar with its Teams meeting (providers/calendar-event.provider.ts). The use cases stay one
 * path; what differs lives here.
 */
import type { MeetingInput, MeetingPatch, TeamsMeeting } from '../microsoft.port';
import type { PartnerRecord } from '../partners/partner.record';

/** Which meeting: the Teams meeting's id, and in calendar mode the event it belongs to. */
export interface MeetingRef {
  /** '' in calendar mode while the event's Teams meeting has not been found: found by `joinWebUrl`. */
  meetingId: string;
  joinWebUrl?: string | undefined;
  eventId?: string | undefined;
  iCalUId?: string | undefined;
}

export interface MeetingProvider {
  /**
   * The appointment's meeting, made if it does not exist yet: the same `externalId` never makes
   * a second one (a repeat after a lost answer or a crash finds the first; `mayExist` says an
   * earlier attempt may have made it). `created` says which. UnknownOrganizerError when Graph
   * does not know the organizer's object id.
   */
  createOrGet(
    partner: PartnerRecord,
    organizerId: string,
    externalId: string,
    input: MeetingInput,
    hints: { mayExist: boolean },
  ): Promise<{ created: boolean; meeting: TeamsMeeting }>;
  /** The meeting as Teams holds it now; null when Teams no longer has it. */
  get(partner: PartnerRecord, organizerId: string, ref: MeetingRef): Promise<TeamsMeeting | null>;
  /** Applies the patch (full values only); MeetingGoneError when Teams no longer has it. */
  update(
    partner: PartnerRecord,
    organizerId: string,
    ref: MeetingRef,
    patch: MeetingPatch,
  ): Promise<TeamsMeeting>;
  /** Removes it; 'gone' when Teams had lost it already (removing twice is harmless). */
  remove(partner: PartnerRecord, organizerId: string, ref: MeetingRef): Promise<'deleted' | 'gone'>;
}

/** The provider of a partner's meetings (by its configuration). */
export interface MeetingProviders {
  of(partner: PartnerRecord): MeetingProvider;
}
