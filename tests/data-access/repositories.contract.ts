/**
 * One contract for every store engine: each repository method's behaviour, run against a fresh
 * store per test. Engine files call describeStoreContract with their own `open`.
 */
import type { MeetingRecord, PendingMeeting } from '../../src/domain/meetings/meeting.record';
import { StoreUnavailableError, type Store } from '../../src/domain/store.port';
import { type ApiKeyRecord } from '../../src/domain/partners/api-key.record';
import type { CertificateRecord } from '../../src/domain/partners/certificate.record';
import type { PartnerRecord } from '../../src/domain/partners/partner.record';

export interface OpenedStore {
  store: Store;
  cleanup(): Promise<void>;
}

export function partner(id: string, overrides: Partial<PartnerRecord> = {}): PartnerRecord {
  return {
    id,
    applicationId: `app-${id}`,
    tenantId: `tenant-${id}`,
    clientSecretCiphertext: 'v1:iv:tag:ciphertext',
    clientSecretExpiresAt: '2031-01-31T00:00:00.000Z',
    operatorLocalMatchField: 'email',
    operatorRemoteMatchField: 'mail',
    userLocalMatchField: 'username',
    userRemoteMatchField: 'userPrincipalName',
    cloud: 'global',
    credentialType: 'clientSecret',
    meetingDefaults: { lobbyBypassScope: 'organization', recordAutomatically: false },
    createdAt: '2025-01-01T10:00:00.000Z',
    updatedAt: '2025-01-01T10:00:00.000Z',
    version: 1,
    meetingMode: 'onlineMeeting',
    sendInvitations: true,
    consent: { status: 'none', grantedAt: null, error: null },
    ...overrides,
  };
}

function apiKey(id: string, partnerId: string, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id,
    partnerId,
    keyHash: `hash-${id}`,
    keyPrefix: `tmk_${id}`.slice(0, 8),
    createdAt: '2025-01-02T10:00:00.000Z',
    lastUsedAt: null,
    ...overrides,
  };
}

export function pending(
  partnerId: string,
  appointmentId: string,
  overrides: Partial<Omit<PendingMeeting, 'status' | 'details'>> = {},
): PendingMeeting {
  return {
    partnerId,
    appointmentId,
    status: 'pending',
    requestHash: 'request-hash-1',
    externalId: `ext-${appointmentId}`,
    details: null,
    version: 1,
    createdAt: '2025-02-01T09:00:00.000Z',
    updatedAt: '2025-02-01T09:00:00.000Z',
    lease: null,
    calendarSequence: 0,
    pendingChange: null,
    ...overrides,
  };
}

