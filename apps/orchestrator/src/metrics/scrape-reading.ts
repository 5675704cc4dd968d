/**
 * A value that gauges read from Postgres or Kafka when /metrics is scraped, made safe to scrape:
 * at most one read in flight (concurrent scrapes share it), none more often than `minIntervalMs`,
 * and a scrape waits for one at most `waitMs`. A read that fails or is still running by then leaves
 * the last value in place (undefined before the first success), so a scrape answers quickly
 * whether or not the database or the broker does; a slow read that succeeds later serves the next.
 */
export class ScrapeReading<T> {
  private last: T | undefined;
  private startedAt = -Infinity;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly options: {
      minIntervalMs: number;
      waitMs: number;
      /** Told of a failed read; the scrape itself never fails for it. */
      onError: (error: unknown) => void;
    },
  ) {}

  /** The freshest value available within `waitMs`. Never rejects. */
  async current(): Promise<T | undefined> {
    const now = Date.now();
    if (!this.reading && now - this.startedAt >= this.options.minIntervalMs) {
      this.startedAt = now;
      this.reading = Promise.resolve()
        .then(() => this.read())
        .then(
          (value) => void (this.last = value),
          (error: unknown) => this.options.onError(error),
        )
        .finally(() => (this.reading = undefined));
    }
    if (this.reading) await waitAtMost(this.reading, this.options.waitMs);
    return this.last;
  }
}

async function waitAtMost(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
