/**
 * Group commit for the embedded store. A SQLite commit costs far more than the statement it
 * commits (it appends the changed pages to the WAL): about 35 µs of a 45 µs UPDATE here, and a
 * create makes two writes (the claim, then the record). Writes queued during one turn of the
 * event loop, which under load are those of several concurrent requests, are run in one
 * transaction on the next turn, each inside its own savepoint: a write that throws is undone
 * alone and rejects alone, the others commit. No caller's promise resolves before the commit, so
 * a write is exactly as durable as before; a failed commit rejects every write of the batch.
 */
import type Database from 'better-sqlite3';

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class WriteBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly commitAll: Database.Transaction<(batch: Pending[]) => Outcome[]>;
  private readonly commitOne: Database.Transaction<(work: () => unknown) => unknown>;
  /** Transactions committed, and the writes they carried (read by the tests). */
  readonly stats = { batches: 0, writes: 0 };

  constructor(db: Database.Database) {
    // Called inside commitAll, better-sqlite3 runs it as a savepoint, rolled back alone if it throws.
    this.commitOne = db.transaction((work: () => unknown) => work());
    this.commitAll = db.transaction((batch: Pending[]) =>
      batch.map((item): Outcome => {
        try {
          return { ok: true, value: this.commitOne(item.work) };
        } catch (error) {
          // Some failures (disk full, I/O) make SQLite roll back the whole transaction: then no
          // write of the batch stands, and the batch fails as one.
          if (!db.inTransaction) throw error;
          return { ok: false, error };
        }
      }),
    );
  }

  private count(writes: number): void {
    this.stats.batches += 1;
    this.stats.writes += writes;
  }

  /** Runs `work` (synchronous statements) in the next group commit; resolves once it is committed. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits what is queued now, synchronously (before the database is closed). */
  flush(): void {
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    if (batch.length === 1) {
      // Alone: its own transaction, as without batching (no savepoint needed).
      const only = batch[0]!;
      try {
        only.resolve(this.commitOne.immediate(only.work));
        this.count(1);
      } catch (error) {
        only.reject(error);
      }
      return;
    }
    let outcomes: Outcome[];
    try {
      // IMMEDIATE: take the write lock at BEGIN, so another process on the same file waits
      // (busy_timeout) instead of failing the batch half-way.
      outcomes = this.commitAll.immediate(batch);
    } catch (error) {
      // BEGIN or COMMIT failed (busy, disk full, closed): nothing of the batch was written.
      for (const item of batch) item.reject(error);
      return;
    }
    this.count(batch.length);
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }
}
