/**
 * What the embedded store costs a create, alone: the key's holder read, the claim and the record
 * as created (the three store calls of a create), through the built SqliteStore on a fresh file,
 * with 1, 4 and 16 creates at a time (the group commit shares a commit between those of one turn
 * of the event loop). Prints wall and CPU µs per create, and commits per write.
 * Usage: npm run build && npx tsx bench/measure-store.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { SqliteStore as Store } from '../src/data-access/sqlite/sqlite-store';
import type { MeetingRecord, PendingMeeting } from '../src/domain/meetings/meeting.record';
import { ROOT, runMain } from './support';

async function main(): Promise<void> {
  // The build, as the service runs it (npm run build first).
  const { SqliteStore } = (await import(
    path.join(ROOT, 'dist', 'data-access', 'sqlite', 'sqlite-store.js')
  )) as {
    SqliteStore: typeof Store;
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-store-'));
  const file = path.join(dir, 'store.db');
  const store = SqliteStore.open(file);
  const raw = new Database(file);
  raw.exec(`INSERT INTO partners (id, application_id, tenant_id, operator_local_match_field,
    operator_remote_match_field, user_local_match_field, user_remote_match_field, cloud, created_at, updated_at)
    VALUES ('p', 'a', 't', 'email', 'mail', 'email', 'mail', 'global', 'x', 'x')`);
  raw.exec(`INSERT INTO api_keys VALUES ('k', 'p', 'hash', 'tmk_', 'x', NULL)`);
  raw.close();
  // A record as a create stores it: the meeting's details (join link, organizer, attendees).
  const details = {
    organizer: { id: crypto.randomUUID(), userPrincipalName: 'aadviser@uni.example.ac.uk' },
    meetingId: `MSo${'x'.repeat(120)}`,
    joinWebUrl: `https://teams.microsoft.com/l/meetup-join/${'x'.repeat(300)}`,
    subject: 'Careers guidance',
    startDateTime: '2026-12-01T10:00:00Z',
    endDateTime: '2026-12-01T10:30:00Z',
    attendees: [1, 2].map((i) => ({ email: `s${i}@uni`, status: 'matched', id: crypto.randomUUID() })),
  };
  let n = 0;
  const pending = (): PendingMeeting => {
    n += 1;
    const at = new Date().toISOString();
    return {
      partnerId: 'p',
      appointmentId: `a${n}`,
      status: 'pending',
      requestHash: 'h'.repeat(64),
      externalId: `e${n}`,
      details: null,
      version: 1,
      createdAt: at,
      updatedAt: at,
      lease: { owner: 'o', expiresAt: at },
      calendarSequence: 0,
      pendingChange: null,
    };
  };
  const create = async () => {
    await store.apiKeys.findByHash('hash');
    const claim = pending();
    await store.meetings.claim(claim);
    const done = {
      ...claim,
      status: 'scheduled',
      details,
      version: 2,
      lease: null,
    } as unknown as MeetingRecord;
    await store.meetings.update(done, 1);
  };
  for (const atOnce of [1, 4, 16]) {
    const round = () => Promise.all(Array.from({ length: atOnce }, create));
    for (let i = 0; i < 2000 / atOnce; i += 1) await round();
    const before = { ...store.stats() };
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const creates = 20_000;
    for (let i = 0; i < creates / atOnce; i += 1) await round();
    const used = process.cpuUsage(cpu);
    const after = store.stats();
    const writes = after.writes! - before.writes!;
    process.stdout.write(
      `${String(atOnce).padStart(2)} at once: ${(Number(process.hrtime.bigint() - started) / creates / 1000).toFixed(1)} µs wall, ` +
        `${((used.user + used.system) / creates).toFixed(1)} µs CPU per create; ` +
        `${((after.commits! - before.commits!) / writes).toFixed(2)} commits per write\n`,
    );
  }
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

runMain(main);
