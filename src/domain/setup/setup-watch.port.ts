/**
 * The daily setup watch's memory: for each partner, when its next check is due, what the last
 * one found, and the last error Microsoft answered (a check's or a request's). Also the two
 * counts of the fleet view (`GET /partners?include=status`) that come from other tables.
 */

export interface WatchRecord<R = unknown> {
  partnerId: string;
  /** When the next daily check is due (while one runs: when its claim runs out). */
  nextCheckAt: string;
  checkedAt: string | null;
  result: R | null;
  lastErrorCode: string | null;
  lastErrorAt: string | null;
}

export interface Adviser {
  /** The Entra ID object id the meetings were made for. */
  id: string;
  userPrincipalName: string | null;
}

export interface PartnerActivity {
  /** Meetings made (scheduled or since cancelled) since the time asked. */
  meetings: number;
  /** Webhook deliveries of the partner's events still to be sent. */
  eventsWaiting: number;
}

export interface SetupWatchRepository {
  /** Gives each partner without a row its first check time; returns how many were given one. */
  schedule(firstCheckAt: (partnerId: string) => string): Promise<number>;
  /**
   * Claims up to `limit` partners whose check is due at `now`, moving their next check to
   * `claimUntil`: another instance does not take them, and a dead instance's claim runs out.
   */
  claimDue(now: string, claimUntil: string, limit: number): Promise<string[]>;
  saveResult(partnerId: string, checkedAt: string, result: unknown, nextCheckAt: string): Promise<void>;
  /** A check that could not be made: only its next time changes (the last result stays). */
  postpone(partnerId: string, nextCheckAt: string): Promise<void>;
  /** The last Microsoft error met for the partner (a row is made with `nextCheckAt` if none). */
  noteError(partnerId: string, code: string, at: string, nextCheckAt: string): Promise<void>;
  get(partnerId: string): Promise<WatchRecord | null>;
  list(): Promise<WatchRecord[]>;
  /** The advisers the partner's meetings were made for since `since`, newest first. */
  advisersSince(partnerId: string, since: string, limit: number): Promise<Adviser[]>;
  /** Per partner: meetings made since `since` and events waiting (partners with neither are absent). */
  activity(since: string): Promise<Map<string, PartnerActivity>>;
}
