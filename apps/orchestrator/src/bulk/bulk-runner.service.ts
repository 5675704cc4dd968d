// Works through the running bulk jobs in the background, at SKALD_BULK_RATE sagas per second
// shared by all of them, on whichever instance holds the `bulk-jobs` lease (so the rate holds
// across instances). The lease only paces: exactly once per saga comes from the job's items
// (BulkJobStore), whichever instance acts, even around a takeover or a restart.
import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { isRetryable } from '@skald/protocol';
import { BulkJobStore, LeaseStore } from '@skald/persistence';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from '../config/orchestrator-config.token';
import { SagaEngine } from '../engine/saga-engine.service';
import { WakeableLoop } from '../engine/wakeable-loop';
import { NO_FAULTS, ORCHESTRATOR_FAULTS, type OrchestratorFaults } from '../faults/fault-points';
import { actOnSaga, type BulkAction } from './bulk-actions';

export const BULK_JOBS_LEASE = 'bulk-jobs';

/** One step's share of a second: a step acts on up to rate × this, then waits out its share. */
const STEP_MS = 200;

@Injectable()
export class BulkRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(BulkRunner.name);
  private readonly loop: WakeableLoop;
  /** Unique per process, even if two hosts run the same instance id. */
  private readonly holder: string;

  constructor(
    private readonly jobs: BulkJobStore,
    private readonly leases: LeaseStore,
    private readonly engine: SagaEngine,
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: CompiledOrchestratorConfig,
    @Inject(ORCHESTRATOR_FAULTS) private readonly faults: OrchestratorFaults = NO_FAULTS,
  ) {
    this.holder = `${config.instanceId}/${randomUUID()}`;
    // idle, it looks for jobs (and renews or takes the lease) every third of the lease
    this.loop = new WakeableLoop('bulk-jobs', () => this.step(), config.leaseMs / 3);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  /** A job was created here: start on it now. */
  poke(): void {
    this.loop.poke();
  }

  /**
   * Acts on the next sagas of the running jobs, a step's share of the rate, then asks to be woken
   * when that share is used up (so it answers false: never straight on).
   */
  async step(): Promise<boolean> {
    const startedAt = Date.now();
    const token = await this.leases.acquire(BULK_JOBS_LEASE, this.holder, this.config.leaseMs);
    if (token === undefined) return false;
    const running = await this.jobs.running();
    if (running.length === 0) return false;
    const { sagasPerSecond } = this.config.bulk;
    const budget = Math.max(1, Math.floor((sagasPerSecond * STEP_MS) / 1000));
    const perJob = Math.max(1, Math.floor(budget / running.length));
    let acted = 0;
    for (const job of running) {
      const sagaIds = await this.jobs.pending(job.id, perJob);
      for (const sagaId of sagaIds) await this.actOn(job, sagaId);
      acted += sagaIds.length;
      if (await this.jobs.completeIfDone(job.id)) this.logger.log(`bulk job ${job.id} completed`);
    }
    if (acted === 0) return false;
    // pace: `acted` sagas use up acted / rate seconds
    this.loop.wakeBy(startedAt + (acted * 1000) / sagasPerSecond);
    return false;
  }

  private async actOn(
    job: { id: string; action: string; reason: string | null; actor: string | null },
    sagaId: string,
  ): Promise<void> {
    try {
      await actOnSaga(this.engine, job.action as BulkAction, {
        sagaId,
        reason: job.reason ?? undefined,
        audit: { ...(job.actor === null ? {} : { actor: job.actor }), bulkJobId: job.id },
        within: (tx) => tx.bulkItems.claimSuccess(job.id, sagaId),
      });
      this.faults.at('bulk:acted', { jobId: job.id, sagaId });
    } catch (error) {
      // the database or another passing trouble: leave the item for the next step
      if (isRetryable(error)) throw error;
      // refused as the single-saga endpoint refuses it (e.g. ILLEGAL_TRANSITION, a 409 there);
      // it changed nothing, so recording it apart from the action cannot act twice
      const { code, message } = error as { code?: unknown; message: string };
      await this.jobs.recordFailure(job.id, sagaId, {
        code: typeof code === 'string' ? code : 'INTERNAL',
        message,
      });
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }
}
