// Bulk jobs as the API sees them: a dry run (count and sample), starting a job within the caps,
// reading and cancelling jobs. The work itself is BulkRunner's.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  BulkJobStore,
  SagaQueries,
  type BulkItemOutcome,
  type BulkItemRecord,
  type BulkJobRecord,
  type FilterSample,
  type Page,
  type SagaFilter,
} from '@skald/persistence';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from '../config/orchestrator-config.token';
import type { BulkAction } from './bulk-actions';
import { BulkRunner } from './bulk-runner.service';
import {
  BulkJobNotFoundError,
  BulkJobNotRunningError,
  TooManyBulkJobsError,
  TooManySagasError,
} from './errors';

/** Sagas a dry run shows, newest first. */
export const DRY_RUN_SAMPLE_SIZE = 20;

export interface BulkRequest {
  action: BulkAction;
  filter: SagaFilter;
  reason?: string;
  /** The API key name asking: recorded on the job and in each saga's history. */
  actor: string;
}

export interface BulkJobWithResults extends BulkJobRecord {
  results: BulkItemRecord[];
}

@Injectable()
export class BulkJobs {
  constructor(
    private readonly store: BulkJobStore,
    private readonly queries: SagaQueries,
    private readonly runner: BulkRunner,
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: CompiledOrchestratorConfig,
  ) {}

  /** The most sagas one job may act on (SKALD_BULK_MAX_SAGAS). */
  get maxSagas(): number {
    return this.config.bulk.maxSagasPerJob;
  }

  /** What the filter matches now; changes nothing. */
  dryRun(filter: SagaFilter): Promise<FilterSample> {
    return this.queries.sample(filter, DRY_RUN_SAMPLE_SIZE);
  }

  /** Snapshots what the filter matches and starts working through it in the background. */
  async start(request: BulkRequest): Promise<BulkJobRecord> {
    const { maxSagasPerJob, maxRunningJobs } = this.config.bulk;
    const result = await this.store.create({
      id: randomUUID(),
      ...request,
      maxSagas: maxSagasPerJob,
      maxRunningJobs,
    });
    if ('refused' in result) {
      throw result.refused === 'too-many-sagas'
        ? new TooManySagasError(result.count, maxSagasPerJob)
        : new TooManyBulkJobsError(maxRunningJobs);
    }
    this.runner.poke();
    return result.created;
  }

  async get(
    id: string,
    results: { outcome?: BulkItemOutcome | 'pending'; limit: number },
  ): Promise<BulkJobWithResults> {
    const found = await this.store.findWithItems(id, results);
    if (!found) throw new BulkJobNotFoundError(id);
    return { ...found.job, results: found.items };
  }

  list(query: { limit: number; cursor?: string }): Promise<Page<BulkJobRecord>> {
    return this.store.list(query);
  }

  /** Stops a running job: it returns once an action under way has committed, and none follows. */
  async cancel(id: string): Promise<BulkJobRecord> {
    if (!(await this.store.cancel(id))) {
      const job = await this.store.find(id);
      if (!job) throw new BulkJobNotFoundError(id);
      throw new BulkJobNotRunningError(id, job.status);
    }
    return (await this.store.find(id))!;
  }
}
