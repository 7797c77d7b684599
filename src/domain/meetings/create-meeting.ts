/**
 * Creating an appointment's meeting, idempotent end to end. Three mechanisms, each for its own
 * case:
 * - requests in this process for the same appointment share one run (`running`);
 * - across processes, one record per partner and appointment (a database key) is claimed first;
 *   a pending claim is finished by a request with the same details, or taken over when stale;
 * - Graph's createOrGet with an externalId derived from partner and appointment makes one Teams
 *   meeting even when a create is repeated after a crash or a lost answer.
 * The steps: claim → resolve participants → createOrGet → reconcile → persist.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../errors';
import { localValue, normaliseIdentity, type Identity } from '../identity/identity';
import {
  UnknownOrganizerError,
  type MeetingInput,
  type MicrosoftGateway,
  type TeamsMeeting,
} from '../microsoft.port';
import type { MeetingOptions, PartnerRecord } from '../partners/partner.model';
import type { MeetingRepository } from '../ports';
import {
  externalIdOf,
  toUtc,
  toView,
  type AttendeeOutcome,
  type MeetingRecord,
  type MeetingView,
  type Organizer,
  type PendingMeeting,
  type SettledMeeting,
} from './meeting.record';
import { detailsFrom, optionDifferences } from './meeting-changes';
import { matchedOf, type Participants } from './participants';

export interface CreateMeetingInput {
  appointmentId: string;
  subject: string;
  startDateTime: string;
  endDateTime: string;
  operator: Identity;
  attendees?: Identity[] | undefined;
  options?: MeetingOptions | undefined;
}

/** A pending claim older than this was left by a crashed request and may be taken over. */
const STALE_CLAIM_MS = 2 * 60_000;
/** How long a caller should wait for another request's create to finish. */
const IN_PROGRESS_RETRY_SECONDS = 2;
/** Claims lost to other requests before giving up. */
const MAX_CLAIM_ROUNDS = 3;

type Claim =
  | { kind: 'answered'; record: MeetingRecord }
  | { kind: 'lost' }
  | { kind: 'won'; claim: PendingMeeting; fresh: boolean };

export class CreateMeeting {
  /** Creates running in this process, so concurrent identical requests share one. */
  private readonly running = new Map<string, Promise<SettledMeeting>>();

  constructor(
    private readonly meetings: MeetingRepository,
    private readonly gateway: MicrosoftGateway,
    private readonly participants: Participants,
    private readonly now: () => Date,
  ) {}

  /** `created` is true only for the request that made the record. */
  async run(
    partner: PartnerRecord,
    input: CreateMeetingInput,
  ): Promise<{ created: boolean; meeting: MeetingView }> {
    const requestHash = hashRequest(partner, input);
    const key = `${partner.id}\u0000${input.appointmentId}`;
    for (let round = 0; round < MAX_CLAIM_ROUNDS; round += 1) {
      const running = this.running.get(key);
      if (running) return { created: false, meeting: replayOrConflict(await running, requestHash) };

      const claimed = await this.claim(partner, input.appointmentId, requestHash);
      if (claimed.kind === 'lost') continue;
      if (claimed.kind === 'answered') {
        return { created: false, meeting: replayOrConflict(claimed.record, requestHash) };
      }
      const work = this.complete(partner, claimed.claim, input);
      this.running.set(key, work);
      try {
        return { created: claimed.fresh, meeting: toView(await work) };
      } finally {
        this.running.delete(key);
      }
    }
    throw new AppError('CONCURRENT_UPDATE', {
      detail: 'Other requests for this appointment kept changing it; read it with GET and retry.',
    });
  }

