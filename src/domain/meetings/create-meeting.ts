/**
 * Creating an appointment's meeting, idempotent end to end. Three mechanisms, each for its own
 * case:
 * - requests in this process for the same appointment share one run (`running`);
 * - across processes, one record per partner and appointment (a database key) is claimed first,
 *   with a lease (leases.ts): identical requests wait for its owner's answer, other details are
 *   told a create is in progress, and only a claim whose lease expired (its owner is gone) may be
 *   taken over;
 * - Graph's createOrGet with an externalId derived from partner and appointment makes one Teams
 *   meeting even when a create is repeated after a crash or a lost answer.
 * The steps: claim → resolve participants → createOrGet → reconcile → persist.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../errors';
import { localValue, normaliseIdentity, type Identity } from '../identity/identity';
import {
  MeetingGoneError,
  UnknownOrganizerError,
  type MeetingInput,
  type TeamsMeeting,
} from '../microsoft.port';
import type { MeetingOptions, PartnerRecord } from '../partners/partner.record';
import type { MeetingRepository } from './meetings.port';
import {
  externalIdOf,
  nextExternalId,
  toUtc,
  type AttendeeOutcome,
  type MeetingRecord,
  type Organizer,
  type Lease,
  type PendingMeeting,
  type ScheduledMeeting,
  type SettledMeeting,
} from './meeting.record';
import type { Leases } from './leases';
import type { MeetingProviders } from './meeting-provider.port';
import { detailsFrom, optionDifferences, refOfMeeting } from './meeting-changes';
import { matchedOf, type Participants } from './participants';
import { isoNow, type Clock } from '../../clock';
import type { MeetingEvents } from '../events/meeting-events';

export interface CreateMeetingInput {
  appointmentId: string;
  subject: string;
  startDateTime: string;
  endDateTime: string;
  operator: Identity;
  attendees?: Identity[] | undefined;
  options?: MeetingOptions | undefined;
}

/** Claims lost to other requests before giving up. */
const MAX_CLAIM_ROUNDS = 5;

type Claim =
  | { kind: 'answered'; record: MeetingRecord }
  | { kind: 'lost' }
  /** `fresh`: this request made the record; else it took over one (its externalId and calendar sequence must live on). */
  | { kind: 'won'; claim: PendingMeeting & { lease: Lease }; fresh: boolean };

export class CreateMeeting {
  /** Creates running in this process, so concurrent identical requests share one. */
  private readonly running = new Map<string, Promise<SettledMeeting>>();

  constructor(
    private readonly meetings: MeetingRepository,
    private readonly providers: MeetingProviders,
    private readonly participants: Participants,
    private readonly leases: Leases,
    private readonly clock: Clock,
    private readonly events: MeetingEvents,
  ) {}

  /**
   * `created` is true for the request whose create made the meeting the appointment has: the
   * first, or the first to succeed after a create that was interrupted.
   */
  async run(
    partner: PartnerRecord,
    input: CreateMeetingInput,
  ): Promise<{ created: boolean; record: SettledMeeting }> {
    const requestHash = hashRequest(partner, input);
    const key = `${partner.id}\u0000${input.appointmentId}`;
    for (let round = 0; round < MAX_CLAIM_ROUNDS; round += 1) {
      const running = this.running.get(key);
      if (running) return { created: false, record: replayOrConflict(await running, requestHash) };

      const claimed = await this.claim(partner, input.appointmentId, requestHash);
      if (claimed.kind === 'lost') continue;
      if (claimed.kind === 'answered') {
        return { created: false, record: replayOrConflict(claimed.record, requestHash) };
      }
      const work = this.complete(partner, claimed.claim, claimed.fresh, input);
      this.running.set(key, work);
      try {
        return { created: true, record: await work };
      } finally {
        this.running.delete(key);
      }
    }
    throw new AppError('CONCURRENT_UPDATE', {
      detail: 'Other requests for this appointment kept changing it; read it with GET and retry.',
    });
  }

  /**
   * Step 1: the appointment's record, claimed for this request (new, taken over from a create
   * whose owner is gone, or made anew after Teams lost the meeting), or answered by what is there.
   */
  private async claim(partner: PartnerRecord, appointmentId: string, requestHash: string): Promise<Claim> {
    // The claim first: a new appointment, the common case, costs one write and no read; a record
    // already there comes back with the attempt.
    const timestamp = isoNow(this.clock);
    const claim = {
      partnerId: partner.id,
      appointmentId,
      status: 'pending' as const,
      requestHash,
      externalId: externalIdOf(partner.id, appointmentId),
      details: null,
      version: 1,
      createdAt: timestamp,
      updatedAt: timestamp,
      lease: this.leases.grant(),
      calendarSequence: 0,
      pendingChange: null,
    };
    const attempt = await this.meetings.claim(claim);
    if (attempt.claimed) return { kind: 'won', claim, fresh: true };
    const existing = await this.waitWhileCreating(attempt.existing, requestHash);
    // Gone meanwhile (a create released it): claim again.
    if (existing === null) return { kind: 'lost' };
    if (existing.status === 'pending' || existing.status === 'gone') {
      // A pending record here is one whose lease expired: its create was interrupted.
      const taken = await this.leases.take<PendingMeeting>({
        ...existing,
        status: 'pending',
        requestHash,
        details: null,
        externalId: existing.status === 'gone' ? nextExternalId(existing.externalId) : existing.externalId,
        // A new meeting (a new join link) for the same calendar event: invites must be sent again.
        calendarSequence: existing.calendarSequence + (existing.status === 'gone' ? 1 : 0),
        updatedAt: isoNow(this.clock),
      });
      return taken === null
        ? { kind: 'lost' }
        : { kind: 'won', claim: taken as PendingMeeting & { lease: Lease }, fresh: false };
    }
    return { kind: 'answered', record: existing };
  }

