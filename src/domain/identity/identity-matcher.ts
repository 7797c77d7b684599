/**
 * Finds the Entra ID users behind TARGETconnect identities through a partner's match fields.
 * Results are cached per partner (misses for less long), concurrent lookups of one value share
 * one call, and all values missing from the cache are looked up together in one gateway call.
 */
import type { DirectoryUser, MicrosoftGateway } from '../microsoft.port';
import type { PartnerRecord, RemoteMatchField } from '../partners/partner.record';
import { normaliseIdentity } from './identity';
import { systemClock, type Clock } from '../../clock';

export type IdentityMatch =
  | { status: 'matched'; user: DirectoryUser }
  | { status: 'not_found' }
  | { status: 'ambiguous'; count: number };

/** One identity's outcome: its value, and who has it (`missing_field` when it had no value). */
export type IdentityOutcome = { value: null; status: 'missing_field' } | ({ value: string } & IdentityMatch);

export interface IdentityMatcherOptions {
  hitTtlMs?: number;
  missTtlMs?: number;
  maxEntries?: number;
  clock?: Clock;
  /** Told of each value served from the cache or looked up, for metrics. */
  onLookup?: (outcome: 'hit' | 'miss') => void;
}

interface Entry {
  match: IdentityMatch;
  expiresAt: number;
}

export class IdentityMatcher {
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<IdentityMatch>>();
  private readonly hitTtlMs: number;
  private readonly missTtlMs: number;
  private readonly maxEntries: number;
  private readonly clock: Clock;
  private readonly onLookup: (outcome: 'hit' | 'miss') => void;

  constructor(
    private readonly gateway: MicrosoftGateway,
    options: IdentityMatcherOptions = {},
  ) {
    this.hitTtlMs = options.hitTtlMs ?? 15 * 60_000;
    this.missTtlMs = options.missTtlMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 50_000;
    this.clock = options.clock ?? systemClock;
    this.onLookup = options.onLookup ?? (() => undefined);
  }

  /** Resolves every value (keys of the answer are normalised values). */
  async resolve(
    partner: PartnerRecord,
    field: RemoteMatchField,
    values: string[],
  ): Promise<Map<string, IdentityMatch>> {
    const wanted = [...new Set(values.map(normaliseIdentity))];
    const answer = new Map<string, IdentityMatch>();
    const waiting: Array<Promise<void>> = [];
    const missing: string[] = [];
    const at = this.clock.now();
    for (const value of wanted) {
      const key = this.key(partner, field, value);
      const entry = this.cache.get(key);
      if (entry && entry.expiresAt > at) {
        this.onLookup('hit');
        answer.set(value, entry.match);
        continue;
      }
      const pending = this.inFlight.get(key);
      if (pending) {
        this.onLookup('hit');
        waiting.push(pending.then((match) => void answer.set(value, match)));
        continue;
      }
      this.onLookup('miss');
      missing.push(value);
    }
    if (missing.length > 0) waiting.push(this.lookUp(partner, field, missing, answer));
    await Promise.all(waiting);
    return answer;
  }

  /** Each value's outcome, in order; null (the identity lacks the local field) is `missing_field`. */
  async match(
    partner: PartnerRecord,
    field: RemoteMatchField,
    values: Array<string | null>,
  ): Promise<IdentityOutcome[]> {
    const present = values.filter((v): v is string => v !== null);
    const matches =
      present.length === 0 ? new Map<string, IdentityMatch>() : await this.resolve(partner, field, present);
    return values.map((value): IdentityOutcome => {
      if (value === null) return { value, status: 'missing_field' };
      return { value, ...(matches.get(normaliseIdentity(value)) ?? { status: 'not_found' }) };
    });
  }

  /** Drops one cached value, e.g. an object id that Graph no longer knows. */
  invalidate(partner: PartnerRecord, field: RemoteMatchField, value: string): void {
    this.cache.delete(this.key(partner, field, normaliseIdentity(value)));
  }

  /** Drops everything cached for a partner (its configuration changed). */
  forgetPartner(partnerId: string): void {
    const prefix = `${partnerId}\u0000`;
    for (const key of this.cache.keys()) if (key.startsWith(prefix)) this.cache.delete(key);
  }

  private async lookUp(
    partner: PartnerRecord,
    field: RemoteMatchField,
    values: string[],
    answer: Map<string, IdentityMatch>,
  ): Promise<void> {
    const keys = values.map((value) => this.key(partner, field, value));
    const call = this.callGateway(partner, field, values);
    keys.forEach((key, i) => {
      const value = values[i]!;
      const shared = call.then((found): IdentityMatch => found.get(value) ?? { status: 'not_found' });
      // Callers who joined see the rejection; nobody joining must not make it unhandled.
      shared.catch(() => undefined);
      this.inFlight.set(key, shared);
    });
    try {
      const found = await call;
      const at = this.clock.now();
      for (const value of values) {
        const match = found.get(value) ?? ({ status: 'not_found' } as const);
        answer.set(value, match);
        this.remember(this.key(partner, field, value), match, at);
      }
    } finally {
      for (const key of keys) this.inFlight.delete(key);
    }
  }

  private async callGateway(
    partner: PartnerRecord,
    field: RemoteMatchField,
    values: string[],
  ): Promise<Map<string, IdentityMatch>> {
    const result = new Map<string, IdentityMatch>();
    if (field === 'id') {
      const users = await this.gateway.getUsersById(partner, values);
      for (const value of values) {
        const user = users.get(value) ?? null;
        result.set(value, user ? { status: 'matched', user } : { status: 'not_found' });
      }
      return result;
    }
    const users = await this.gateway.findUsers(partner, field, values);
    for (const value of values) {
      const found = users.get(value) ?? [];
      result.set(
        value,
        found.length === 1
          ? { status: 'matched', user: found[0]! }
          : found.length === 0
            ? { status: 'not_found' }
            : { status: 'ambiguous', count: found.length },
      );
    }
    return result;
  }

  private remember(key: string, match: IdentityMatch, at: number): void {
    if (this.cache.size >= this.maxEntries) {
      // Oldest first: Map keeps insertion order.
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.delete(key);
    this.cache.set(key, {
      match,
      expiresAt: at + (match.status === 'matched' ? this.hitTtlMs : this.missTtlMs),
    });
  }

  /**
   * The partner's `updatedAt` is part of the key: a configuration change made through another
   * instance (a new tenant, other match fields) is never answered from this one's old entries.
   */
  private key(partner: PartnerRecord, field: RemoteMatchField, value: string): string {
    return `${partner.id}\u0000${partner.updatedAt}\u0000${field}\u0000${value}`;
  }
}
