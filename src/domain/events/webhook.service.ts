/**
 * TARGETconnect's webhooks (API.md "Events to TARGETconnect"): a partner key manages its own
 * partner's, the admin key every one (an admin webhook without a partner hears every partner).
 * Secrets are shown once and kept sealed under SECRETS_KEY; a rotation keeps the old secret
 * signing beside the new one for 24 hours.
 */
import { isoNow, type Clock } from '../../clock';
import { AppError } from '../errors';
import type { PartnerRepository } from '../partners/partners.port';
import type { SecretCipher } from '../partners/secret-cipher';
import { newEventId, type OutboundEvent } from './event.record';
import type { OutboxRepository, WebhookRepository } from './events.port';
import { newWebhookSecret } from './signature';
import type { DeliveryRecord, WebhookRecord } from './webhook.record';
import { randomBytes } from 'node:crypto';

/** Who asks: the admin key, or a partner key (its partner's webhooks only). */
export type WebhookCaller = { kind: 'admin' } | { kind: 'partner'; partnerId: string };

/** Checks a target before it is stored: the reason it is refused, or null (the integration's DNS). */
export interface WebhookTargets {
  refusal(url: string): Promise<string | null>;
}

export interface WebhookInput {
  url: string;
  events: string[];
  description?: string | undefined;
  /** Admin key only: one partner's events (else every partner's). */
  partnerId?: string | undefined;
}

export interface WebhookPatch {
  url?: string | undefined;
  events?: string[] | undefined;
  description?: string | null | undefined;
  enabled?: boolean | undefined;
}

export interface WebhookView {
  id: string;
  url: string;
  events: string[];
  partnerId: string | null;
  description: string | null;
  enabled: boolean;
  disabledReason?: string;
  /** While the secret before the last rotation still signs beside the new one. */
  previousSecretExpiresAt?: string;
  createdAt: string;
  updatedAt: string;
}

export interface DeliveryView {
  eventId: string;
  type: string;
  attempt: number;
  status: DeliveryRecord['status'];
  responseStatus: number | null;
  error: string | null;
  createdAt: string;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
}

/** How long the secret before a rotation keeps signing. */
export const ROTATION_OVERLAP_MS = 24 * 3_600_000;
const MAX_CHANGE_ATTEMPTS = 5;

/** Opened webhook secrets kept (the oldest dropped first). */
const OPENED_SECRETS_MAX = 500;

