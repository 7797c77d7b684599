/**
 * Sending what the outbox holds (API.md "Events to TARGETconnect"): each due delivery is leased
 * to this instance, signed, sent, and its outcome written. A 2xx within the timeout succeeds; a
 * 410 disables the webhook; anything else waits the next of WEBHOOK_RETRY_DELAYS, and fails for
 * good once the schedule is spent. A process that dies mid-way leaves its lease to run out: the
 * delivery is then sent again (at least once; receivers dedupe on `webhook-id`).
 */
import { isoNow, type Clock } from '../../clock';
import type { OutboxRepository } from './events.port';
import { signature } from './signature';
import type { DeliveryRecord, DueDelivery } from './webhook.record';
import type { WebhookService } from './webhook.service';

/** The outcome of one POST, as the integration saw it. */
export type SendOutcome = { status: number } | { error: string };

/** The HTTP side: one POST, no redirects, the target checked on the address it connects to. */
export interface WebhookSender {
  send(url: string, headers: Record<string, string>, body: string): Promise<SendOutcome>;
}

export type DeliveryOutcome = 'succeeded' | 'retrying' | 'failed' | 'disabled';

export interface DeliveryOptions {
  /** Waits between attempts (WEBHOOK_RETRY_DELAYS): attempt n+1 comes delays[n-1] after attempt n. */
  retryDelaysMs: readonly number[];
  /** This instance, in the leases it takes. */
  owner: string;
  /** Attempts under way at once (each leased when a slot frees). */
  batchSize: number;
  /** A lease outlives the attempt it covers (10 s timeout and the writes around it). */
  leaseMs: number;
}

export class Deliveries {
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly webhooks: WebhookService,
    private readonly sender: WebhookSender,
    private readonly clock: Clock,
    private readonly options: DeliveryOptions,
    /** Told each attempt's outcome and how long its event waited for it (metrics, logs). */
    private readonly observed: (
      outcome: DeliveryOutcome,
      attempt: DeliveryRecord,
      waitedMs: number,
    ) => void = () => undefined,
  ) {}

  /** Attempts under way: sent or being sent, their outcomes not yet written. */
  private readonly underWay = new Set<Promise<void>>();

  /** Slots free for more attempts (`batchSize` in all). */
  free(): number {
    return this.options.batchSize - this.underWay.size;
  }

  /**
   * Leases what is due, as many as there are free slots, and starts sending it; resolves once the
   * leases are taken, with the number started. Each attempt writes its outcome when its own answer
   * comes, so a slow receiver holds its slot for up to the timeout and no other event with it. An
   * attempt that fails (its outcome could not be written) is given to `failed`; its lease runs out
   * and the delivery is sent again.
   */
  async startDue(failed: (error: unknown) => void): Promise<number> {
    const room = this.free();
    if (room <= 0) return 0;
    const now = this.clock.now();
    const due = await this.outbox.claimDue(
      new Date(now).toISOString(),
      this.options.owner,
      new Date(now + this.options.leaseMs).toISOString(),
      room,
    );
    for (const item of due) {
      const attempt: Promise<void> = this.attempt(item)
        .catch(failed)
        .finally(() => this.underWay.delete(attempt));
      this.underWay.add(attempt);
    }
    return due.length;
  }

  /** Resolves when a slot is free (at once when one is). */
  async slot(): Promise<void> {
    while (this.free() <= 0) await Promise.race(this.underWay);
  }

  /** Resolves once every attempt under way has written its outcome. */
  async settled(): Promise<void> {
    while (this.underWay.size > 0) await Promise.all(this.underWay);
  }

  /** One round (the tests' worker): leases what is due, sends it, writes every outcome. */
  async sendDue(): Promise<number> {
    const errors: unknown[] = [];
    const started = await this.startDue((error) => errors.push(error));
    await this.settled();
    if (errors.length > 0) throw errors[0];
    return started;
  }

  private async attempt({ delivery, webhook, body }: DueDelivery): Promise<void> {
    const attempt = delivery.attempts + 1;
    const startedAt = isoNow(this.clock);
    let outcome: SendOutcome;
    if (!webhook.enabled && delivery.type !== 'webhook.test') {
      outcome = { error: 'The webhook is disabled.' };
    } else {
      const timestamp = Math.floor(this.clock.now() / 1000);
      const signatures = this.signatures(webhook, delivery.eventId, timestamp, body);
      outcome =
        signatures === null
          ? {
              error:
                "The webhook's secret cannot be read with this service's SECRETS_KEY (it changed since): make a new secret with POST /webhooks/{id}/secret.",
            }
          : await this.sender.send(
              webhook.url,
              {
                'content-type': 'application/json',
                'user-agent': 'teams-meetings-webhooks/1',
                'webhook-id': delivery.eventId,
                'webhook-timestamp': String(timestamp),
                'webhook-signature': signatures.join(' '),
              },
              body,
            );
    }
    const result = this.next(delivery, attempt, outcome, startedAt, !webhook.enabled);
    if (result.outcome === 'disabled') {
      await this.webhooks.disable(webhook.id, `The receiver answered 410 Gone at ${startedAt}.`);
    }
    // A lease taken over meanwhile (this attempt outlived it) leaves the newer attempt's outcome.
    await this.outbox.finish(result.delivery, this.options.owner);
    this.observed(result.outcome, result.delivery, this.clock.now() - Date.parse(delivery.createdAt));
  }

  /** The attempt's signatures; null when a secret cannot be opened (nothing is sent unsigned). */
  private signatures(
    webhook: DueDelivery['webhook'],
    id: string,
    timestamp: number,
    body: string,
  ): string[] | null {
    try {
      return this.webhooks.signingSecrets(webhook).map((secret) => signature(secret, id, timestamp, body));
    } catch {
      return null;
    }
  }

  private next(
    delivery: DeliveryRecord,
    attempt: number,
    outcome: SendOutcome,
    at: string,
    disabled: boolean,
  ): { outcome: DeliveryOutcome; delivery: DeliveryRecord } {
    const base = {
      ...delivery,
      attempts: attempt,
      lastAttemptAt: at,
      updatedAt: isoNow(this.clock),
      responseStatus: 'status' in outcome ? outcome.status : null,
    };
    if ('status' in outcome && outcome.status >= 200 && outcome.status < 300) {
      return {
        outcome: 'succeeded',
        delivery: { ...base, status: 'succeeded', nextAttemptAt: null, error: null },
      };
    }
    const error = 'error' in outcome ? outcome.error : `The receiver answered ${outcome.status}.`;
    if (('status' in outcome && outcome.status === 410) || disabled) {
      return {
        outcome: disabled ? 'failed' : 'disabled',
        delivery: { ...base, status: 'failed', nextAttemptAt: null, error },
      };
    }
    const wait = this.options.retryDelaysMs[attempt - 1];
    if (wait === undefined) {
      return { outcome: 'failed', delivery: { ...base, status: 'failed', nextAttemptAt: null, error } };
    }
    return {
      outcome: 'retrying',
      delivery: {
        ...base,
        status: 'pending',
        nextAttemptAt: new Date(this.clock.now() + wait).toISOString(),
        error,
      },
    };
  }
}