export function certificate(
  id: string,
  partnerId: string,
  overrides: Partial<CertificateRecord> = {},
): CertificateRecord {
  return {
    id,
    partnerId,
    thumbprint: `SHA1-${id}`.toUpperCase(),
    thumbprintSha256: `sha256-${id}`,
    subject: 'CN=TARGETconnect Teams meetings — Zoë',
    notBefore: '2026-01-01T00:00:00.000Z',
    notAfter: '2027-01-01T00:00:00.000Z',
    source: 'generated',
    certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    privateKeyCiphertext: `v1.iv.tag.${id}`,
    createdAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

const DETAILS = {
  meetingId: 'MSo1N2Y5ZGFjYy03MWJmLTQ3NDMtYjQxMy01M2EdFGkdRWHJlQ',
  joinWebUrl:
    'https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0?context=%7b%22Tid%22%7d',
  joinMeetingId: '1234567890',
  passcode: null,
  subject: 'Careers appointment — Zoë “quotes” \\ backslash ✓',
  startDateTime: '2025-03-01T10:00:00.0000000Z',
  endDateTime: '2025-03-01T10:30:00.0000000Z',
  organizer: { id: 'org-1', userPrincipalName: 'adviser@example.ac.uk', displayName: null },
  attendees: [
    { matched: true as const, id: 'u-1', userPrincipalName: 'student@example.ac.uk' },
    { matched: false as const, reason: 'ambiguous' as const, value: 'j.smith' },
    { matched: false as const, reason: 'missing_field' as const, value: null },
  ],
  options: {
    allowedPresenters: 'organizer' as const,
    allowMeetingChat: 'limited' as const,
    recordAutomatically: true,
  },
};

/** Registers the contract tests for one engine; `open` gives a fresh, empty, migrated store. */
export function describeStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`${name} store contract`, () => {
    let opened: OpenedStore;
    let store: Store;

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });

    afterEach(async () => {
      await opened.cleanup();
    });

    describe('partners', () => {
      it('gets what insert stored, field for field, and null for an unknown id', async () => {
        const record = partner('p1', { clientSecretCiphertext: null, clientSecretExpiresAt: null });
        expect(await store.partners.insert(record)).toBe(true);
        expect(await store.partners.get('p1')).toEqual(record);
        expect(await store.partners.get('nobody')).toBeNull();
      });

      it('keeps the meeting mode and whether Exchange invites the students', async () => {
        const record = partner('p1', { meetingMode: 'calendarEvent', sendInvitations: false });
        expect(await store.partners.insert(record)).toBe(true);
        expect(await store.partners.get('p1')).toEqual(record);
        const flipped = {
          ...record,
          sendInvitations: true,
          meetingMode: 'onlineMeeting' as const,
          version: 2,
        };
        expect(await store.partners.update(flipped, 1)).toBe(true);
        expect(await store.partners.get('p1')).toEqual(flipped);
      });

      it('lists every partner by id in byte order', async () => {
        for (const id of ['b-partner', 'B-partner', 'a-partner', '_x', 'A1'])
          await store.partners.insert(partner(id));
        const ids = (await store.partners.list()).map((p) => p.id);
        expect(ids).toEqual(['A1', 'B-partner', '_x', 'a-partner', 'b-partner']);
      });

      it('lists nothing when there are no partners', async () => {
        expect(await store.partners.list()).toEqual([]);
      });

      it('inserts once, and an update writes exactly what is given over the version it read', async () => {
        expect(await store.partners.insert(partner('p1'))).toBe(true);
        expect(await store.partners.insert(partner('p1', { applicationId: 'other' }))).toBe(false);
        const replaced = partner('p1', {
          applicationId: 'app-2',
          tenantId: 'tenant-2',
          clientSecretCiphertext: null,
          clientSecretExpiresAt: null,
          operatorRemoteMatchField: 'id',
          cloud: 'usgov',
          meetingDefaults: {},
          updatedAt: '2025-06-01T00:00:00.000Z',
          version: 2,
        });
        expect(await store.partners.update(replaced, 1)).toBe(true);
        expect(await store.partners.get('p1')).toEqual(replaced);
        expect(await store.partners.list()).toHaveLength(1);
      });

      it('refuses an update over a version that is no longer stored, and one of a partner gone', async () => {
        await store.partners.insert(partner('p1'));
        expect(await store.partners.update(partner('p1', { tenantId: 'first', version: 2 }), 1)).toBe(true);
        expect(await store.partners.update(partner('p1', { tenantId: 'late', version: 2 }), 1)).toBe(false);
        expect((await store.partners.get('p1'))?.tenantId).toBe('first');
        expect(await store.partners.update(partner('nobody', { version: 2 }), 1)).toBe(false);
        expect(await store.partners.get('nobody')).toBeNull();
      });

      it('keeps the first createdAt when updated', async () => {
        await store.partners.insert(partner('p1'));
        await store.partners.update(partner('p1', { createdAt: '2030-01-01T00:00:00.000Z', version: 2 }), 1);
        expect((await store.partners.get('p1'))?.createdAt).toBe('2025-01-01T10:00:00.000Z');
      });

      it('deletes a partner with its keys and meetings, leaving other partners alone', async () => {
        await store.partners.insert(partner('p1'));
        await store.partners.insert(partner('p2'));
        await store.apiKeys.insert(apiKey('k1', 'p1'));
        await store.apiKeys.insert(apiKey('k2', 'p2'));
        await store.meetings.claim(pending('p1', 'a1'));
        await store.meetings.claim(pending('p2', 'a1'));

        expect(await store.partners.delete('p1')).toBe(true);
        expect(await store.partners.get('p1')).toBeNull();
        expect(await store.apiKeys.findByHash('hash-k1')).toBeNull();
        expect(await store.apiKeys.listByPartner('p1')).toEqual([]);
        expect(await store.meetings.get('p1', 'a1')).toBeNull();

        expect(await store.apiKeys.findByHash('hash-k2')).not.toBeNull();
        expect(await store.meetings.get('p2', 'a1')).not.toBeNull();
        expect(await store.partners.delete('p1')).toBe(false);
      });

      it('lists secret expiries of every partner, null included', async () => {
        await store.partners.insert(partner('p1', { clientSecretExpiresAt: '2026-01-01T00:00:00.000Z' }));
        await store.partners.insert(partner('p2', { clientSecretExpiresAt: null }));
        await store.partners.insert(partner('p3', { clientSecretExpiresAt: '2027-01-01T00:00:00.000Z' }));
        const expiries = await store.partners.expiries();
        expect([...expiries].sort()).toEqual(
          ['2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z', null].sort(),
        );
        expect(expiries).toHaveLength(3);
      });
    });

    describe('api keys', () => {
      beforeEach(async () => {
        await store.partners.insert(partner('p1'));
        await store.partners.insert(partner('p2'));
      });

      it('finds a key by its hash with its partner, field for field', async () => {
        const key = apiKey('k1', 'p1');
        await store.apiKeys.insert(key);
        await store.apiKeys.insert(apiKey('k2', 'p2'));
        expect(await store.apiKeys.findByHash('hash-k1')).toEqual({ key, partner: partner('p1') });
        expect((await store.apiKeys.findByHash('hash-k2'))?.partner).toEqual(partner('p2'));
        expect(await store.apiKeys.findByHash('hash-none')).toBeNull();
        // The partner as it is now, not as it was when the key was issued.
        const changed = partner('p1', {
          tenantId: 'tenant-new',
          updatedAt: '2025-06-01T00:00:00.000Z',
          version: 2,
        });
        expect(await store.partners.update(changed, 1)).toBe(true);
        expect((await store.apiKeys.findByHash('hash-k1'))?.partner).toEqual(changed);
      });

      it("lists one partner's keys by creation time, then id", async () => {
        await store.apiKeys.insert(apiKey('k3', 'p1', { createdAt: '2025-01-03T00:00:00.000Z' }));
        await store.apiKeys.insert(apiKey('kb', 'p1', { createdAt: '2025-01-02T00:00:00.000Z' }));
        await store.apiKeys.insert(apiKey('kA', 'p1', { createdAt: '2025-01-02T00:00:00.000Z' }));
        await store.apiKeys.insert(apiKey('k9', 'p2'));
        const ids = (await store.apiKeys.listByPartner('p1')).map((k) => k.id);
        expect(ids).toEqual(['kA', 'kb', 'k3']);
        expect(await store.apiKeys.listByPartner('nobody')).toEqual([]);
      });

      it('rejects a second key with the same hash', async () => {
        await store.apiKeys.insert(apiKey('k1', 'p1'));
        // Not toThrow(): better-sqlite3's error class may come from another realm (jest's vm).
        const error: unknown = await store.apiKeys.insert(apiKey('k2', 'p2', { keyHash: 'hash-k1' })).then(
          () => 'resolved',
          (caught: unknown) => caught,
        );
        expect(String((error as Error).message)).toMatch(/unique/i);
        expect(error).not.toBeInstanceOf(StoreUnavailableError);
        expect((await store.apiKeys.findByHash('hash-k1'))?.key).toEqual(apiKey('k1', 'p1'));
      });

      it('rejects a key for a partner that does not exist', async () => {
        await expect(store.apiKeys.insert(apiKey('k1', 'nobody'))).rejects.not.toBeInstanceOf(
          StoreUnavailableError,
        );
        expect(await store.apiKeys.findByHash('hash-k1')).toBeNull();
      });

      it('deletes a key only through its own partner', async () => {
        await store.apiKeys.insert(apiKey('k1', 'p1'));
        expect(await store.apiKeys.delete('p2', 'k1')).toBe(false);
        expect(await store.apiKeys.findByHash('hash-k1')).not.toBeNull();
        expect(await store.apiKeys.delete('p1', 'k1')).toBe(true);
        expect(await store.apiKeys.findByHash('hash-k1')).toBeNull();
        expect(await store.apiKeys.delete('p1', 'k1')).toBe(false);
      });

      it('touch records the last use of that key only', async () => {
        await store.apiKeys.insert(apiKey('k1', 'p1'));
        await store.apiKeys.insert(apiKey('k2', 'p1'));
        await store.apiKeys.touch('k1', '2025-05-05T05:05:05.555Z');
        expect((await store.apiKeys.findByHash('hash-k1'))?.key.lastUsedAt).toBe('2025-05-05T05:05:05.555Z');
        expect((await store.apiKeys.findByHash('hash-k2'))?.key.lastUsedAt).toBeNull();
        await expect(store.apiKeys.touch('nobody', '2025-05-05T05:05:05.555Z')).resolves.toBeUndefined();
      });
    });

    describe('meetings', () => {
      beforeEach(async () => {
        await store.partners.insert(partner('p1'));
        await store.partners.insert(partner('p2'));
      });

      it('claims once, then returns the existing record', async () => {
        const first = pending('p1', 'a1');
        expect(await store.meetings.claim(first)).toEqual({ claimed: true });
        expect(await store.meetings.get('p1', 'a1')).toEqual(first);

        const second = pending('p1', 'a1', { requestHash: 'other', externalId: 'other' });
        expect(await store.meetings.claim(second)).toEqual({ claimed: false, existing: first });
        expect(await store.meetings.get('p1', 'a1')).toEqual(first);
      });

      it('scopes an appointment id by partner', async () => {
        expect(await store.meetings.claim(pending('p1', 'a1'))).toEqual({ claimed: true });
        expect(await store.meetings.claim(pending('p2', 'a1'))).toEqual({ claimed: true });
        expect(await store.meetings.get('p2', 'a2')).toBeNull();
      });

      it('lets exactly one of 20 concurrent claims win', async () => {
        const attempts = Array.from({ length: 20 }, (_, i) =>
          pending('p1', 'a1', { requestHash: `hash-${i}` }),
        );
        const results = await Promise.all(attempts.map((record) => store.meetings.claim(record)));
        const winners = results.filter((result) => result.claimed);
        expect(winners).toHaveLength(1);
        const stored = await store.meetings.get('p1', 'a1');
        for (const result of results) {
          if (!result.claimed) expect(result.existing).toEqual(stored);
        }
      });

      it('updates with the right version and refuses a stale one', async () => {
        const claimed = pending('p1', 'a1');
        await store.meetings.claim(claimed);
        const scheduled: MeetingRecord = {
          ...claimed,
          status: 'scheduled',
          details: DETAILS,
          version: 2,
          updatedAt: '2025-02-01T09:00:05.000Z',
        };
        expect(await store.meetings.update(scheduled, 1)).toBe(true);
        expect(await store.meetings.get('p1', 'a1')).toEqual(scheduled);

        const late: MeetingRecord = { ...claimed, status: 'cancelled', details: DETAILS, version: 2 };
        expect(await store.meetings.update(late, 1)).toBe(false);
        expect(await store.meetings.get('p1', 'a1')).toEqual(scheduled);

        const cancelled: MeetingRecord = { ...scheduled, status: 'cancelled', version: 3 };
        expect(await store.meetings.update(cancelled, 2)).toBe(true);
        expect(await store.meetings.get('p1', 'a1')).toEqual(cancelled);
      });

      it('update of a record that does not exist changes nothing', async () => {
        expect(await store.meetings.update(pending('p1', 'none', { version: 2 }), 1)).toBe(false);
        expect(await store.meetings.get('p1', 'none')).toBeNull();
      });

      it('keeps createdAt on update, and writes the externalId (a new meeting) and the lease', async () => {
        const claimed = pending('p1', 'a1');
        await store.meetings.claim(claimed);
        const lease = { owner: 'request-1', expiresAt: '2025-02-01T09:00:35.000Z' };
        await store.meetings.update(
          { ...claimed, externalId: 'ext-a1.2', createdAt: '2030-01-01T00:00:00.000Z', version: 2, lease },
          1,
        );
        const stored = await store.meetings.get('p1', 'a1');
        expect(stored?.externalId).toBe('ext-a1.2');
        expect(stored?.createdAt).toBe(claimed.createdAt);
        expect(stored?.lease).toEqual(lease);
        expect(stored?.version).toBe(2);
        await store.meetings.update({ ...stored!, lease: null, version: 3 }, 2);
        expect((await store.meetings.get('p1', 'a1'))?.lease).toBeNull();
      });

      it('claims with the calendar sequence, and update writes it', async () => {
        const claimed = pending('p1', 'a1', { calendarSequence: 4 });
        await store.meetings.claim(claimed);
        expect((await store.meetings.get('p1', 'a1'))?.calendarSequence).toBe(4);
        await store.meetings.update({ ...claimed, version: 2, calendarSequence: 5 }, 1);
        expect((await store.meetings.get('p1', 'a1'))?.calendarSequence).toBe(5);
      });

      it('claims with a lease and keeps it', async () => {
        const lease = { owner: 'request-2', expiresAt: '2025-02-01T09:00:35.000Z' };
        await store.meetings.claim(pending('p1', 'a1', { lease }));
        expect((await store.meetings.get('p1', 'a1'))?.lease).toEqual(lease);
      });

      it('round-trips details exactly, key order included', async () => {
        const claimed = pending('p1', 'a1');
        await store.meetings.claim(claimed);
        await store.meetings.update({ ...claimed, status: 'scheduled', details: DETAILS, version: 2 }, 1);
        const stored = await store.meetings.get('p1', 'a1');
        expect(stored?.details).toEqual(DETAILS);
        expect(JSON.stringify(stored?.details)).toBe(JSON.stringify(DETAILS));
      });

      it('writes a pending change with the lease, exactly, and clears it', async () => {
        const claimed = pending('p1', 'a1');
        await store.meetings.claim(claimed);
        const scheduled = { ...claimed, status: 'scheduled' as const, details: DETAILS, version: 2 };
        await store.meetings.update(scheduled, 1);
        const change = { kind: 'update' as const, details: { ...DETAILS, subject: 'Changed — Zoë' } };
        const lease = { owner: 'request-3', expiresAt: '2025-02-01T09:01:00.000Z' };
        await store.meetings.update({ ...scheduled, version: 3, lease, pendingChange: change }, 2);
        expect(await store.meetings.get('p1', 'a1')).toMatchObject({ lease, pendingChange: change });
        await store.meetings.update({ ...scheduled, version: 4, pendingChange: { kind: 'cancel' } }, 3);
        expect((await store.meetings.get('p1', 'a1'))?.pendingChange).toEqual({ kind: 'cancel' });
        await store.meetings.update({ ...scheduled, version: 5, pendingChange: null }, 4);
        expect((await store.meetings.get('p1', 'a1'))?.pendingChange).toBeNull();
      });

      it('releases only a pending claim of that version', async () => {
        const claimed = pending('p1', 'a1');
        await store.meetings.claim(claimed);
        await store.meetings.releaseClaim('p1', 'a1', 2);
        expect(await store.meetings.get('p1', 'a1')).not.toBeNull();
        await store.meetings.releaseClaim('p2', 'a1', 1);
        expect(await store.meetings.get('p1', 'a1')).not.toBeNull();
        await store.meetings.releaseClaim('p1', 'a1', 1);
        expect(await store.meetings.get('p1', 'a1')).toBeNull();
        expect(await store.meetings.claim(pending('p1', 'a1', { requestHash: 'again' }))).toEqual({
          claimed: true,
        });
      });

      it('does not release a scheduled meeting, even of that version', async () => {
        const claimed = pending('p1', 'a1');
        await store.meetings.claim(claimed);
        await store.meetings.update({ ...claimed, status: 'scheduled', details: DETAILS, version: 2 }, 1);
        await store.meetings.releaseClaim('p1', 'a1', 2);
        expect((await store.meetings.get('p1', 'a1'))?.status).toBe('scheduled');
      });

      it('lands every one of many concurrent writes; a bad one fails alone', async () => {
        const ids = Array.from({ length: 24 }, (_, i) => `c${i}`);
        const claims = await Promise.allSettled([
          ...ids.map((id) => store.meetings.claim(pending('p1', id))),
          store.meetings.claim(pending('nobody', 'c-bad')),
        ]);
        expect(claims.slice(0, ids.length).every((c) => c.status === 'fulfilled')).toBe(true);
        expect(claims.at(-1)?.status).toBe('rejected');
        const updates = await Promise.all(
          ids.map((id, i) =>
            store.meetings.update(
              {
                ...pending('p1', id),
                status: i % 2 ? 'scheduled' : 'cancelled',
                details: DETAILS,
                version: 2,
              },
              // Every third one stale: refused, the rest still written.
              i % 3 === 0 ? 7 : 1,
            ),
          ),
        );
        expect(updates).toEqual(ids.map((_, i) => i % 3 !== 0));
        for (const [i, id] of ids.entries()) {
          const stored = await store.meetings.get('p1', id);
          expect(stored?.version).toBe(i % 3 === 0 ? 1 : 2);
          if (i % 3 !== 0) expect(stored?.details).toEqual(DETAILS);
        }
      });

      it('rejects a claim for a partner that does not exist', async () => {
        await expect(store.meetings.claim(pending('nobody', 'a1'))).rejects.not.toBeInstanceOf(
          StoreUnavailableError,
        );
      });
    });

    describe('certificates', () => {
      beforeEach(async () => {
        await store.partners.insert(partner('p1', { credentialType: 'certificate' }));
        await store.partners.insert(partner('p2'));
      });

      it('gets what was stored, field for field, only under its own partner', async () => {
        const record = certificate('c1', 'p1', { source: 'imported' });
        expect(await store.certificates.insertOnce(record)).toEqual({ created: true, record });
        expect(await store.certificates.get('p1', 'c1')).toEqual(record);
        expect(await store.certificates.get('p2', 'c1')).toBeNull();
        expect(await store.certificates.get('p1', 'nothing')).toBeNull();
      });

      it("lists a partner's certificates newest first, and no other partner's", async () => {
        await store.certificates.insertOnce(
          certificate('c1', 'p1', { createdAt: '2026-01-01T00:00:00.000Z' }),
        );
        await store.certificates.insertOnce(
          certificate('c2', 'p1', { createdAt: '2026-03-01T00:00:00.000Z' }),
        );
        await store.certificates.insertOnce(certificate('c3', 'p2'));
        expect((await store.certificates.listByPartner('p1')).map((c) => c.id)).toEqual(['c2', 'c1']);
        expect((await store.certificates.listByPartner('p2')).map((c) => c.id)).toEqual(['c3']);
        expect(await store.certificates.listByPartner('nobody')).toEqual([]);
      });

      it('keeps one row per certificate and partner: a second insert answers the first', async () => {
        const first = certificate('c1', 'p1');
        await store.certificates.insertOnce(first);
        const again = certificate('c2', 'p1', {
          thumbprintSha256: first.thumbprintSha256,
          createdAt: '2026-05-01T00:00:00.000Z',
        });
        expect(await store.certificates.insertOnce(again)).toEqual({ created: false, record: first });
        expect(await store.certificates.listByPartner('p1')).toEqual([first]);
        const elsewhere = certificate('c3', 'p2', { thumbprintSha256: first.thumbprintSha256 });
        expect((await store.certificates.insertOnce(elsewhere)).created).toBe(true);
      });

      it('deletes one certificate of its own partner only', async () => {
        await store.certificates.insertOnce(certificate('c1', 'p1'));
        await store.certificates.insertOnce(certificate('c2', 'p1'));
        expect(await store.certificates.delete('p2', 'c1')).toBe(false);
        expect(await store.certificates.delete('p1', 'c1')).toBe(true);
        expect(await store.certificates.delete('p1', 'c1')).toBe(false);
        expect((await store.certificates.listByPartner('p1')).map((c) => c.id)).toEqual(['c2']);
      });

      it('goes with its partner', async () => {
        await store.certificates.insertOnce(certificate('c1', 'p1'));
        await store.partners.delete('p1');
        await store.partners.insert(partner('p1'));
        expect(await store.certificates.listByPartner('p1')).toEqual([]);
      });

      it('gives, per partner signing with certificates, its latest expiry (null: none)', async () => {
        await store.partners.insert(partner('p3', { credentialType: 'certificate' }));
        await store.certificates.insertOnce(
          certificate('c1', 'p1', { notAfter: '2027-01-01T00:00:00.000Z' }),
        );
        await store.certificates.insertOnce(
          certificate('c2', 'p1', { notAfter: '2028-06-01T00:00:00.000Z' }),
        );
        await store.certificates.insertOnce(
          certificate('c3', 'p2', { notAfter: '2026-02-01T00:00:00.000Z' }),
        );
        expect([...(await store.certificates.inUseExpiries())].sort()).toEqual(
          ['2028-06-01T00:00:00.000Z', null].sort(),
        );
      });
    });

    describe('setup links', () => {
      const link = (id: string, partnerId: string, createdAt = '2026-12-01T09:00:00.000Z') => ({
        id,
        partnerId,
        tokenHash: `hash-${id}`,
        createdAt,
        expiresAt: '2026-12-08T09:00:00.000Z',
      });
      beforeEach(async () => {
        await store.partners.insert(partner('p1'));
        await store.partners.insert(partner('p2'));
      });

      it('finds a link by its hash with its partner, field for field', async () => {
        await store.setupLinks.insert(link('l1', 'p1'));
        expect(await store.setupLinks.findByHash('hash-l1')).toEqual({
          link: link('l1', 'p1'),
          partner: partner('p1'),
        });
        expect(await store.setupLinks.findByHash('hash-nothing')).toBeNull();
      });

      it("lists a partner's links newest first; deletes through its own partner only", async () => {
        await store.setupLinks.insert(link('l1', 'p1', '2026-12-01T09:00:00.000Z'));
        await store.setupLinks.insert(link('l2', 'p1', '2026-12-02T09:00:00.000Z'));
        await store.setupLinks.insert(link('l3', 'p2'));
        expect((await store.setupLinks.listByPartner('p1')).map((l) => l.id)).toEqual(['l2', 'l1']);
        expect(await store.setupLinks.delete('p2', 'l1')).toBe(false);
        expect(await store.setupLinks.delete('p1', 'l1')).toBe(true);
        expect(await store.setupLinks.findByHash('hash-l1')).toBeNull();
      });

      it('rejects a second link with the same hash, and goes with its partner', async () => {
        await store.setupLinks.insert(link('l1', 'p1'));
        await expect(
          store.setupLinks.insert({ ...link('l2', 'p1'), tokenHash: 'hash-l1' }),
        ).rejects.toThrow();
        await store.partners.delete('p1');
        expect(await store.setupLinks.findByHash('hash-l1')).toBeNull();
      });
    });

    describe('attendance reports', () => {
      const report = (reportId: string, meetingId = 'm1', start = '2026-11-20T10:00:00Z') => ({
        partnerId: 'p1',
        appointmentId: 'a1',
        meetingId,
        reportId,
        meetingStartDateTime: start,
        meetingEndDateTime: '2026-11-20T10:30:00Z',
        totalParticipantCount: 2,
        records: [
          {
            objectId: 'u-1',
            email: 'zoë@example.ac.uk',
            role: 'Attendee',
            totalAttendanceInSeconds: 600,
            intervals: [{ joinDateTime: '2026-11-20T10:02:00Z', leaveDateTime: '2026-11-20T10:12:00Z' }],
          },
          { objectId: null, email: null, role: 'Attendee', totalAttendanceInSeconds: 0, intervals: [] },
        ],
      });
      beforeEach(async () => {
        await store.partners.insert(partner('p1'));
        await store.meetings.claim(pending('p1', 'a1'));
      });

      it('keeps each report once, field for field, by meeting, oldest session first', async () => {
        await store.attendance.insert(report('r2', 'm1', '2026-11-21T10:00:00Z'));
        await store.attendance.insert(report('r1'));
        await store.attendance.insert({ ...report('r1'), totalParticipantCount: 9 });
        await store.attendance.insert(report('r3', 'm2'));
        expect(await store.attendance.listByMeeting('p1', 'a1', 'm1')).toEqual([
          report('r1'),
          report('r2', 'm1', '2026-11-21T10:00:00Z'),
        ]);
      });

      it('goes with its meeting', async () => {
        await store.attendance.insert(report('r1'));
        await store.partners.delete('p1');
        await store.partners.insert(partner('p1'));
        expect(await store.attendance.listByMeeting('p1', 'a1', 'm1')).toEqual([]);
      });
    });

    describe('the store', () => {
      it(`says it is ${name}`, () => {
        expect(store.engine).toBe(name);
      });

      it('answers ping', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('rejects with StoreUnavailableError once closed, and close is idempotent', async () => {
        await store.close();
        await store.close();
        await expect(store.ping()).rejects.toThrow();
        await expect(store.partners.get('p1')).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.partners.list()).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.apiKeys.findByHash('h')).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.meetings.claim(pending('p1', 'a1'))).rejects.toBeInstanceOf(StoreUnavailableError);
      });
    });
  });
}
