/**
 * Leases: who may work on an appointment's record right now. A create, a change or a cancel takes
 * the record's lease (an owner and an expiry, written with the record's version check, so it holds
 * across instances) before it calls Teams, and gives it back with its result. Another request
 * waits while a live lease is held (within its own time budget), and may take a record over only
 * once the lease has expired, which means its owner is gone: it crashed or lost its store. Only
 * the owner releases a pending claim (the store deletes it by version). The lease outlives any
 * request that holds it: it lasts the request budget plus a margin.
 */
import { randomUUID } from 'node:crypto';
import { remainingBudgetMs } from '../../request-scope';
import type { MeetingRepository } from './meetings.port';
import type { Lease, MeetingRecord } from './meeting.record';
import { type Clock } from '../../clock';

export interface LeaseOptions {
  /** How long a lease lasts: longer than any request may take (REQUEST_TIMEOUT_MS + a margin). */
  ttlMs: number;
  clock: Clock;
}

/** Waits between looks at a busy record: short first, then up to this. */
const MAX_POLL_MS = 250;
const FIRST_POLL_MS = 20;

export class Leases {
  constructor(
    private readonly meetings: MeetingRepository,
    private readonly options: LeaseOptions,
  ) {}

  /** A new lease for the request asking. */
  grant(): Lease {
    return {
      owner: randomUUID(),
      expiresAt: new Date(this.options.clock.now() + this.options.ttlMs).toISOString(),
    };
  }

  /** Whether another request holds the record now. */
  isHeld(record: MeetingRecord): boolean {
    return record.lease !== null && Date.parse(record.lease.expiresAt) > this.options.clock.now();
  }

  /** Whole seconds until the record's lease expires (at least 1), for a Retry-After. */
  secondsLeft(record: MeetingRecord): number {
    if (record.lease === null) return 1;
    return Math.max(1, Math.ceil((Date.parse(record.lease.expiresAt) - this.options.clock.now()) / 1000));
  }

  /**
   * Waits before the next look at a busy record (round from 0); false when the request's budget
   * leaves no time for another look, and the caller should say the record is busy.
   */
  async pause(round: number): Promise<boolean> {
    const wait = Math.min(MAX_POLL_MS, FIRST_POLL_MS * 2 ** round);
    // Keep time to answer after the last look.
    if (remainingBudgetMs() < wait + 2 * MAX_POLL_MS) return false;
    await this.options.clock.sleep(wait);
    return true;
  }

  /**
   * The record with a new lease of this request's, written if its version is still `record`'s;
   * null when another request changed it first.
   */
  async take<R extends MeetingRecord>(record: R): Promise<R | null> {
    const leased = { ...record, lease: this.grant(), version: record.version + 1 };
    return (await this.meetings.update(leased, record.version)) ? leased : null;
  }

  /** Gives a record's lease back unchanged otherwise (after a failed call to Teams). */
  async release(record: MeetingRecord): Promise<void> {
    await this.meetings.update({ ...record, lease: null, version: record.version + 1 }, record.version);
  }
}
