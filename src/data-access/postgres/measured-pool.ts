/**
 * The pool every PostgreSQL repository queries through: pg's `pool.query`, taken apart so that
 * the store can say what it does (the statements it sent, and how often and how long a statement
 * waited for a connection because all of them were busy), read by /metrics.
 */
import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import { StoreUnavailableError, type StoreStats } from '../../domain/store.port';

/** What the repositories need of a pool. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

export class MeasuredPool implements Queryable {
  private statements = 0;
  /**
   * Each statement text's prepared-statement name (the texts are the repositories' constants, so
   * a connection prepares a few dozen at most). A new generation of names after a migration by
   * another instance makes every connection prepare its statements again.
   */
  private readonly names = new Map<string, string>();
  private generation = 0;
  /** Statements holding a connection or asking for one; more than `max` means a queue. */
  private inFlight = 0;
  private waits = 0;
  private waitSeconds = 0;

  constructor(
    private readonly pool: Pool,
    private readonly max: number,
    private readonly prepare = true,
  ) {}

  async query<R extends QueryResultRow = QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<QueryResult<R>> {
    try {
      return await this.attempt<R>(text, values);
    } catch (error) {
      if (!isStalePlan(error)) throw error;
      // Another instance changed a table this statement reads (a migration during a rolling
      // upgrade): PostgreSQL refuses the plan prepared before. Prepare anew, once.
      this.generation += 1;
      this.names.clear();
      return this.attempt<R>(text, values);
    }
  }

  private async attempt<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>> {
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
      // Whatever stops the store getting a connection (refused, no such database, CONNECT revoked,
      // authentication, too many clients, a timeout) means it cannot serve now: never a 500.
      throw new StoreUnavailableError(error);
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
      return await client.query<R>({
        ...(this.prepare ? { name: this.nameOf(text) } : {}),
        text,
        ...(values ? { values } : {}),
      });
    } catch (error) {
      failure = error as Error;
      throw error;
    } finally {
      client.removeListener('error', onError);
      client.release(failure);
      this.inFlight -= 1;
    }
  }

  private nameOf(text: string): string {
    let name = this.names.get(text);
    if (name === undefined) {
      name = `tm_${this.generation}_${this.names.size + 1}`;
      this.names.set(text, name);
    }
    return name;
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

/** PostgreSQL's answer to a prepared statement whose tables changed shape since it was prepared. */
function isStalePlan(error: unknown): boolean {
  return (
    (error as { code?: unknown } | null)?.code === '0A000' &&
    /cached plan must not change result type/.test(String((error as Error).message))
  );
}
