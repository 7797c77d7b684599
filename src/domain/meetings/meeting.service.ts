/**
 * The heart of the service: the Teams meeting of an appointment, one use case per operation
 * (create-meeting.ts, update-meeting.ts, cancel-meeting.ts), each reading top to bottom.
 */
import type { IdentityMatcher } from '../identity/identity-matcher';
import type { MeetingProviders } from './meeting-provider.port';
import type { PartnerRecord } from '../partners/partner.record';
import type { MeetingRepository } from './meetings.port';
import { CancelMeeting, type LockOutcome } from './cancel-meeting';
import { CreateMeeting, type CreateMeetingInput } from './create-meeting';
import { toView, type MeetingView } from './meeting.record';
import { requireMeeting, settledOr404 } from './meeting-lookup';
import { UnsettledChanges } from './unsettled-changes';
import { Leases } from './leases';
import { Participants } from './participants';
import { UpdateMeeting, type UpdateMeetingInput } from './update-meeting';
import { type Clock } from '../../clock';
import { MeetingEvents } from '../events/meeting-events';
import type { SetupProblems } from '../events/setup-problems';

export type { CreateMeetingInput } from './create-meeting';
export type { UpdateMeetingInput } from './update-meeting';

export class MeetingService {
  private readonly creating: CreateMeeting;
  private readonly updating: UpdateMeeting;
  private readonly cancelling: CancelMeeting;
  private readonly unsettled: UnsettledChanges;
  private readonly calendarDomain: string;
  private readonly problems: SetupProblems | undefined;

  constructor(
    private readonly meetings: MeetingRepository,
    providers: MeetingProviders,
    identities: IdentityMatcher,
    options: {
      clock: Clock;
      /** How long a lease lasts: longer than any request may take (REQUEST_TIMEOUT_MS + a margin). */
      leaseMs: number;
      /** The right-hand side of calendar UIDs: the host of PUBLIC_BASE_URL. */
      calendarDomain: string;
      /** Told a create's failure that means the university's setup needs someone. */
      setupProblems?: SetupProblems;
    },
  ) {
    this.calendarDomain = options.calendarDomain;
    this.problems = options.setupProblems;
    const clock = options.clock;
    const participants = new Participants(identities);
    const leases = new Leases(meetings, { ttlMs: options.leaseMs, clock: options.clock });
    const events = new MeetingEvents(options.calendarDomain, clock);
    this.unsettled = new UnsettledChanges(meetings, providers, leases, clock, events);
    this.creating = new CreateMeeting(meetings, providers, participants, leases, clock, events);
    this.updating = new UpdateMeeting(
      meetings,
      providers,
      participants,
      leases,
      this.unsettled,
      clock,
      events,
    );
    this.cancelling = new CancelMeeting(meetings, providers, leases, this.unsettled, clock, events);
  }

  /** `created` is true only for the request that made the record. */
  async create(
    partner: PartnerRecord,
    input: CreateMeetingInput,
  ): Promise<{ created: boolean; meeting: MeetingView }> {
    let outcome;
    try {
      outcome = await this.creating.run(partner, input);
    } catch (error) {
      // A missing access policy or calendar scope, a refused credential: TARGETconnect hears of it.
      await this.problems?.fromError(partner.id, error, input.operator);
      throw error;
    }
    const { created, record } = outcome;
    // A replay of a record whose last change lost its answer answers what Teams holds.
    const current = created ? record : await this.unsettled.current(partner, record);
    return { created, meeting: toView(settledOr404(current, input.appointmentId), this.calendarDomain) };
  }

  /** The meeting as stored, once a change whose outcome was lost is settled from Teams. */
  async get(partner: PartnerRecord, appointmentId: string): Promise<MeetingView> {
    const record = await requireMeeting(this.meetings, partner.id, appointmentId);
    const current = settledOr404(await this.unsettled.current(partner, record), appointmentId);
    return toView(current, this.calendarDomain);
  }

  async update(
    partner: PartnerRecord,
    appointmentId: string,
    input: UpdateMeetingInput,
  ): Promise<MeetingView> {
    try {
      return toView(await this.updating.run(partner, appointmentId, input), this.calendarDomain);
    } catch (error) {
      await this.problems?.fromError(partner.id, error);
      throw error;
    }
  }

  /** Locks the meeting, removes it from Teams and keeps the record as cancelled; repeating it is harmless. */
  async cancel(partner: PartnerRecord, appointmentId: string): Promise<LockOutcome> {
    try {
      return await this.cancelling.run(partner, appointmentId);
    } catch (error) {
      await this.problems?.fromError(partner.id, error);
      throw error;
    }
  }
}
