// The overview's reads: the same queries and views as the REST API, plus counts that stay cheap
// at any number of sagas (SagaQueries.overviewCounts).
import { Injectable } from '@nestjs/common';
import { SagaQueries } from '@skald/persistence';
import { SAGA_STATUS } from '@skald/saga';
import { SagaViews } from '../api/saga-views';
import type { OverviewInput } from './views/overview';

const OLDEST_RUNNING = 10;
/** Below this many sagas every status is counted exactly (a scan that small costs nothing). */
const COUNT_EXACTLY_BELOW = 10_000;
/** The statuses that only grow: estimated on a large table, never counted row by row. */
const ESTIMATED_STATUSES = [SAGA_STATUS.completed, SAGA_STATUS.compensated];

@Injectable()
export class ConsoleReads {
  constructor(
    private readonly queries: SagaQueries,
    private readonly views: SagaViews,
  ) {}

  async overview(): Promise<OverviewInput> {
    const [counts, oldest, participants] = await Promise.all([
      this.queries.overviewCounts({
        statuses: Object.values(SAGA_STATUS),
        estimate: ESTIMATED_STATUSES,
        exactBelow: COUNT_EXACTLY_BELOW,
      }),
      this.queries.oldest(SAGA_STATUS.running, OLDEST_RUNNING),
      this.views.participants(),
    ]);
    return {
      counts,
      oldestRunning: oldest.map((s) => this.views.resourceOf(s)),
      troubledParticipants: participants.items.filter((p) => p.breaker.state !== 'closed'),
    };
  }
}
