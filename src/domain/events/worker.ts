/**
 * The work that outlives a request: rounds that send the deliveries that are due (and once a day
 * look at every credential's expiry and forget old events), beside two loops of their own for
 * the attendance looks and the daily setup watch, whose Microsoft calls never hold deliveries up. `main` runs it beside the HTTP server, or alone (`node dist/worker.js`); several
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
  /** Ends the side loops' rests (on stop). */
  private readonly sideRests = new Set<() => void>();

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
   * One round of everything due now, in order (tests): the attendance looks and the setup watch
   * first, so that the events they record go out in it. `start()` runs the looks and the watch in
   * loops of their own instead: their Graph calls (a look is one, 100-150 ms) must never hold up
   * deliveries (a round of 20 looks before each batch of deliveries held every event up to 5 s
   * under load, docs/BENCHMARKS.md).
   */
  async runOnce(): Promise<{ delivered: number; looked: number; checked: number }> {
    const looked = await this.attendance.lookDue();
    await this.daily();
    const checked = (await this.setupWatch?.run()) ?? 0;
    return { delivered: await this.deliver(), looked, checked };
  }

  private async round(): Promise<void> {
    await this.daily();
    await this.deliverFlowing();
  }

  /** Once a day: the credential expiry look and pruning. */
  private async daily(): Promise<void> {
    const now = this.clock.now();
    if (this.lastDailyAt === undefined || now - this.lastDailyAt >= DAY_MS) {
      this.lastDailyAt = now;
      await this.expiries.run();
      await this.outbox.prune(new Date(now - EVENT_RETENTION_MS).toISOString());
    }
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

  /**
   * The running worker's deliveries: attempts start as slots free, without waiting for the
   * others' answers, until what is due is all under way (then the loop rests; the attempts go on).
   */
  private async deliverFlowing(): Promise<void> {
    while (!this.stopped) {
      await this.deliveries.slot();
      // Stopped while every slot was taken: lease nothing more.
      if (this.stopped) break;
      await this.deliveries.startDue((error) =>
        this.log.error({ err: { message: (error as Error).message } }, 'webhook delivery failed'),
      );
      // Slots left over: nothing more is due now.
      if (this.deliveries.free() > 0) break;
    }
  }

  /** Runs rounds until `stop()`; a failed round is logged and the next one comes after the rest. */
  start(): void {
    if (this.running) return;
    this.stopped = false;
    const sides = [
      this.sideLoop('attendance looks', async () => (await this.attendance.lookDue()) > 0, this.pollMs),
      ...(this.setupWatch
        ? [this.sideLoop('setup watch', async () => (await this.setupWatch!.run()) > 0, WATCH_REST_MS)]
        : []),
    ];
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
      await Promise.all(sides);
      await this.deliveries.settled();
    })();
  }

  /** A loop of its own: `step` until it finds nothing to do, then a rest of `restMs`. */
  private async sideLoop(name: string, step: () => Promise<boolean>, restMs: number): Promise<void> {
    while (!this.stopped) {
      let busy = false;
      try {
        busy = await step();
      } catch (error) {
        this.log.error({ err: { message: (error as Error).message } }, `${name} failed`);
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.sideRests.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, busy ? 0 : restMs);
        this.sideRests.add(wake);
      });
    }
  }

  /** Something was recorded on this instance: start a round now rather than after the rest. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Finishes the round in flight and the attempts under way (their outcomes are written), then stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    for (const wake of [...this.sideRests]) wake();
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
