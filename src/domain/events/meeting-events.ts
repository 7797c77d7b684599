/**
 * The meeting events (API.md "Events to TARGETconnect"): which one a change of a record reports,
 * and the event itself, `data` being the meeting as GET answers it with the record's version as
 * its `sequence` (it rises with every write of the appointment, so a receiver can drop a stale one).
 */
import { isoNow, type Clock } from '../../clock';
import { toView, type MeetingRecord, type SettledMeeting } from '../meetings/meeting.record';
import { newEventId, type OutboundEvent } from './event.record';

export class MeetingEvents {
  constructor(
    private readonly calendarDomain: string,
    private readonly clock: Clock,
  ) {}

  /** The event `next` reports once written over `previous`; undefined when it reports none. */
  between(previous: MeetingRecord, next: MeetingRecord): OutboundEvent | undefined {
    const type = changeOf(previous, next);
    if (type === undefined || next.status === 'pending' || next.status === 'gone') return undefined;
    return {
      id: newEventId(),
      type,
      partnerId: next.partnerId,
      createdAt: isoNow(this.clock),
      data: { ...toView(next as SettledMeeting, this.calendarDomain), sequence: next.version },
    };
  }
}

function changeOf(
  previous: MeetingRecord,
  next: MeetingRecord,
): 'meeting.created' | 'meeting.updated' | 'meeting.cancelled' | undefined {
  if (next.status === 'cancelled') return previous.status === 'cancelled' ? undefined : 'meeting.cancelled';
  if (next.status !== 'scheduled') return undefined;
  if (previous.status === 'pending' || previous.status === 'gone') return 'meeting.created';
  if (previous.status !== 'scheduled') return undefined;
  return visible(previous) === visible(next) ? undefined : 'meeting.updated';
}

/** What a receiver sees of a meeting, without the record's own timestamps. */
function visible(record: SettledMeeting): string {
  const { warnings, wantedOptions: _wanted, ...details } = record.details;
  return JSON.stringify({ details, warnings: warnings ?? [], sequence: record.calendarSequence });
}