  /**
   * The appointment's record once no other request is creating it: while another request holds a
   * pending claim, the same request waits for its answer (within this request's budget), and a
   * request with other details is told at once. Null when the record went meanwhile.
   */
  private async waitWhileCreating(found: MeetingRecord, requestHash: string): Promise<MeetingRecord | null> {
    let record: MeetingRecord | null = found;
    for (let round = 0; ; round += 1) {
      if (record === null || record.status !== 'pending' || !this.leases.isHeld(record)) return record;
      if (record.requestHash !== requestHash || !(await this.leases.pause(round))) {
        throw inProgress(this.leases.secondsLeft(record), record.requestHash === requestHash);
      }
      record = await this.meetings.get(record.partnerId, record.appointmentId);
    }
  }

  /** Steps 2-5 for a won claim; on any failure the claim is released for a corrected request. */
  private async complete(
    partner: PartnerRecord,
    claim: PendingMeeting,
    fresh: boolean,
    input: CreateMeetingInput,
  ): Promise<SettledMeeting> {
    try {
      const { organizer, attendees } = await this.participants.resolve(
        partner,
        input.operator,
        input.attendees ?? [],
      );
      const wanted: MeetingInput = {
        subject: input.subject,
        startDateTime: toUtc(input.startDateTime),
        endDateTime: toUtc(input.endDateTime),
        attendees: matchedOf(attendees),
      };
      const made = await this.createOrGet(partner, organizer, claim, input.operator, wanted, !fresh);
      const options: MeetingOptions = { ...partner.meetingDefaults, ...input.options };
      const meeting = await this.reconcile(partner, made, wanted, options);
      return await this.persist(partner, claim, meeting, made.organizer, attendees, meeting.wantedOptions);
    } catch (error) {
      // A record this request made goes; one it took over stays, pending without a lease, so that
      // the next create takes it over with its externalId (a meeting this attempt made is found,
      // not doubled) and its calendar sequence (calendars ignore a lower one).
      await (
        fresh
          ? this.meetings.releaseClaim(claim.partnerId, claim.appointmentId, claim.version)
          : this.leases.release(claim)
      ).catch(() => undefined);
      throw error;
    }
  }

  /** Step 3: the Teams meeting, made or found by externalId; a stale organizer id is looked up again once. */
  private async createOrGet(
    partner: PartnerRecord,
    organizer: Organizer,
    claim: PendingMeeting,
    operator: Identity,
    wanted: MeetingInput,
    /** A record taken over: the create that died may have made the meeting already. */
    mayExist: boolean,
  ): Promise<{ created: boolean; meeting: TeamsMeeting; organizer: Organizer }> {
    try {
      return {
        ...(await this.providers
          .of(partner)
          .createOrGet(partner, organizer.id, claim.externalId, wanted, { mayExist })),
        organizer,
      };
    } catch (error) {
      if (!(error instanceof UnknownOrganizerError)) throw error;
      this.participants.forgetOrganizer(partner, operator);
      const fresh = await this.participants.organizer(partner, operator);
      return {
        ...(await this.providers
          .of(partner)
          .createOrGet(partner, fresh.id, claim.externalId, wanted, { mayExist })),
        organizer: { ...organizer, id: fresh.id },
      };
    }
  }

  /**
   * Step 4: one PATCH when Teams' meeting lacks something wanted: the options that differ, and
   * for a meeting that already existed (a takeover after a crash) the details that drifted.
   */
  private async reconcile(
    partner: PartnerRecord,
    made: { created: boolean; meeting: TeamsMeeting; organizer: Organizer },
    wanted: MeetingInput,
    options: MeetingOptions,
  ): Promise<TeamsMeeting & { wantedOptions?: MeetingOptions }> {
    const drift = made.created ? {} : differences(made.meeting, wanted);
    const optionChanges = optionDifferences(made.meeting.options, options);
    if (Object.keys(drift).length === 0 && Object.keys(optionChanges).length === 0) return made.meeting;
    // The event's Teams meeting was not found (a warning says why): its options wait for the next change.
    if (made.meeting.id === '') return { ...made.meeting, wantedOptions: options };
    try {
      return await this.providers.of(partner).update(partner, made.organizer.id, refOfMeeting(made.meeting), {
        ...drift,
        ...(Object.keys(optionChanges).length > 0 ? { options: optionChanges } : {}),
      });
    } catch (error) {
      // A step after the adviser's event exists never fails the create: the students are invited.
      if (!made.meeting.event || !(error instanceof AppError) || error instanceof MeetingGoneError)
        throw error;
      const warning = {
        code: error.code,
        detail: `The event exists and the students are invited, but its Teams meeting's options could not be set (${error.detail}) The next change tries again.`,
        ...(error.remediation ? { remediation: error.remediation } : {}),
      };
      return {
        ...made.meeting,
        warnings: [...(made.meeting.warnings ?? []), warning],
        wantedOptions: options,
      };
    }
  }

