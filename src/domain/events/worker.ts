/**
 * The work that outlives a request, in rounds: send the deliveries that are due, make the
 * attendance looks that are due, and once a day look at every credential's expiry and forget
 * old events. `main` runs it beside the HTTP server, or alone (`node dist/worker.js`); several
 * instances share it through the store's leases. Tests call `runOnce()` on their clock.
 */
import type { Clock } from '../../clock';
import type { OutboxRepository } from './events.port';
import type { Deliveries } from './deliveries';
import type { AttendanceWatch } from './attendance-watch';
import type { CredentialExpiryWatch } from './setup-problems';
import type { SetupWatch } from '../setup/setup-watch';

export interface WorkerLog {
  error(details: Record<string, unknown>, message: string): void;
}

/** Events (and their deliveries) are kept this long after nothing waits for them. */
export const EVENT_RETENTION_MS = 30 * 86_400_000;
const DAY_MS = 86_400_000;
/** The setup watch looks for due partners this often (each is checked once a day). */
const WATCH_REST_MS = 30_000;
/** After a wake, the next round starts this long after the last one ended (at most 20 rounds/s). */
const WAKE_GAP_MS = 50;

export class Worker {
  private running: Promise<void> | undefined;
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private lastDailyAt: number | undefined;
  private stopWatchRest: (() => void) | undefined;

  constructor(
    private readonly deliveries: Deliveries,
    private readonly attendance: AttendanceWatch,
    private readonly expiries: CredentialExpiryWatch,
    private readonly outbox: OutboxRepository,
    private readonly clock: Clock,
    private readonly log: WorkerLog,
    /** The daily re-check of every partner's setup (a few partners a round, when due). */
    private readonly setupWatch?: SetupWatch,
    /** How long the loop rests when there is nothing to do (another instance's events wait at most this). */
    private readonly pollMs = 1000,
  ) {}

  /**
   * One round of everything due now, the setup watch included (tests; `start()` runs the watch in
   * its own loop so that it never holds up deliveries): the looks first, so that the events they
   * record go out in it.
   */
  async runOnce(): Promise<{ delivered: number; looked: number; checked: number }> {
    const looked = await this.looks();
    const checked = (await this.setupWatch?.run()) ?? 0;
    return { delivered: await this.deliver(), looked, checked };
  }

  private async round(): Promise<void> {
    await this.looks();
    await this.deliver();
  }

  /** Attendance looks due, and once a day the credential expiry look and pruning. */
  private async looks(): Promise<number> {
    const looked = await this.attendance.lookDue();
    const now = this.clock.now();
    if (this.lastDailyAt === undefined || now - this.lastDailyAt >= DAY_MS) {
      this.lastDailyAt = now;
      await this.expiries.run();
      await this.outbox.prune(new Date(now - EVENT_RETENTION_MS).toISOString());
    }
    return looked;
  }

  /** Until nothing is due: a burst of events is sent batch after batch without resting. */
  private async deliver(): Promise<number> {
    let delivered = 0;
    for (;;) {
      const sent = await this.deliveries.sendDue();
      delivered += sent;
      if (sent === 0 || this.stopped) break;
    }
    return delivered;
  }

  /** Runs rounds until `stop()`; a failed round is logged and the next one comes after the rest. */
  start(): void {
    if (this.running) return;
    this.stopped = false;
    const watching = this.watchLoop();
    this.running = (async () => {
      while (!this.stopped) {
        try {
          await this.round();
        } catch (error) {
          this.log.error({ err: { message: (error as Error).message } }, 'worker round failed');
        }
        if (this.stopped) break;
        await this.rest();
      }
      await watching;
    })();
  }

  /** The setup watch's own loop: a few due partners, then a rest (WATCH_REST_MS, or at once if more are due). */
  private async watchLoop(): Promise<void> {
    if (!this.setupWatch) return;
    while (!this.stopped) {
      let busy = false;
      try {
        busy = (await this.setupWatch.run()) > 0;
      } catch (error) {
        this.log.error({ err: { message: (error as Error).message } }, 'setup watch round failed');
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, busy ? 0 : WATCH_REST_MS);
        this.stopWatchRest = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Something was recorded on this instance: start a round now rather than after the rest. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Finishes the round in flight (its deliveries' outcomes are written), then stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    this.stopWatchRest?.();
    await this.running;
    this.running = undefined;
  }

  private async rest(): Promise<void> {
    // Real time, not the service clock: the rest is how often to look, not a business wait. Woken
    // (an event recorded here), the next round comes WAKE_GAP_MS after this one ended, not at
    // once: under load the events of many requests share a round instead of each paying for one.
    const endedAt = Date.now();
    const soon = () => Math.max(0, endedAt + WAKE_GAP_MS - Date.now());
    await new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        resolve();
      };
      let timer = setTimeout(finish, this.woken ? soon() : this.pollMs);
      this.wakeUp = () => {
        clearTimeout(timer);
        timer = setTimeout(finish, this.stopped ? 0 : soon());
      };
    });
    this.wakeUp = undefined;
    this.woken = false;
  }
}
