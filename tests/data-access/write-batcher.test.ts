/**
 * Group commit in the SQLite store (src/data-access/sqlite/write-batcher.ts): writes queued in one
 * turn share one transaction, each fails alone, a failed commit fails them all, and nothing queued
 * is lost on close.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/data-access/sqlite/sqlite-store';
import { WriteBatcher } from '../../src/data-access/sqlite/write-batcher';
import { StoreUnavailableError } from '../../src/domain/store.port';
import { partner, pending as pendingFor } from './repositories.contract';

/** A pending claim of partner p1 (the fixture the store contract uses). */
const pending = (appointmentId: string) => pendingFor('p1', appointmentId);

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'teams-meetings-batch-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('writes queued in one turn are committed by one transaction', async () => {
  const store = SqliteStore.open(path.join(dir, 'a.db'));
  await store.partners.insert(partner('p1'));
  const before = { ...store.writes.stats };
  const results = await Promise.all(
    Array.from({ length: 16 }, (_, i) => store.meetings.claim(pending(`a${i}`))),
  );
  expect(results.every((r) => r.claimed)).toBe(true);
  expect(store.writes.stats.batches - before.batches).toBe(1);
  expect(store.writes.stats.writes - before.writes).toBe(16);
  // A write in a later turn gets its own commit.
  await store.meetings.claim(pending('later'));
  expect(store.writes.stats.batches - before.batches).toBe(2);
  await store.close();

  // Committed: another connection sees every row.
  const db = new Database(path.join(dir, 'a.db'), { readonly: true });
  expect(db.prepare('SELECT count(*) AS n FROM meetings').get()).toEqual({ n: 17 });
  db.close();
});

test('a failed commit rejects every write of the batch and writes none', async () => {
  const file = path.join(dir, 'b.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 50');
  db.exec('CREATE TABLE t (v INTEGER)');
  const other = new Database(file);
  other.exec('BEGIN IMMEDIATE'); // Another process holds the write lock.
  const batcher = new WriteBatcher(db);
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const results = await Promise.allSettled([1, 2, 3].map((v) => batcher.run(() => insert.run(v))));
  expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
  expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/locked|busy/i);
  other.exec('ROLLBACK');
  expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 0 });
  // The lock gone, the next batch commits.
  await batcher.run(() => insert.run(4));
  expect(db.prepare('SELECT v FROM t').all()).toEqual([{ v: 4 }]);
  other.close();
  db.close();
});

test('close commits what is queued before closing; later writes are StoreUnavailableError', async () => {
  const file = path.join(dir, 'c.db');
  const store = SqliteStore.open(file);
  await store.partners.insert(partner('p1'));
  const queued = store.meetings.claim(pending('queued'));
  await store.close();
  await expect(queued).resolves.toEqual({ claimed: true });
  await expect(store.meetings.claim(pending('late'))).rejects.toBeInstanceOf(StoreUnavailableError);
  const reopened = SqliteStore.open(file);
  expect((await reopened.meetings.get('p1', 'queued'))?.status).toBe('pending');
  await reopened.close();
});

test('a failure that ends the transaction (disk full) fails the whole batch, leaving nothing half-written', async () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (v BLOB)');
  db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true })) + 3}`);
  const batcher = new WriteBatcher(db);
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  // The third write does not fit; SQLite then rolls back the transaction, not only the statement.
  const results = await Promise.allSettled(
    [1000, 1000, 50_000, 1000].map((bytes) => batcher.run(() => insert.run(Buffer.alloc(bytes)))),
  );
  expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
  expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 0 });
  expect(db.inTransaction).toBe(false);
  db.close();
});
