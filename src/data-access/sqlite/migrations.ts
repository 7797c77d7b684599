/**
 * Versioned schema of the embedded store. A migration is never edited once released: add a new
 * one. Each runs in its own transaction and is recorded in `schema_migrations`.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'partners, api keys, meetings',
    sql: `
      CREATE TABLE partners (
        id TEXT PRIMARY KEY,
        application_id TEXT NOT NULL,
        tenant_id TEXT NOT NULL,
        client_secret_ciphertext TEXT,
        client_secret_expires_at TEXT,
        operator_local_match_field TEXT NOT NULL,
        operator_remote_match_field TEXT NOT NULL,
        user_local_match_field TEXT NOT NULL,
        user_remote_match_field TEXT NOT NULL,
        cloud TEXT NOT NULL,
        meeting_defaults TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );

      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        partner_id TEXT NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
        key_hash TEXT NOT NULL UNIQUE,
        key_prefix TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_used_at TEXT
      );
      CREATE INDEX api_keys_partner_id ON api_keys(partner_id);

      -- One row per partner and appointment: the constraint that makes a create happen once,
      -- across requests and instances. status: pending (being created) | scheduled | cancelled.
      CREATE TABLE meetings (
        partner_id TEXT NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
        appointment_id TEXT NOT NULL,
        status TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        external_id TEXT NOT NULL,
        organizer_id TEXT,
        graph_meeting_id TEXT,
        data TEXT,
        version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (partner_id, appointment_id)
      );
    `,
  },
  {
    version: 2,
    name: 'meeting leases',
    sql: `
      -- A lease: the request working on the row (a create, a change, a cancel) and until when; another
      -- request may take the row over only once the lease has expired (its owner is gone).
      ALTER TABLE meetings ADD COLUMN lease_owner TEXT;
      ALTER TABLE meetings ADD COLUMN lease_expires_at TEXT;
    `,
  },
  {
    version: 3,
    name: 'certificate credentials',
    sql: `
      -- clientSecret | certificate: which credential the partner's token requests use.
      ALTER TABLE partners ADD COLUMN credential_type TEXT NOT NULL DEFAULT 'clientSecret';
      -- Certificates of a partner's app registration; the private key only as AES-256-GCM
      -- ciphertext under SECRETS_KEY, bound to its partner and certificate.
      CREATE TABLE partner_certificates (
        id TEXT PRIMARY KEY,
        partner_id TEXT NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
        thumbprint TEXT NOT NULL,
        thumbprint_sha256 TEXT NOT NULL,
        subject TEXT NOT NULL,
        not_before TEXT NOT NULL,
        not_after TEXT NOT NULL,
        source TEXT NOT NULL,
        certificate_pem TEXT NOT NULL,
        private_key_ciphertext TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX partner_certificates_partner_id ON partner_certificates(partner_id);
    `,
  },
  {
    version: 4,
    name: 'one row per certificate and partner',
    sql: `
      -- The same certificate imported twice is one credential: keep the first row of each, then
      -- let the store refuse a second (an import repeated answers the stored one).
      DELETE FROM partner_certificates WHERE id IN (
        SELECT later.id FROM partner_certificates later JOIN partner_certificates earlier
          ON earlier.partner_id = later.partner_id AND earlier.thumbprint_sha256 = later.thumbprint_sha256
          AND (earlier.created_at < later.created_at OR (earlier.created_at = later.created_at AND earlier.id < later.id))
      );
      DROP INDEX partner_certificates_partner_id;
      CREATE UNIQUE INDEX partner_certificates_partner_thumbprint
        ON partner_certificates(partner_id, thumbprint_sha256);
    `,
  },
  {
    version: 5,
    name: 'calendar sequence',
    sql: `
      -- The calendar invite's SEQUENCE (RFC 5545): raised by each change an invite must carry.
      ALTER TABLE meetings ADD COLUMN calendar_sequence INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 6,
    name: 'setup links',
    sql: `
      -- Setup links for a university's IT team: the token only as its SHA-256 hash.
      CREATE TABLE setup_links (
        id TEXT PRIMARY KEY,
        partner_id TEXT NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE INDEX setup_links_partner_id ON setup_links(partner_id);
    `,
  },
  {
    version: 7,
    name: 'attendance reports',
    sql: `
      -- Attendance reports of finished sessions, read once from Graph and kept (they do not change).
      CREATE TABLE attendance_reports (
        partner_id TEXT NOT NULL,
        appointment_id TEXT NOT NULL,
        report_id TEXT NOT NULL,
        meeting_id TEXT NOT NULL,
        meeting_start TEXT NOT NULL,
        meeting_end TEXT NOT NULL,
        participant_count INTEGER NOT NULL,
        records TEXT NOT NULL,
        PRIMARY KEY (partner_id, appointment_id, report_id),
        FOREIGN KEY (partner_id, appointment_id) REFERENCES meetings(partner_id, appointment_id) ON DELETE CASCADE
      );
    `,
  },
  {
    version: 8,
    name: 'partner versions',
    sql: `
      -- Optimistic concurrency for partners, as meetings have: a change is written only over the
      -- version it was made from, so two changes at once never lose one (or restore an old secret).
      ALTER TABLE partners ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
    `,
  },
  {
    version: 9,
    name: 'pending changes',
    sql: `
      -- What a change or cancel asked of Teams, kept until its outcome is known: a record left
      -- with one (a lost answer, a crash) is read back from Teams before it is used again.
      ALTER TABLE meetings ADD COLUMN pending_change TEXT;
    `,
  },
  {
    version: 10,
    name: 'calendar-backed meetings',
    sql: `
      -- Where a partner's meetings live (API.md "Calendar-backed meetings"), and whether Exchange
      -- invites the students to the adviser's event.
      ALTER TABLE partners ADD COLUMN meeting_mode TEXT NOT NULL DEFAULT 'onlineMeeting';
      ALTER TABLE partners ADD COLUMN send_invitations INTEGER NOT NULL DEFAULT 1;
    `,
  },
  {
    version: 11,
    name: 'webhooks and their outbox',
    sql: `
      -- Where TARGETconnect hears what happened (API.md "Events to TARGETconnect"). partner_id NULL:
      -- an admin webhook for every partner. events: the types it wants, space-delimited with a
      -- space at each end (' meeting.created * '), so that one statement can match a type.
      CREATE TABLE webhooks (
        id TEXT PRIMARY KEY,
        partner_id TEXT REFERENCES partners(id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        events TEXT NOT NULL,
        description TEXT,
        enabled INTEGER NOT NULL DEFAULT 1,
        disabled_reason TEXT,
        secret_ciphertext TEXT NOT NULL,
        previous_secret_ciphertext TEXT,
        previous_secret_expires_at TEXT,
        version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX webhooks_partner_id ON webhooks(partner_id);

      -- The outbox: an event is written in the transaction of the change it reports, with one
      -- delivery per webhook that wants it, so that a crash loses none. dedupe_key makes an event
      -- that must happen once (attendance.ready, a setup problem a day) happen once. partner_id NULL:
      -- an admin webhook's test.
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        partner_id TEXT REFERENCES partners(id) ON DELETE CASCADE,
        type TEXT NOT NULL,
        dedupe_key TEXT UNIQUE,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX events_created_at ON events(created_at);

      -- One row per webhook and event: its attempts so far, and when the next is due. A worker
      -- leases due rows (lease_owner, lease_expires_at) before it sends, so that one instance
      -- sends each attempt, and a dead one's lease runs out for another to take over.
      CREATE TABLE webhook_deliveries (
        webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
        event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_attempt_at TEXT,
        response_status INTEGER,
        error TEXT,
        lease_owner TEXT,
        lease_expires_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (webhook_id, event_id)
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_event_id ON webhook_deliveries(event_id);
      CREATE INDEX webhook_deliveries_recent ON webhook_deliveries(webhook_id, created_at);

      -- When the worker next looks for the meeting's attendance report (ATTENDANCE_CHECK_DELAYS
      -- after its end), how many looks were made, and for which end time.
      ALTER TABLE meetings ADD COLUMN attendance_due_at TEXT;
      ALTER TABLE meetings ADD COLUMN attendance_checks INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE meetings ADD COLUMN attendance_for_end TEXT;
      CREATE INDEX meetings_attendance_due ON meetings(attendance_due_at) WHERE attendance_due_at IS NOT NULL;
    `,
  },
  {
    version: 12,
    name: 'platform app consent',
    sql: `
      -- A platform-app partner's admin consent (API.md "The platform app"): none, granted (when), or
      -- denied (with Entra's reason).
      ALTER TABLE partners ADD COLUMN consent_status TEXT NOT NULL DEFAULT 'none';
      ALTER TABLE partners ADD COLUMN consent_granted_at TEXT;
      ALTER TABLE partners ADD COLUMN consent_error TEXT;

      -- The state of each consent link: single-use (used_at), expiring, bound to its partner.
      CREATE TABLE consent_states (
        id TEXT PRIMARY KEY,
        partner_id TEXT NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
        expires_at TEXT NOT NULL,
        used_at TEXT
      );
      CREATE INDEX consent_states_partner_id ON consent_states(partner_id);
    `,
  },
  {
    version: 13,
    name: 'last setup check',
    sql: `
      -- The partner's last setup check (verify): when, the advisers it named, and what it found,
      -- so that the next person of the university's IT team sees them without typing them again.
      CREATE TABLE setup_checks (
        partner_id TEXT PRIMARY KEY REFERENCES partners(id) ON DELETE CASCADE,
        checked_at TEXT NOT NULL,
        operators TEXT NOT NULL,
        result TEXT NOT NULL
      );
    `,
  },
  {
    version: 14,
    name: 'access policy script handed out',
    sql: `
      -- When the Teams admin's PowerShell was last written for the partner: a grant takes up to 30
      -- minutes, so a failing access policy within them is "waiting", not "needs action".
      CREATE TABLE setup_scripts (
        partner_id TEXT PRIMARY KEY REFERENCES partners(id) ON DELETE CASCADE,
        access_policy_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 15,
    name: 'daily setup watch',
    sql: `
      -- The worker's daily re-check of every partner (its setup, and the advisers of its recent
      -- meetings): when the next is due (spread over the day; a running check holds it as a
      -- claim), what the last found, and the last error Microsoft answered for the partner.
      CREATE TABLE setup_watch (
        partner_id TEXT PRIMARY KEY REFERENCES partners(id) ON DELETE CASCADE,
        next_check_at TEXT NOT NULL,
        checked_at TEXT,
        result TEXT,
        last_error_code TEXT,
        last_error_at TEXT
      );
      CREATE INDEX setup_watch_next_check_at ON setup_watch(next_check_at);
    `,
  },
];
