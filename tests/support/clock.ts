import type { Clock } from '../../src/clock';

/**
 * A clock for tests of waiting (retries, Retry-After, deadlines): time runs as usual, but a sleep
 * returns at once and moves the clock on by what it would have waited, and every wait is recorded.
 */
export class TestClock implements Clock {
  private offset = 0;
  readonly waits: number[] = [];

  readonly now = (): number => Date.now() + this.offset;

  readonly sleep = async (ms: number): Promise<void> => {
    this.waits.push(ms);
    this.offset += ms;
  };

  /** Moves the clock on by `ms`, as time passing between requests (a lease running out). */
  advance(ms: number): void {
    this.offset += ms;
  }
}
