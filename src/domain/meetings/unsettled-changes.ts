/**
 * Changes whose outcome nobody knows. A change (PATCH) or a cancel writes what it is about to ask
 * of Teams into the record with its lease (`pendingChange`), then asks. When Teams' answer is lost
 * (a timeout, a broken connection, an answer that cannot be read) or the process dies meanwhile,
 * Teams may hold the change or not. Such a record is settled by reading the meeting back from
 * Teams and storing what Teams holds, before anyone reads or changes it again: at once when the
 * request is still there, else by the next request that meets the record (its lease expired).
 */
import { AppError } from '../errors';
import type { TeamsMeeting } from '../microsoft.port';
import type { MeetingProviders } from './meeting-provider.port';
import type { MeetingOptions, PartnerRecord } from '../partners/partner.record';
import type { MeetingRepository } from './meetings.port';
import type { Leases } from './leases';
import type {
  AttendeeOutcome,
  MeetingDetails,
  MeetingRecord,
  PendingChange,
  ScheduledMeeting,
} from './meeting.record';
import { changesInvite, detailsFrom, optionDifferences, refOf } from './meeting-changes';
import { isoNow, type Clock } from '../../clock';
import type { MeetingEvents } from '../events/meeting-events';

/** Answers of Graph that leave open whether Teams applied the request. */
const UNCERTAIN_CODES = new Set(['GRAPH_TIMEOUT', 'GRAPH_UNAVAILABLE', 'GRAPH_ERROR', 'INTERNAL_ERROR']);

/** Whether Teams may have applied a request that failed this way. */
export function outcomeUnknown(error: unknown): boolean {
  return !(error instanceof AppError) || UNCERTAIN_CODES.has(error.code);
}

export class UnsettledChanges {
  constructor(
    private readonly meetings: MeetingRepository,
    private readonly providers: MeetingProviders,
    private readonly leases: Leases,
    private readonly clock: Clock,
    private readonly events: MeetingEvents,
  ) {}

  /** A scheduled record whose change's request is gone (its lease expired) or lost Teams' answer. */
  isUnsettled(record: MeetingRecord): record is ScheduledMeeting & { pendingChange: PendingChange } {
    return record.status === 'scheduled' && record.pendingChange !== null && !this.leases.isHeld(record);
  }

  /** The record as it stands once any unsettled change is settled. */
  async current(partner: PartnerRecord, record: MeetingRecord): Promise<MeetingRecord> {
    let latest: MeetingRecord | null = record;
    while (latest !== null && this.isUnsettled(latest)) {
      const settled = await this.settle(partner, latest);
      if (settled !== null) return settled;
      // Another request settled or changed it first: look again.
      latest = await this.meetings.get(record.partnerId, record.appointmentId);
    }
    return latest ?? record;
  }

  /**
   * Reads the meeting back from Teams and stores what it holds (lease and pending change
   * cleared); null when another request wrote the record first.
   */
  async settle(partner: PartnerRecord, record: ScheduledMeeting): Promise<MeetingRecord | null> {
    const change = record.pendingChange;
    if (change === null) return record;
    const teams = await this.providers
      .of(partner)
      .get(partner, record.details.organizer.id, refOf(record.details));
    // Students kept off the adviser's event (calendar mode without invitations) are the service's
    // alone: Teams cannot tell, so the change's list stands.
    const unobservable = partner.meetingMode === 'calendarEvent' && !partner.sendInvitations;
    const next = settledRecord(record, change, teams, isoNow(this.clock), unobservable);
    return (await this.meetings.update(next, record.version, this.events.between(record, next)))
      ? next
      : null;
  }

  /**
   * After a request that held the lease failed: a failure that leaves the outcome open is settled
   * now if Teams can be asked (the settled record is returned), else the record keeps its pending
   * change for the next request to settle; any other failure gives the lease back unchanged.
   */
  async afterFailure(
    partner: PartnerRecord,
    record: ScheduledMeeting,
    error: unknown,
  ): Promise<MeetingRecord | null> {
    if (!outcomeUnknown(error)) {
      await this.leases.release({ ...record, pendingChange: null }).catch(() => undefined);
      return null;
    }
    try {
      return await this.settle(partner, record);
    } catch {
      // Teams cannot be asked now: the lease goes, the pending change stays as the mark.
      await this.leases.release(record).catch(() => undefined);
      return null;
    }
  }
}

/** The record as Teams holds it: the intended change where Teams has it, the old details otherwise. */
function settledRecord(
  record: ScheduledMeeting,
  change: PendingChange,
  teams: TeamsMeeting | null,
  at: string,
  /** True when Teams cannot show who attends (calendar mode, the students kept off the event). */
  attendeesUnobservable = false,
): MeetingRecord {
  const base = { ...record, lease: null, pendingChange: null, version: record.version + 1, updatedAt: at };
  if (teams === null) {
    // A cancel that got through; anything else means Teams lost the meeting.
    return change.kind === 'cancel'
      ? { ...base, status: 'cancelled', calendarSequence: record.calendarSequence + 1 }
      : { ...base, status: 'gone' };
  }
  const old = record.details;
  const intended = change.kind === 'update' ? change.details : old;
  const details = detailsFrom(
    teams,
    old.organizer,
    attendeesUnobservable || sameAttendees(teams, intended.attendees) ? intended.attendees : old.attendees,
    holdsOptions(teams, intended.options) ? intended.options : old.options,
  );
  return {
    ...base,
    details,
    calendarSequence: record.calendarSequence + (changesInvite(old, details) ? 1 : 0),
  };
}

/** Whether Teams holds these attendees: by object id, or on an event (calendar mode) by address. */
function sameAttendees(teams: TeamsMeeting, attendees: AttendeeOutcome[]): boolean {
  const held = teams.event?.attendees;
  if (held !== undefined) {
    const addresses = attendees.flatMap((a) =>
      a.matched ? [(a.mail ?? a.userPrincipalName).toLowerCase()] : [],
    );
    return [...new Set(addresses)].sort().join(',') === [...new Set(held)].sort().join(',');
  }
  const ids = attendees.flatMap((a) => (a.matched ? [a.id] : []));
  return [...new Set(ids)].sort().join(',') === [...new Set(teams.attendeeIds)].sort().join(',');
}

function holdsOptions(teams: TeamsMeeting, options: MeetingOptions): boolean {
  return Object.keys(optionDifferences(teams.options, options)).length === 0;
}

/** Whether the settled details are the ones the change wanted (then the change took effect). */
export function holdsChange(settled: MeetingDetails, intended: MeetingDetails): boolean {
  return (
    !changesInvite(settled, intended) && JSON.stringify(settled.options) === JSON.stringify(intended.options)
  );
}
