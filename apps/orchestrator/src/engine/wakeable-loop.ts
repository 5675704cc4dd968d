import { Logger } from '@nestjs/common';
import { doublingDelayMs } from '@skald/protocol';

/**
 * A background loop: runs `step` until it reports no work, then sleeps `idleMs` or until woken.
 * Failures back off exponentially (up to 30 s) and are logged, never thrown: the loop must outlive
 * database and broker outages.
 */
export class WakeableLoop {
  private running = false;
  private woken = false;
  private wake: (() => void) | undefined;
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
    this.woken = true;
    this.wake?.();
  }

  /** Lets the current step finish, then stops. */
  async stop(): Promise<void> {
    this.running = false;
    this.poke();
    await this.done;
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).then(() => {
      this.wake = undefined;
      this.woken = false;
    });
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
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
