/** What admin consent needs from storage: each consent link's single-use state. */
export interface ConsentStateRecord {
  /** The state's random part (what the link carries, with its signature). */
  id: string;
  partnerId: string;
  expiresAt: string;
  usedAt: string | null;
}

export interface ConsentStateRepository {
  insert(state: ConsentStateRecord): Promise<void>;
  /**
   * Marks the state used if it is unused and unexpired at `now` (one statement: across instances
   * only one caller gets it). Its partner, or null for an unknown, used or expired state.
   */
  use(id: string, now: string): Promise<{ partnerId: string } | null>;
}
