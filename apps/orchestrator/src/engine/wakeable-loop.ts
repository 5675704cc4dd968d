import { Logger } from '@nestjs/common';
import { doublingDelayMs } from '@skald/protocol';

/** setTimeout's longest delay; a later wake-up is re-armed when this one ends. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * A background loop: runs `step` until it reports no work, then sleeps until the earliest wake-up
 * asked for (`poke`, `wakeBy`, from the step itself or from outside), at most `idleMs`: the
 * safety net for a wake-up that never came. Failures back off exponentially (up to 30 s) and are
 * logged, never thrown: the loop must outlive database and broker outages.
 */
export class WakeableLoop {
  private running = false;
  /**
   * When the next step is due (ms since epoch). Reset as a step starts, so a wake-up asked for
   * while a step runs (which may have read the database before that work was committed) holds.
   */
  private wakeAt = Infinity;
  private timer: NodeJS.Timeout | undefined;
  private endSleep: (() => void) | undefined;
  private done: Promise<void> | undefined;

  constructor(
    private readonly name: string,
    private readonly step: () => Promise<boolean>,
    private readonly idleMs: number,
    private readonly logger = new Logger(name),
  ) {}

  start(): void {
    this.running = true;
    this.done = this.run();
  }

  /** Runs the next step now instead of after the idle wait. */
  poke(): void {
    this.wakeBy(0);
  }

  /** Runs the next step no later than `at` (ms since epoch); a later wake-up changes nothing. */
  wakeBy(at: number): void {
    if (at >= this.wakeAt) return;
    this.wakeAt = at;
    if (this.endSleep) this.arm();
  }

  /** Lets the current step finish, then stops. */
  async stop(): Promise<void> {
    this.running = false;
    this.poke();
    await this.done;
  }

  private sleep(ms: number): Promise<void> {
    this.wakeBy(Date.now() + ms);
    return new Promise<void>((resolve) => {
      this.endSleep = resolve;
      this.arm();
    });
  }

  /** (Re)starts the sleep's timer for `wakeAt`; a wake-up due now ends the sleep at once. */
  private arm(): void {
    clearTimeout(this.timer);
    const delay = Math.min(Math.max(0, this.wakeAt - Date.now()), MAX_TIMEOUT_MS);
    // not setTimeout(0): Node makes that at least 1 ms, paid on every step a commit wakes
    if (delay === 0) return this.wake();
    this.timer = setTimeout(() => {
      if (this.wakeAt > Date.now()) return this.arm(); // beyond one setTimeout
      this.wake();
    }, delay);
  }

  private wake(): void {
    const resolve = this.endSleep;
    this.endSleep = this.timer = undefined;
    resolve?.();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      this.wakeAt = Infinity;
      try {
        const more = await this.step();
        failures = 0;
        if (!more) await this.sleep(this.idleMs);
      } catch (error) {
        failures++;
        const delay = doublingDelayMs(200, 30_000, failures);
        this.logger.warn(
          `${this.name} failed (retrying in ${delay} ms): ${(error as Error).message}`,
        );
        await this.sleep(delay);
      }
    }
  }
}