  /** Step 1: the appointment's record, claimed for this request or answered by what is there. */
  private async claim(partner: PartnerRecord, appointmentId: string, requestHash: string): Promise<Claim> {
    const existing = await this.meetings.get(partner.id, appointmentId);
    if (existing) {
      if (existing.status === 'pending' && this.mayTakeOver(existing, requestHash)) {
        return { kind: 'won', claim: { ...existing, requestHash }, fresh: false };
      }
      return { kind: 'answered', record: existing };
    }
    const timestamp = this.now().toISOString();
    const claim: PendingMeeting = {
      partnerId: partner.id,
      appointmentId,
      status: 'pending',
      requestHash,
      externalId: externalIdOf(partner.id, appointmentId),
      details: null,
      version: 1,
      createdAt: timestamp,
      updatedAt: timestamp,
    };
    const result = await this.meetings.claim(claim);
    return result.claimed ? { kind: 'won', claim, fresh: true } : { kind: 'lost' };
  }

  /** A pending record can be finished by a request with the same details, or taken over when stale. */
  private mayTakeOver(record: PendingMeeting, requestHash: string): boolean {
    return (
      record.requestHash === requestHash ||
      this.now().getTime() - Date.parse(record.updatedAt) > STALE_CLAIM_MS
    );
  }

  /** Steps 2-5 for a won claim; on any failure the claim is released for a corrected request. */
  private async complete(
    partner: PartnerRecord,
    claim: PendingMeeting,
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
      const made = await this.createOrGet(partner, organizer, claim, input.operator, wanted);
      const options: MeetingOptions = { ...partner.meetingDefaults, ...input.options };
      const meeting = await this.reconcile(partner, made, wanted, options);
      return await this.persist(claim, meeting, made.organizer, attendees);
    } catch (error) {
      await this.meetings
        .releaseClaim(claim.partnerId, claim.appointmentId, claim.version)
        .catch(() => undefined);
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
  ): Promise<{ created: boolean; meeting: TeamsMeeting; organizer: Organizer }> {
    try {
      return {
        ...(await this.gateway.createOrGetMeeting(partner, organizer.id, claim.externalId, wanted)),
        organizer,
      };
    } catch (error) {
      if (!(error instanceof UnknownOrganizerError)) throw error;
      this.participants.forgetOrganizer(partner, operator);
      const fresh = await this.participants.organizer(partner, operator);
      return {
        ...(await this.gateway.createOrGetMeeting(partner, fresh.id, claim.externalId, wanted)),
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
  ): Promise<TeamsMeeting> {
    const drift = made.created ? {} : differences(made.meeting, wanted);
    const optionChanges = optionDifferences(made.meeting.options, options);
    if (Object.keys(drift).length === 0 && Object.keys(optionChanges).length === 0) return made.meeting;
    return this.gateway.updateMeeting(partner, made.organizer.id, made.meeting.id, {
      ...drift,
      ...(Object.keys(optionChanges).length > 0 ? { options: optionChanges } : {}),
    });
  }

  /** Step 5: the claim becomes the scheduled record, unless another instance finished it first. */
  private async persist(
    claim: PendingMeeting,
    meeting: TeamsMeeting,
    organizer: Organizer,
    attendees: AttendeeOutcome[],
  ): Promise<SettledMeeting> {
    const record: SettledMeeting = {
      ...claim,
      status: 'scheduled',
      details: detailsFrom(meeting, organizer, attendees, meeting.options),
      version: claim.version + 1,
      updatedAt: this.now().toISOString(),
    };
    if (await this.meetings.update(record, claim.version)) return record;
    const latest = await this.meetings.get(claim.partnerId, claim.appointmentId);
    if (latest && latest.status !== 'pending') return latest;
    throw inProgress();
  }
}

function inProgress(): AppError {
  return new AppError('MEETING_IN_PROGRESS', {
    detail: 'The meeting of this appointment is being created by another request; retry shortly.',
    retryAfterSeconds: IN_PROGRESS_RETRY_SECONDS,
  });
}

/** What a replay is answered with: the meeting, a conflict, or "being made". */
function replayOrConflict(record: MeetingRecord, requestHash: string): MeetingView {
  if (record.requestHash !== requestHash) {
    throw new AppError('APPOINTMENT_EXISTS', {
      detail: `Appointment '${record.appointmentId}' already has a meeting with other details.`,
      remediation:
        'Change the meeting with PATCH /appointments/{appointmentId}/meeting, or cancel it with DELETE.',
    });
  }
  if (record.status === 'pending') throw inProgress();
  return toView(record);
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
