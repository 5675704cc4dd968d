import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { SagaQueries, type ParticipantOverview } from '@skald/persistence';
import { SkaldMetrics } from '../metrics/metrics.module';
import { ScrapeReading } from '../metrics/scrape-reading';
import { BREAKER_STATES, breakerState, ParticipantFlowControl } from './flow-control';

const BREAKER_STATE_VALUES = {
  [BREAKER_STATES.closed]: 0,
  [BREAKER_STATES.halfOpen]: 1,
  [BREAKER_STATES.open]: 2,
};

/** A scrape waits this long at most for the database; past it, the last values are shown. */
const SCRAPE_WAIT_MS = 1_000;

/** Per-participant gauges read from Postgres at scrape time: the state every instance shares. */
@Injectable()
export class ParticipantGauges {
  private readonly reading: ScrapeReading<ParticipantOverview[]>;

  constructor(metrics: SkaldMetrics, queries: SagaQueries, flowControl: ParticipantFlowControl) {
    this.reading = new ScrapeReading(() => queries.participants().catch(() => []), {
      minIntervalMs: 0,
      waitMs: SCRAPE_WAIT_MS,
      onError: () => undefined, // the read itself turns a failure into no participants
    });
    const gauge = (
      name: string,
      help: string,
      value: (p: ParticipantOverview, now: number) => number,
    ) => {
      const read = () => this.read();
      return new Gauge({
        name,
        help,
        labelNames: ['participant'],
        registers: [metrics.registry],
        async collect() {
          this.reset();
          const now = Date.now();
          for (const p of await read()) this.set({ participant: p.name }, value(p, now));
        },
      });
    };
    gauge(
      'skald_participant_breaker_state',
      'Circuit breaker per participant: 0 closed, 1 half-open, 2 open',
      (p, now) => BREAKER_STATE_VALUES[breakerState(p, now, flowControl.of(p.name))],
    );
    gauge('skald_participant_in_flight', 'Commands sent and not yet answered', (p) => p.inFlight);
    gauge('skald_participant_queued', 'Commands waiting in the outbox', (p) => p.queued);
  }

  /**
   * One query per scrape for all three gauges; none (empty gauges) while Postgres refuses it, and
   * the last values while it is slower than a scrape may wait (ScrapeReading).
   */
  private async read(): Promise<ParticipantOverview[]> {
    return (await this.reading.current()) ?? [];
  }
}
