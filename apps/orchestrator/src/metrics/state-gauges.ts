// Gauges of the state every instance shares, read from PostgreSQL when /metrics is scraped: sagas
// by status, the oldest running saga, the outbox backlog. One statement per read (at most one a
// second, whatever the scrapers), whose cost follows the work outstanding, never the history
// (SagaQueries.stateReadings): counting completed sagas would read every saga ever run at each
// scrape, so those statuses are not gauged; their endings are counted in
// skald_sagas_finished_total and timed in skald_saga_duration_seconds instead. EXPLAIN ANALYZE
// with 400,000 sagas of which 200 running: 0.2 ms, index-only scans of saga_instance_status_newest.
// The values are the database's, so every instance shows the same (aggregate with max, not sum).
import { Injectable, Logger } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { SagaQueries, type StateReadings } from '@skald/persistence';
import { describeFailure } from '@skald/protocol';
import { SAGA_STATUS, type SagaStatus } from '@skald/saga';
import { secondsBetween, SkaldMetrics } from './skald-metrics';
import { ScrapeReading } from './scrape-reading';

/** Statuses every saga ends in for good: they only grow, so they are counted, not gauged. */
const GROWING_STATUSES: readonly SagaStatus[] = [SAGA_STATUS.completed, SAGA_STATUS.compensated];
/** What skald_sagas shows: the statuses a saga is still in work (`paused` among them), and `failed`. */
export const GAUGED_STATUSES = Object.values(SAGA_STATUS).filter(
  (status) => !GROWING_STATUSES.includes(status),
);

/** PostgreSQL is asked at most this often, however many scrapers there are. */
const READ_INTERVAL_MS = 1_000;
/** A scrape waits this long at most for the database; past it, the last values are shown. */
const SCRAPE_WAIT_MS = 1_000;

@Injectable()
export class StateGauges {
  private readonly logger = new Logger(StateGauges.name);

  constructor(metrics: SkaldMetrics, queries: SagaQueries) {
    const reading = new ScrapeReading(
      () => queries.stateReadings({ statuses: GAUGED_STATUSES, oldestOf: SAGA_STATUS.running }),
      {
        minIntervalMs: READ_INTERVAL_MS,
        waitMs: SCRAPE_WAIT_MS,
        onError: (error) => this.logger.debug(`state gauges not read: ${describeFailure(error)}`),
      },
    );
    const gauge = (
      name: string,
      help: string,
      show: (gauge: Gauge<string>, readings: StateReadings, now: number) => void,
      labelNames: string[] = [],
    ) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers: [metrics.registry],
        async collect() {
          const readings = await reading.current();
          if (readings) show(this, readings, Date.now());
        },
      });
    gauge(
      'skald_sagas',
      `Sagas in each status but the two that only grow (${GROWING_STATUSES.join(', ')}: see skald_sagas_finished_total): ${GAUGED_STATUSES.join(', ')}`,
      (g, r) => {
        for (const status of GAUGED_STATUSES) g.set({ status }, r.sagasByStatus[status] ?? 0);
      },
      ['status'],
    );
    gauge(
      'skald_oldest_running_saga_age_seconds',
      'Age of the oldest saga in status running (0 when none runs)',
      (g, r, now) => g.set(r.oldestSince === null ? 0 : secondsBetween(r.oldestSince, now)),
    );
    gauge('skald_outbox_backlog', 'Outbox records waiting to be published to Kafka', (g, r) =>
      g.set(r.outboxBacklog),
    );
    gauge(
      'skald_outbox_oldest_age_seconds',
      'How long the oldest outbox record has waited to be published (0 when the outbox is empty)',
      (g, r, now) =>
        g.set(r.outboxOldestSince === null ? 0 : secondsBetween(r.outboxOldestSince, now)),
    );
  }
}