  /** Step 5: the claim becomes the scheduled record, unless another instance finished it first. */
  private async persist(
    partner: PartnerRecord,
    claim: PendingMeeting,
    meeting: TeamsMeeting,
    organizer: Organizer,
    attendees: AttendeeOutcome[],
    /** Options not applied yet (see the details' warnings): the next change applies them. */
    wantedOptions?: MeetingOptions,
  ): Promise<SettledMeeting> {
    const details = detailsFrom(meeting, organizer, attendees, meeting.options);
    const record: ScheduledMeeting = {
      ...claim,
      status: 'scheduled',
      details: wantedOptions ? { ...details, wantedOptions } : details,
      version: claim.version + 1,
      updatedAt: isoNow(this.clock),
      lease: null,
    };
    if (await this.meetings.update(record, claim.version, this.events.between(claim, record))) return record;
    const latest = await this.meetings.get(claim.partnerId, claim.appointmentId);
    if (latest === null) {
      // The record went with its partner (DELETE /partners/{id} while this create ran): nothing may
      // refer to the meeting any more, so it goes from Teams too.
      await this.providers.of(partner).remove(partner, organizer.id, refOfMeeting(meeting));
      throw new AppError('PARTNER_NOT_FOUND', {
        detail: `Partner '${claim.partnerId}' was deleted while this meeting was being made; the meeting was removed from Teams again.`,
      });
    }
    if (latest.status === 'scheduled' || latest.status === 'cancelled') return latest;
    // Only a request whose lease expired loses its claim: another one took it over.
    throw inProgress(this.leases.secondsLeft(latest), latest.requestHash === claim.requestHash);
  }
}

/** Another request holds this appointment's pending claim (its lease ends in `seconds`). */
function inProgress(seconds: number, sameDetails: boolean): AppError {
  return new AppError('MEETING_IN_PROGRESS', {
    detail: sameDetails
      ? `The same create for this appointment is still running in another request; send it again after ${seconds} seconds.`
      : `A create for this appointment with other details is running in another request, or was interrupted; retry after ${seconds} seconds, then change the meeting with PATCH if it differs.`,
    retryAfterSeconds: seconds,
  });
}

/** What a replay is answered with: the meeting, a conflict, or "being made". */
function replayOrConflict(record: MeetingRecord, requestHash: string): SettledMeeting {
  if (record.requestHash !== requestHash) {
    throw new AppError('APPOINTMENT_EXISTS', {
      detail: `Appointment '${record.appointmentId}' already has a meeting with other details.`,
      remediation:
        'Change the meeting with PATCH /appointments/{appointmentId}/meeting, or cancel it with DELETE.',
    });
  }
  if (record.status === 'pending') throw inProgress(1, true);
  if (record.status === 'gone') {
    throw new AppError('MEETING_NOT_FOUND', {
      detail: `The meeting of appointment '${record.appointmentId}' was deleted in Teams.`,
    });
  }
  return record;
}

/** The create's details in a canonical form: identities normalised, times as instants. */
function hashRequest(partner: PartnerRecord, input: CreateMeetingInput): string {
  const canonical = JSON.stringify([
    input.subject,
    Date.parse(input.startDateTime),
    Date.parse(input.endDateTime),
    normaliseIdentity(localValue(input.operator, partner.operatorLocalMatchField) ?? ''),
    (input.attendees ?? []).map((a) => normaliseIdentity(localValue(a, partner.userLocalMatchField) ?? '')),
    Object.entries(input.options ?? {}).sort(([a], [b]) => a.localeCompare(b)),
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** What a meeting that already existed lacks of the wanted details (a takeover after a crash). */
function differences(meeting: TeamsMeeting, wanted: MeetingInput): Partial<MeetingInput> {
  const drift: Partial<MeetingInput> = {};
  if (meeting.subject !== wanted.subject) drift.subject = wanted.subject;
  if (
    Date.parse(meeting.startDateTime) !== Date.parse(wanted.startDateTime) ||
    Date.parse(meeting.endDateTime) !== Date.parse(wanted.endDateTime)
  ) {
    drift.startDateTime = wanted.startDateTime;
    drift.endDateTime = wanted.endDateTime;
  }
  const have = [...meeting.attendeeIds].sort().join(',');
  const want = wanted.attendees
    .map((a) => a.id)
    .sort()
    .join(',');
  if (have !== want) drift.attendees = wanted.attendees;
  return drift;
}