export class WebhookService {
  private readonly openedSecrets = new Map<string, string>();

  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly outbox: OutboxRepository,
    private readonly partners: PartnerRepository,
    private readonly cipher: SecretCipher,
    private readonly targets: WebhookTargets,
    private readonly clock: Clock,
    /** Told when an event was recorded here, so that the worker sends it without waiting for its poll. */
    private readonly recorded: () => void = () => undefined,
  ) {}

  async create(
    caller: WebhookCaller,
    input: WebhookInput,
  ): Promise<{ webhook: WebhookView; secret: string }> {
    let partnerId: string | null;
    if (caller.kind === 'partner') {
      if (input.partnerId !== undefined && input.partnerId !== caller.partnerId) {
        throw new AppError('VALIDATION_FAILED', {
          detail: 'A partner key makes webhooks for its own partner only.',
          errors: [{ field: 'body.partnerId', message: "must be absent or the key's own partner" }],
        });
      }
      partnerId = caller.partnerId;
    } else {
      partnerId = input.partnerId ?? null;
      if (partnerId !== null && (await this.partners.get(partnerId)) === null) {
        throw new AppError('PARTNER_NOT_FOUND', { detail: `Partner '${partnerId}' does not exist.` });
      }
    }
    await this.checkTarget(input.url);
    const id = `wh_${randomBytes(12).toString('base64url')}`;
    const secret = newWebhookSecret();
    const now = isoNow(this.clock);
    const record: WebhookRecord = {
      id,
      partnerId,
      url: input.url,
      events: normalised(input.events),
      description: input.description ?? null,
      enabled: true,
      disabledReason: null,
      secretCiphertext: this.cipher.encrypt(secret, associated(id)),
      previousSecretCiphertext: null,
      previousSecretExpiresAt: null,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    await this.webhooks.insert(record);
    return { webhook: this.view(record), secret };
  }

  async list(caller: WebhookCaller, partnerId?: string): Promise<WebhookView[]> {
    const records =
      caller.kind === 'partner'
        ? await this.webhooks.list(caller.partnerId)
        : await this.webhooks.list(partnerId);
    return records.map((record) => this.view(record));
  }

  async get(caller: WebhookCaller, id: string): Promise<WebhookView> {
    return this.view(await this.require(caller, id));
  }

  async patch(caller: WebhookCaller, id: string, patch: WebhookPatch): Promise<WebhookView> {
    if (patch.url !== undefined) await this.checkTarget(patch.url);
    return this.view(
      await this.change(caller, id, (record) => ({
        ...record,
        ...(patch.url === undefined ? {} : { url: patch.url }),
        ...(patch.events === undefined ? {} : { events: normalised(patch.events) }),
        ...(patch.description === undefined ? {} : { description: patch.description }),
        ...(patch.enabled === undefined
          ? {}
          : { enabled: patch.enabled, disabledReason: patch.enabled ? null : 'Disabled through the API.' }),
      })),
    );
  }

  async delete(caller: WebhookCaller, id: string): Promise<void> {
    await this.require(caller, id);
    await this.webhooks.delete(id);
  }

  /** A new secret, shown once; the one before keeps signing beside it for 24 hours. */
  async rotate(caller: WebhookCaller, id: string): Promise<{ webhook: WebhookView; secret: string }> {
    const secret = newWebhookSecret();
    const record = await this.change(caller, id, (current) => {
      // A secret this SECRETS_KEY cannot open cannot sign either: it is dropped, not kept.
      const readable = this.opens(current.secretCiphertext, id);
      return {
        ...current,
        secretCiphertext: this.cipher.encrypt(secret, associated(id)),
        previousSecretCiphertext: readable ? current.secretCiphertext : null,
        previousSecretExpiresAt: readable
          ? new Date(this.clock.now() + ROTATION_OVERLAP_MS).toISOString()
          : null,
      };
    });
    return { webhook: this.view(record), secret };
  }

  /** Sends a `webhook.test` event to this webhook alone (also a disabled one). */
  async test(caller: WebhookCaller, id: string): Promise<{ eventId: string }> {
    const webhook = await this.require(caller, id);
    const now = isoNow(this.clock);
    const event: OutboundEvent = {
      id: newEventId(),
      type: 'webhook.test',
      partnerId: webhook.partnerId,
      createdAt: now,
      webhookId: webhook.id,
      data: { webhookId: webhook.id, message: 'A test event from teams-meetings.' },
    };
    await this.outbox.record(event, now);
    this.recorded();
    return { eventId: event.id };
  }

  async deliveries(caller: WebhookCaller, id: string, limit: number): Promise<DeliveryView[]> {
    await this.require(caller, id);
    return (await this.outbox.deliveries(id, limit)).map(deliveryView);
  }

  /** Makes one delivery due now (again), whatever its state. */
  async retry(caller: WebhookCaller, id: string, eventId: string): Promise<DeliveryView> {
    await this.require(caller, id);
    const delivery = await this.outbox.retryNow(id, eventId, isoNow(this.clock));
    if (delivery === null) {
      throw new AppError('NOT_FOUND', { detail: `Webhook '${id}' has no delivery of event '${eventId}'.` });
    }
    this.recorded();
    return deliveryView(delivery);
  }

  /** The secrets that sign now: the current one, and the one before a rotation for 24 hours. */
  signingSecrets(record: WebhookRecord): string[] {
    // Throws when the current secret cannot be opened (SECRETS_KEY changed): nothing goes unsigned.
    const secrets = [this.opened(record.id, record.secretCiphertext)];
    const previous = this.openPrevious(record);
    if (previous !== null) secrets.push(previous);
    return secrets;
  }

  /** The secret before the last rotation while it still signs and can be opened; else null. */
  private openPrevious(record: WebhookRecord): string | null {
    if (
      record.previousSecretCiphertext === null ||
      record.previousSecretExpiresAt === null ||
      Date.parse(record.previousSecretExpiresAt) <= this.clock.now()
    ) {
      return null;
    }
    try {
      return this.opened(record.id, record.previousSecretCiphertext);
    } catch {
      return null;
    }
  }

  /**
   * A sealed secret, opened once per sealed value (a delivery opened it each time: 6 % of a
   * delivery's CPU, docs/BENCHMARKS.md). Keyed by the sealed text itself, so that a rotation or a
   * secret that cannot be opened is never served from here; a few hundred entries at most.
   */
  private opened(webhookId: string, sealed: string): string {
    const key = `${webhookId}\u0000${sealed}`;
    const hit = this.openedSecrets.get(key);
    if (hit !== undefined) return hit;
    const secret = this.cipher.decrypt(sealed, associated(webhookId));
    if (this.openedSecrets.size >= OPENED_SECRETS_MAX) {
      this.openedSecrets.delete(this.openedSecrets.keys().next().value!);
    }
    this.openedSecrets.set(key, secret);
    return secret;
  }

  private opens(sealed: string, id: string): boolean {
    try {
      this.cipher.decrypt(sealed, associated(id));
      return true;
    } catch {
      return false;
    }
  }

  /** The receiver said 410 Gone: the webhook stops at once. */
  async disable(id: string, reason: string): Promise<void> {
    for (let attempt = 0; attempt < MAX_CHANGE_ATTEMPTS; attempt++) {
      const record = await this.webhooks.get(id);
      if (record === null || !record.enabled) return;
      const next = { ...record, enabled: false, disabledReason: reason };
      if (await this.webhooks.update(this.bumped(next, record), record.version)) return;
    }
  }

  private async change(
    caller: WebhookCaller,
    id: string,
    edit: (record: WebhookRecord) => WebhookRecord,
  ): Promise<WebhookRecord> {
    for (let attempt = 0; attempt < MAX_CHANGE_ATTEMPTS; attempt++) {
      const record = await this.require(caller, id);
      const next = this.bumped(edit(record), record);
      if (await this.webhooks.update(next, record.version)) return next;
    }
    throw new AppError('CONCURRENT_UPDATE', {
      detail: 'The webhook kept changing while this request ran; send it again.',
      retryAfterSeconds: 1,
    });
  }

  private bumped(next: WebhookRecord, from: WebhookRecord): WebhookRecord {
    return { ...next, version: from.version + 1, updatedAt: isoNow(this.clock) };
  }

  /** The webhook if this caller may see it; another partner's does not exist for it (404). */
  private async require(caller: WebhookCaller, id: string): Promise<WebhookRecord> {
    const record = await this.webhooks.get(id);
    if (record === null || (caller.kind === 'partner' && record.partnerId !== caller.partnerId)) {
      throw new AppError('WEBHOOK_NOT_FOUND', { detail: `Webhook '${id}' does not exist.` });
    }
    return record;
  }

  private async checkTarget(url: string): Promise<void> {
    const reason = await this.targets.refusal(url);
    if (reason !== null) {
      throw new AppError('VALIDATION_FAILED', {
        detail: `The webhook URL is refused: ${reason}.`,
        errors: [{ field: 'body.url', message: reason }],
      });
    }
  }

  private view(record: WebhookRecord): WebhookView {
    const rotating =
      record.previousSecretExpiresAt !== null &&
      Date.parse(record.previousSecretExpiresAt) > this.clock.now();
    return {
      id: record.id,
      url: record.url,
      events: record.events,
      partnerId: record.partnerId,
      description: record.description,
      enabled: record.enabled,
      ...(record.disabledReason === null ? {} : { disabledReason: record.disabledReason }),
      ...(rotating ? { previousSecretExpiresAt: record.previousSecretExpiresAt! } : {}),
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    };
  }
}

function associated(webhookId: string): string {
  return `webhook:${webhookId}`;
}

/** Each type once, in the order given; `*` alone when present. */
function normalised(events: string[]): string[] {
  return events.includes('*') ? ['*'] : [...new Set(events)];
}

function deliveryView(d: DeliveryRecord): DeliveryView {
  return {
    eventId: d.eventId,
    type: d.type,
    attempt: d.attempts,
    status: d.status,
    responseStatus: d.responseStatus,
    error: d.error,
    createdAt: d.createdAt,
    lastAttemptAt: d.lastAttemptAt,
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
  };
}
