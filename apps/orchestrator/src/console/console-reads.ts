// The overview's reads: the same queries and views as the REST API, plus two cheap aggregates.
import { Injectable } from '@nestjs/common';
import { SagaQueries } from '@skald/persistence';
import { SAGA_STATUS } from '@skald/saga';
import { SagaViews } from '../api/saga-views';
import type { OverviewInput } from './views/overview';

const OLDEST_RUNNING = 10;

@Injectable()
export class ConsoleReads {
  constructor(
    private readonly queries: SagaQueries,
    private readonly views: SagaViews,
  ) {}

  async overview(): Promise<OverviewInput> {
    const [counts, oldest, participants] = await Promise.all([
      this.queries.countsByStatusAndType(),
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
