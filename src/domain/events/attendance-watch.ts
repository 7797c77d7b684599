/**
 * `attendance.ready` without asking (API.md "Events to TARGETconnect"): every scheduled meeting
 * carries when its attendance report is looked for next, ATTENDANCE_CHECK_DELAYS after its end
 * (planned again when the end moves, dropped when the meeting is cancelled). The worker looks
 * when a look is due (one already due is made at once), for partners with a webhook that wants
 * the event: once a report exists, one `attendance.ready` with the attendance as GET answers it,
 * its no-shows `"attended": false`. The event's dedupe key makes it once per meeting.
 */
import { isoNow, type Clock } from '../../clock';
import { AppError } from '../errors';
import type { AttendanceService } from '../meetings/attendance';
import type { MeetingRecord, ScheduledMeeting } from '../meetings/meeting.record';
import type { MeetingRepository } from '../meetings/meetings.port';
import type { PartnerRepository } from '../partners/partners.port';
import { newEventId } from './event.record';
import type { OutboxRepository, WebhookRepository } from './events.port';

/** `record` with its attendance looks planned from its end (or none, once it is not scheduled). */
export function plannedAttendance(record: MeetingRecord, delaysMs: readonly number[]): MeetingRecord {
  if (record.status !== 'scheduled') {
    return record.attendance?.dueAt
      ? { ...record, attendance: { ...record.attendance, dueAt: null } }
      : record;
  }
  const end = record.details.endDateTime;
  if (record.attendance?.forEnd === end) return record;
  const first = delaysMs[0];
  return {
    ...record,
    attendance: {
      forEnd: end,
      checks: 0,
      dueAt: first === undefined ? null : new Date(Date.parse(end) + first).toISOString(),
    },
  };
}

/**
 * The meetings' repository with every write planning the attendance looks, and telling the
 * worker when a write recorded an event.
 */
export function withAttendancePlan(
  meetings: MeetingRepository,
  delaysMs: readonly number[],
  recorded: () => void,
): MeetingRepository {
  return {
    get: (partnerId, appointmentId) => meetings.get(partnerId, appointmentId),
    claim: (record) => meetings.claim(record),
    releaseClaim: (partnerId, appointmentId, version) =>
      meetings.releaseClaim(partnerId, appointmentId, version),
    attendanceDue: (now, limit) => meetings.attendanceDue(now, limit),
    async update(record, expectedVersion, event) {
      const written = await meetings.update(plannedAttendance(record, delaysMs), expectedVersion, event);
      if (written && event !== undefined) recorded();
      return written;
    },
  };
}

/** How long a look holds its meeting before another instance may make it again. */
const LOOK_LEASE_MS = 5 * 60_000;

export class AttendanceWatch {
  constructor(
    private readonly meetings: MeetingRepository,
    private readonly partners: PartnerRepository,
    private readonly webhooks: WebhookRepository,
    private readonly outbox: OutboxRepository,
    private readonly attendance: AttendanceService,
    private readonly clock: Clock,
    private readonly delaysMs: readonly number[],
    private readonly recorded: () => void = () => undefined,
  ) {}

  /** Makes the looks that are due (up to `limit`); the number made. */
  async lookDue(limit = 20): Promise<number> {
    const due = await this.meetings.attendanceDue(isoNow(this.clock), limit);
    let looked = 0;
    for (const record of due) {
      if (await this.look(record)) looked += 1;
    }
    return looked;
  }

  private async look(record: ScheduledMeeting): Promise<boolean> {
    const plan = record.attendance;
    if (plan === undefined || plan.dueAt === null) return false;
    // Taken by this instance: the look is pushed on, so that no other makes it meanwhile.
    const held: ScheduledMeeting = {
      ...record,
      attendance: { ...plan, dueAt: new Date(this.clock.now() + LOOK_LEASE_MS).toISOString() },
      version: record.version + 1,
    };
    if (!(await this.meetings.update(held, record.version))) return false;
    const done = (dueAt: string | null, checks: number) =>
      this.meetings.update(
        { ...held, attendance: { ...plan, dueAt, checks }, version: held.version + 1 },
        held.version,
      );
    const partner = await this.partners.get(record.partnerId);
    if (partner === null || !(await this.webhooks.wants(partner.id, 'attendance.ready'))) {
      await done(null, plan.checks);
      return false;
    }
    let available = false;
    try {
      const view = await this.attendance.get(partner, record.appointmentId);
      if (view.state === 'available') {
        available = true;
        const now = isoNow(this.clock);
        const sent = await this.outbox.record(
          {
            id: newEventId(),
            type: 'attendance.ready',
            partnerId: partner.id,
            createdAt: now,
            dedupeKey: `attendance.ready:${partner.id}:${record.details.meetingId}`,
            data: view,
          },
          now,
        );
        if (sent) this.recorded();
      }
    } catch (error) {
      // Without OnlineMeetingArtifact.Read.All no look will ever find a report: stop looking.
      if (error instanceof AppError && error.code === 'PERMISSION_MISSING') {
        await done(null, plan.checks + 1);
        return true;
      }
      // Anything else (Graph down, throttled) counts as a look without a report.
    }
    const checks = plan.checks + 1;
    await done(available ? null : this.nextLook(plan.forEnd, checks), checks);
    return true;
  }

  /**
   * When look `checks + 1` is due: its delay after the end, but never sooner after this look than
   * the schedule's own gap between the two (a meeting recorded long after its end is not looked
   * at four times in a row: Teams writes a report minutes after a session ends). null: no more.
   */
  private nextLook(forEnd: string | null, checks: number): string | null {
    const wait = this.delaysMs[checks];
    if (wait === undefined) return null;
    const now = this.clock.now();
    const end = forEnd === null ? now : Date.parse(forEnd);
    const gap = wait - (this.delaysMs[checks - 1] ?? 0);
    return new Date(Math.max(end + wait, now + gap)).toISOString();
  }
}
