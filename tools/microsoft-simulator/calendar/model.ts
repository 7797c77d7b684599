/**
 * Exchange Online as the simulator keeps it: events per mailbox (each with the Teams meeting behind
 * it), the mails Exchange sends for them, which mailboxes an app may reach (RBAC for Applications
 * scopes, or a tenant-wide Calendars.ReadWrite consent), users without a mailbox, and the
 * in-flight requests per app and mailbox (Outlook allows 4 at once).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';

export interface SimEventAttendee {
  address: string;
  name: string | null;
  type: 'required' | 'optional' | 'resource';
}

export interface SimEvent {
  id: string;
  tenantId: string;
  /** The mailbox (organizer) object id. */
  mailboxId: string;
  appId: string;
  iCalUId: string;
  transactionId: string | null;
  subject: string;
  /** UTC, ISO 8601 with `Z`. */
  start: string;
  end: string;
  attendees: SimEventAttendee[];
  isOnlineMeeting: boolean;
  /** The online meeting behind it (`onlineMeetings/{id}`), when it is a Teams meeting. */
  meetingId: string | null;
  /** Reads of the event still to answer without its join link (Graph fills it a moment later). */
  joinUrlLag: number;
  extendedProperties: Array<{ id: string; value: string }>;
  bodyContent: string | null;
  isCancelled: boolean;
  createdDateTime: string;
  lastModifiedDateTime: string;
}

export type SimMailKind = 'invitation' | 'update' | 'cancellation';

/** One message Exchange sent from the organizer's mailbox about an event. */
export interface SimMail {
  at: string;
  kind: SimMailKind;
  /** The organizer's mailbox address. */
  from: string;
  /** The recipient, as the event names them. */
  to: string;
  eventId: string;
  iCalUId: string;
  subject: string;
  start: string;
  end: string;
  joinUrl: string | null;
  comment: string | null;
}

const key = (...parts: string[]) => parts.map((p) => p.toLowerCase()).join('|');

export class CalendarStore {
  private readonly events = new Map<string, SimEvent>();
  private mailLog: SimMail[] = [];
  /** tenant|app → the mailboxes (object ids) its RBAC scope holds. */
  private readonly scopes = new Map<string, Set<string>>();
  private readonly withoutMailbox = new Set<string>();
  private readonly inFlight = new Map<string, number>();
  /** Reads before a new event shows its join link. */
  joinUrlLag = 0;
  /** Requests at once per app and mailbox before 429 (Outlook: 4). */
  concurrencyLimit = 4;

  clear(): void {
    this.events.clear();
    this.mailLog = [];
    this.scopes.clear();
    this.withoutMailbox.clear();
    this.inFlight.clear();
    this.joinUrlLag = 0;
    this.concurrencyLimit = 4;
  }

  /** Exchange RBAC for Applications: the app may use these mailboxes' calendars (added to its scope). */
  scope(tenantId: string, appId: string, mailboxIds: string[]): void {
    const set = this.scopes.get(key(tenantId, appId)) ?? new Set<string>();
    for (const id of mailboxIds) set.add(id.toLowerCase());
    this.scopes.set(key(tenantId, appId), set);
  }

  unscope(tenantId: string, appId: string, mailboxId: string): void {
    this.scopes.get(key(tenantId, appId))?.delete(mailboxId.toLowerCase());
  }

  inScope(tenantId: string, appId: string, mailboxId: string): boolean {
    return this.scopes.get(key(tenantId, appId))?.has(mailboxId.toLowerCase()) ?? false;
  }

  removeMailbox(userId: string): void {
    this.withoutMailbox.add(userId.toLowerCase());
  }

  hasMailbox(userId: string): boolean {
    return !this.withoutMailbox.has(userId.toLowerCase());
  }

  /** Counts a request to a mailbox in; false when the app already has `concurrencyLimit` there. */
  enter(tenantId: string, appId: string, mailboxId: string): boolean {
    const k = key(tenantId, appId, mailboxId);
    const now = this.inFlight.get(k) ?? 0;
    if (now >= this.concurrencyLimit) return false;
    this.inFlight.set(k, now + 1);
    return true;
  }

  leave(tenantId: string, appId: string, mailboxId: string): void {
    const k = key(tenantId, appId, mailboxId);
    const now = this.inFlight.get(k) ?? 1;
    if (now <= 1) this.inFlight.delete(k);
    else this.inFlight.set(k, now - 1);
  }

  newEvent(
    fields: Omit<SimEvent, 'id' | 'iCalUId' | 'createdDateTime' | 'lastModifiedDateTime' | 'isCancelled'>,
  ): SimEvent {
    const at = new Date().toISOString();
    // Outlook's ids are long base64 with `/`, `+` and `=`: callers must percent-encode them.
    const id = `AAMk${randomBytes(48).toString('base64')}/+=`;
    const iCalUId = `040000008200E00074C5B7101A82E008${createHash('sha256').update(randomUUID()).digest('hex').toUpperCase().slice(0, 56)}`;
    const event: SimEvent = {
      ...fields,
      id,
      iCalUId,
      isCancelled: false,
      createdDateTime: at,
      lastModifiedDateTime: at,
    };
    this.events.set(id, event);
    return event;
  }

  event(mailboxId: string, id: string): SimEvent | undefined {
    const event = this.events.get(id);
    return event && event.mailboxId === mailboxId.toLowerCase() && !event.isCancelled ? event : undefined;
  }

  byTransactionId(mailboxId: string, transactionId: string): SimEvent | undefined {
    return [...this.events.values()].find(
      (e) => e.mailboxId === mailboxId.toLowerCase() && e.transactionId === transactionId,
    );
  }

  withProperty(mailboxId: string, id: string, value: string): SimEvent[] {
    return [...this.events.values()].filter(
      (e) =>
        e.mailboxId === mailboxId.toLowerCase() &&
        !e.isCancelled &&
        e.extendedProperties.some((p) => p.id.toLowerCase() === id.toLowerCase() && p.value === value),
    );
  }

  all(filter: { mailboxId?: string; includeCancelled?: boolean } = {}): SimEvent[] {
    return [...this.events.values()]
      .filter((e) => filter.mailboxId === undefined || e.mailboxId === filter.mailboxId.toLowerCase())
      .filter((e) => filter.includeCancelled || !e.isCancelled)
      .map((e) => structuredClone(e));
  }

  send(mail: Omit<SimMail, 'at'>): void {
    this.mailLog.push({ ...mail, at: new Date().toISOString() });
  }

  mails(filter: { to?: string; kind?: SimMailKind } = {}): SimMail[] {
    return this.mailLog
      .filter((m) => filter.to === undefined || m.to.toLowerCase() === filter.to.toLowerCase())
      .filter((m) => filter.kind === undefined || m.kind === filter.kind)
      .map((m) => ({ ...m }));
  }
}
