/**
 * The heart of the service: the Teams meeting of an appointment. Create is idempotent end to end:
 * a database claim makes one record per partner and appointment, and Graph's createOrGet with an
 * externalId derived from both makes one Teams meeting, also when a create is repeated after a
 * crash, a lost answer, or on another instance.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../errors';
import { IdentityMatcher, normaliseIdentity, type IdentityMatch } from '../identity/identity-matcher';
import {
  UnknownOrganizerError,
  type MeetingAttendeeInput,
  type MicrosoftGateway,
  type TeamsMeeting,
} from '../microsoft.port';
import type { MeetingOptions, PartnerRecord } from '../partners/partner.model';
import type { AttendeeOutcome, MeetingDetails, MeetingRecord, MeetingRepository } from '../ports';

export type Identity = Record<string, string>;

export interface CreateMeetingInput {
  appointmentId: string;
  subject: string;
  startDateTime: string;
  endDateTime: string;
  operator: Identity;
  attendees?: Identity[] | undefined;
  options?: MeetingOptions | undefined;
}

export interface UpdateMeetingInput {
  subject?: string | undefined;
  startDateTime?: string | undefined;
  endDateTime?: string | undefined;
  attendees?: Identity[] | undefined;
  options?: MeetingOptions | undefined;
}

/** The meeting as the API answers it: what is kept of it, and the record's own fields. */
export type MeetingView = MeetingDetails & {
  appointmentId: string;
  status: 'scheduled' | 'cancelled';
  createdAt: string;
  updatedAt: string;
};

/** A pending claim older than this was left by a crashed request and may be taken over. */
const STALE_CLAIM_MS = 2 * 60_000;

/** The UTC form the service answers with: `2026-05-01T09:00:00Z`. */
export function toUtc(value: string): string {
  return new Date(value).toISOString().replace('.000Z', 'Z');
}

/** Graph's externalId for an appointment: stable, opaque, and the same on every instance. */
export function externalIdOf(partnerId: string, appointmentId: string): string {
  return `tm1-${createHash('sha256').update(`${partnerId}\n${appointmentId}`, 'utf8').digest('base64url')}`;
}

export class MeetingService {
  /** Creates running in this process, so concurrent identical requests share one. */
  private readonly creating = new Map<string, Promise<MeetingRecord>>();

