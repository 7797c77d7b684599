/**
 * The pool every PostgreSQL repository queries through: pg's `pool.query`, taken apart so that
 * the store can say what it does (the statements it sent, and how often and how long a statement
 * waited for a connection because all of them were busy), read by /metrics.
 */
import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import type { StoreStats } from '../../domain/ports';

/** What the repositories need of a pool. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

export class MeasuredPool implements Queryable {
  private statements = 0;
  /** Statements holding a connection or asking for one; more than `max` means a queue. */
  private inFlight = 0;
  private waits = 0;
  private waitSeconds = 0;

  constructor(
    private readonly pool: Pool,
    private readonly max: number,
  ) {}

  async query<R extends QueryResultRow = QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<QueryResult<R>> {
    this.statements += 1;
    // Every statement of the store comes through here, so when `max` of them hold or ask for a
    // connection, this one waits until one of them gives its connection back.
    const queued = this.inFlight >= this.max;
    this.inFlight += 1;
    const started = queued ? performance.now() : 0;
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      this.inFlight -= 1;
      throw error;
    }
    if (queued) {
      this.waits += 1;
      this.waitSeconds += (performance.now() - started) / 1000;
    }
    // As pool.query: a connection error during the statement rejects it (and must not be an
    // unhandled 'error' event), and a client whose statement failed is discarded, not reused.
    const onError = () => undefined;
    client.on('error', onError);
    let failure: Error | undefined;
    try {
      return await client.query<R>(text, values);
    } catch (error) {
      failure = error as Error;
      throw error;
    } finally {
      client.removeListener('error', onError);
      client.release(failure);
      this.inFlight -= 1;
    }
  }

  stats(): StoreStats {
    return {
      statements: this.statements,
      poolWaits: this.waits,
      poolWaitSeconds: this.waitSeconds,
      poolSize: this.max,
      poolOpen: this.pool.totalCount,
      poolIdle: this.pool.idleCount,
      poolWaiting: this.pool.waitingCount,
    };
  }
}