  constructor(
    private readonly meetings: MeetingRepository,
    private readonly gateway: MicrosoftGateway,
    private readonly identities: IdentityMatcher,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** `created` is true only for the request that made the record. */
  async create(
    partner: PartnerRecord,
    input: CreateMeetingInput,
  ): Promise<{ created: boolean; meeting: MeetingView }> {
    const partnerId = partner.id;
    const requestHash = hashRequest(partner, input);
    const key = `${partnerId}\u0000${input.appointmentId}`;

    for (let attempt = 0; attempt < 3; attempt += 1) {
      const running = this.creating.get(key);
      if (running) {
        const record = await running;
        return { created: false, meeting: this.replayOrConflict(record, requestHash) };
      }
      const existing = await this.meetings.get(partnerId, input.appointmentId);
      if (existing && !(existing.status === 'pending' && this.mayTakeOver(existing, requestHash))) {
        return { created: false, meeting: this.replayOrConflict(existing, requestHash) };
      }
      const timestamp = this.now().toISOString();
      const claim: MeetingRecord = existing ?? {
        partnerId,
        appointmentId: input.appointmentId,
        status: 'pending',
        requestHash,
        externalId: externalIdOf(partnerId, input.appointmentId),
        details: null,
        version: 1,
        createdAt: timestamp,
        updatedAt: timestamp,
      };
      if (!existing) {
        const claimed = await this.meetings.claim(claim);
        if (!claimed.claimed) continue; // someone else got there first: look again
      }
      const work = this.complete(partner, { ...claim, requestHash }, input);
      this.creating.set(key, work);
      try {
        await work;
      } finally {
        this.creating.delete(key);
      }
      return { created: !existing, meeting: toView(await work) };
    }
    throw new AppError('APPOINTMENT_EXISTS', {
      detail: 'Other requests for this appointment kept changing it; read it with GET and retry.',
    });
  }

  async get(partnerId: string, appointmentId: string): Promise<MeetingView> {
    return toView(await this.requireMeeting(partnerId, appointmentId));
  }

  async update(
    partner: PartnerRecord,
    appointmentId: string,
    input: UpdateMeetingInput,
  ): Promise<MeetingView> {
    const partnerId = partner.id;
    const record = await this.requireMeeting(partnerId, appointmentId);
    const details = record.details!;
    if (record.status === 'cancelled') {
      throw new AppError('MEETING_NOT_FOUND', {
        detail: `The meeting of appointment '${appointmentId}' was cancelled; create a new appointment instead.`,
      });
    }
    let attendees = details.attendees;
    let attendeeInputs: MeetingAttendeeInput[] | undefined;
    if (input.attendees !== undefined) {
      attendees = await this.resolveAttendees(partner, input.attendees);
      attendeeInputs = matchedOf(attendees);
    }
    const options = input.options === undefined ? undefined : { ...details.options, ...input.options };
    const updated = await this.gateway.updateMeeting(partner, details.organizer.id, details.meetingId, {
      ...(input.subject === undefined ? {} : { subject: input.subject }),
      ...(input.startDateTime === undefined
        ? {}
        : { startDateTime: toUtc(input.startDateTime), endDateTime: toUtc(input.endDateTime!) }),
      ...(attendeeInputs === undefined ? {} : { attendees: attendeeInputs }),
      ...(options === undefined ? {} : { options }),
    });
    const next: MeetingRecord = {
      ...record,
      details: { ...detailsFrom(updated, details.organizer, attendees), options: options ?? details.options },
      version: record.version + 1,
      updatedAt: this.now().toISOString(),
    };
    if (!(await this.meetings.update(next, record.version))) {
      throw new AppError('APPOINTMENT_EXISTS', {
        detail: 'The meeting changed while this update ran; read it with GET and send the update again.',
      });
    }
    return toView(next);
  }

  /** Removes the meeting from Teams and keeps the record as cancelled; repeating it is harmless. */
  async cancel(partner: PartnerRecord, appointmentId: string): Promise<void> {
    const partnerId = partner.id;
    const record = await this.requireMeeting(partnerId, appointmentId);
    if (record.status === 'cancelled') return;
    await this.gateway.deleteMeeting(partner, record.details!.organizer.id, record.details!.meetingId);
    const next: MeetingRecord = {
      ...record,
      status: 'cancelled',
      version: record.version + 1,
      updatedAt: this.now().toISOString(),
    };
    if (await this.meetings.update(next, record.version)) return;
    // Changed meanwhile (e.g. a concurrent PATCH): the meeting is gone from Teams all the same.
    const latest = await this.meetings.get(partnerId, appointmentId);
    if (latest && latest.status !== 'cancelled') {
      await this.meetings.update(
        { ...latest, status: 'cancelled', version: latest.version + 1, updatedAt: next.updatedAt },
        latest.version,
      );
    }
  }

  private async requireMeeting(partnerId: string, appointmentId: string): Promise<MeetingRecord> {
    const record = await this.meetings.get(partnerId, appointmentId);
    if (!record || record.status === 'pending' || record.details === null) {
      throw new AppError('MEETING_NOT_FOUND', { detail: `Appointment '${appointmentId}' has no meeting.` });
    }
    return record;
  }

  private replayOrConflict(record: MeetingRecord, requestHash: string): MeetingView {
    if (record.requestHash !== requestHash) {
      throw new AppError('APPOINTMENT_EXISTS', {
        detail: `Appointment '${record.appointmentId}' already has a meeting with other details.`,
        remediation:
          'Change the meeting with PATCH /appointments/{appointmentId}/meeting, or cancel it with DELETE.',
      });
    }
    if (record.status === 'pending' || record.details === null) {
      throw new AppError('GRAPH_UNAVAILABLE', {
        detail: 'The meeting of this appointment is being created by another request; retry shortly.',
        retryAfterSeconds: 2,
      });
    }
    return toView(record);
  }

  /** A pending record can be finished by a request with the same details, or taken over when stale. */
  private mayTakeOver(record: MeetingRecord, requestHash: string): boolean {
    return (
      record.requestHash === requestHash ||
      this.now().getTime() - Date.parse(record.updatedAt) > STALE_CLAIM_MS
    );
  }

  private async complete(
    partner: PartnerRecord,
    claim: MeetingRecord,
    input: CreateMeetingInput,
  ): Promise<MeetingRecord> {
    try {
      const { organizer, attendees } = await this.resolveParticipants(partner, input);
      const wanted = {
        subject: input.subject,
        startDateTime: toUtc(input.startDateTime),
        endDateTime: toUtc(input.endDateTime),
        attendees: matchedOf(attendees),
      };
      let organizerId = organizer.id;
      let made: { created: boolean; meeting: TeamsMeeting };
      try {
        made = await this.gateway.createOrGetMeeting(partner, organizerId, claim.externalId, wanted);
      } catch (error) {
        if (!(error instanceof UnknownOrganizerError)) throw error;
        // A cached object id that Graph no longer knows: look the operator up again, once.
        this.identities.invalidate(
          partner,
          partner.operatorRemoteMatchField,
          operatorValue(partner, input.operator),
        );
        organizerId = (await this.resolveOperator(partner, input.operator)).id;
        made = await this.gateway.createOrGetMeeting(partner, organizerId, claim.externalId, wanted);
      }
      const options: MeetingOptions = { ...partner.meetingDefaults, ...input.options };
      let meeting = made.meeting;
      const drift = made.created ? {} : differences(meeting, wanted);
      const optionChanges = optionDifferences(meeting.options, options);
      if (Object.keys(drift).length > 0 || Object.keys(optionChanges).length > 0) {
        meeting = await this.gateway.updateMeeting(partner, organizerId, meeting.id, {
          ...drift,
          ...(Object.keys(optionChanges).length > 0 ? { options: optionChanges } : {}),
        });
      }
      const record: MeetingRecord = {
        ...claim,
        status: 'scheduled',
        details: {
          ...detailsFrom(meeting, { ...organizer, id: organizerId }, attendees),
          options: meeting.options,
        },
        version: claim.version + 1,
        updatedAt: this.now().toISOString(),
      };
      if (await this.meetings.update(record, claim.version)) return record;
      // Another instance finished the same appointment first: its record is the answer.
      const latest = await this.meetings.get(claim.partnerId, claim.appointmentId);
      if (latest?.details) return latest;
      throw new AppError('GRAPH_UNAVAILABLE', {
        detail: 'The meeting of this appointment is being created by another request; retry shortly.',
        retryAfterSeconds: 2,
      });
    } catch (error) {
      // Nothing half-made stays claimed: the same or a corrected request may try again.
      await this.meetings
        .releaseClaim(claim.partnerId, claim.appointmentId, claim.version)
        .catch(() => undefined);
      throw error;
    }
  }

  private async resolveParticipants(
    partner: PartnerRecord,
    input: CreateMeetingInput,
  ): Promise<{ organizer: MeetingDetails['organizer']; attendees: AttendeeOutcome[] }> {
    const attendeeIdentities = input.attendees ?? [];
    if (partner.operatorRemoteMatchField === partner.userRemoteMatchField) {
      // One lookup for the operator and every attendee when both use the same Entra property.
      const operatorVal = operatorValue(partner, input.operator);
      const values = [
        operatorVal,
        ...attendeeIdentities.map((a) => localValue(a, partner.userLocalMatchField)),
      ];
      const matches = await this.identities.resolve(
        partner,
        partner.operatorRemoteMatchField,
        values.filter((v): v is string => v !== null),
      );
      return {
        organizer: organizerFrom(partner, operatorVal, matches.get(normaliseIdentity(operatorVal))!),
        attendees: attendeeIdentities.map((a) =>
          attendeeFrom(localValue(a, partner.userLocalMatchField), matches),
        ),
      };
    }
    const [organizer, attendees] = await Promise.all([
      this.resolveOperator(partner, input.operator),
      this.resolveAttendees(partner, attendeeIdentities),
    ]);
    return { organizer, attendees };
  }

  private async resolveOperator(
    partner: PartnerRecord,
    operator: Identity,
  ): Promise<MeetingDetails['organizer']> {
    const value = operatorValue(partner, operator);
    const matches = await this.identities.resolve(partner, partner.operatorRemoteMatchField, [value]);
    return organizerFrom(partner, value, matches.get(normaliseIdentity(value))!);
  }

  private async resolveAttendees(partner: PartnerRecord, identities: Identity[]): Promise<AttendeeOutcome[]> {
    const values = identities.map((a) => localValue(a, partner.userLocalMatchField));
    const present = values.filter((v): v is string => v !== null);
    const matches =
      present.length === 0
        ? new Map<string, IdentityMatch>()
        : await this.identities.resolve(partner, partner.userRemoteMatchField, present);
    return values.map((value) => attendeeFrom(value, matches));
  }
}

function localValue(identity: Identity, field: string): string | null {
  const value = Object.hasOwn(identity, field) ? identity[field] : undefined;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function operatorValue(partner: PartnerRecord, operator: Identity): string {
  const value = localValue(operator, partner.operatorLocalMatchField);
  if (value === null) {
    throw new AppError('OPERATOR_IDENTITY_MISSING', {
      detail: `The operator has no '${partner.operatorLocalMatchField}', the field this partner matches advisers by.`,
      remediation: `Send '${partner.operatorLocalMatchField}' in 'operator', or change operatorLocalMatchField in the partner configuration (Step 4 - TARGETconnect platform).`,
    });
  }
  return value;
}

function organizerFrom(
  partner: PartnerRecord,
  value: string,
  match: IdentityMatch,
): MeetingDetails['organizer'] {
  const field = partner.operatorRemoteMatchField;
  if (match.status === 'not_found') {
    throw new AppError('OPERATOR_NOT_FOUND', {
      detail: `No Entra ID user has ${field} '${value}'.`,
      remediation: `Check that the adviser exists in Entra ID with this ${field}, or that operatorLocalMatchField/operatorRemoteMatchField (Step 4 - TARGETconnect platform) name the right fields.`,
    });
  }
  if (match.status === 'ambiguous') {
    throw new AppError('OPERATOR_AMBIGUOUS', {
      detail: `${match.count} Entra ID users have ${field} '${value}'; the organizer must be exactly one.`,
      remediation: `Match advisers on a unique property: set operatorRemoteMatchField to userPrincipalName or id (Step 4 - TARGETconnect platform).`,
    });
  }
  return {
    id: match.user.id,
    userPrincipalName: match.user.userPrincipalName,
    displayName: match.user.displayName,
  };
}

function attendeeFrom(value: string | null, matches: Map<string, IdentityMatch>): AttendeeOutcome {
  if (value === null) return { matched: false, reason: 'missing_field', value: null };
  const match = matches.get(normaliseIdentity(value));
  if (match?.status === 'matched') {
    return { matched: true, id: match.user.id, userPrincipalName: match.user.userPrincipalName };
  }
  return { matched: false, reason: match?.status === 'ambiguous' ? 'ambiguous' : 'not_found', value };
}

function matchedOf(attendees: AttendeeOutcome[]): MeetingAttendeeInput[] {
  const seen = new Set<string>();
  const result: MeetingAttendeeInput[] = [];
  for (const a of attendees) {
    if (!a.matched || seen.has(a.id)) continue;
    seen.add(a.id);
    result.push({ id: a.id, userPrincipalName: a.userPrincipalName });
  }
  return result;
}

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

function detailsFrom(
  meeting: TeamsMeeting,
  organizer: MeetingDetails['organizer'],
  attendees: AttendeeOutcome[],
): MeetingDetails {
  return {
    meetingId: meeting.id,
    joinWebUrl: meeting.joinWebUrl,
    joinMeetingId: meeting.joinMeetingId,
    passcode: meeting.passcode,
    subject: meeting.subject,
    startDateTime: toUtc(meeting.startDateTime),
    endDateTime: toUtc(meeting.endDateTime),
    organizer,
    attendees,
    options: meeting.options,
  };
}

/** What a meeting that already existed lacks of the wanted details (a takeover after a crash). */
function differences(
  meeting: TeamsMeeting,
  wanted: { subject: string; startDateTime: string; endDateTime: string; attendees: MeetingAttendeeInput[] },
) {
  const drift: {
    subject?: string;
    startDateTime?: string;
    endDateTime?: string;
    attendees?: MeetingAttendeeInput[];
  } = {};
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

/** The options that Teams does not already hold: a PATCH only when there is something to change. */
function optionDifferences(current: Required<MeetingOptions>, wanted: MeetingOptions): MeetingOptions {
  const changes: MeetingOptions = {};
  for (const key of Object.keys(wanted) as Array<keyof MeetingOptions>) {
    if (wanted[key] !== undefined && wanted[key] !== current[key]) {
      (changes as Record<string, unknown>)[key] = wanted[key];
    }
  }
  return changes;
}

function toView(record: MeetingRecord): MeetingView {
  const d = record.details!;
  return {
    appointmentId: record.appointmentId,
    meetingId: d.meetingId,
    joinWebUrl: d.joinWebUrl,
    joinMeetingId: d.joinMeetingId,
    passcode: d.passcode,
    subject: d.subject,
    startDateTime: d.startDateTime,
    endDateTime: d.endDateTime,
    status: record.status === 'cancelled' ? 'cancelled' : 'scheduled',
    organizer: d.organizer,
    attendees: d.attendees,
    options: d.options,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}
