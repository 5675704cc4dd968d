// Singleton maintenance (pruning the reply inbox; deleting finished sagas and 2PC transactions
// past SKALD_RETENTION_DAYS) run by whichever instance holds the lease.
// Every write goes through LeaseStore.fenced(): an instance paused past its lease and resumed
// finds its fencing token stale and writes nothing.
// Idle, it costs one statement per renewal (every third of SKALD_LEASE_MS): the inbox is pruned
// when the lease is taken and then at most every PRUNE_EVERY_MS, since its rows live for days.
// Retention deletes in batches of RETENTION_BATCH rows, each batch its own short transaction, so
// no lock is held for long; a backlog larger than MAX_BATCHES_PER_TICK goes on at the next tick.
import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { LeaseStore, StaleLeaseError } from '@skald/persistence';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from '../config/orchestrator-config.token';
import { WakeableLoop } from '../engine/wakeable-loop';
import { NO_FAULTS, ORCHESTRATOR_FAULTS, type OrchestratorFaults } from '../faults/fault-points';
import { SkaldMetrics } from '../metrics/metrics.module';

export const HOUSEKEEPING_LEASE = 'housekeeping';

/** The longest time between two prunes by one holder (shorter when the retention is). */
const PRUNE_EVERY_MS = 3_600_000;
/** Rows one retention DELETE removes at most. */
const RETENTION_BATCH = 500;
/** Retention batches per tick at most, so one tick never runs for long. */
const MAX_BATCHES_PER_TICK = 20;

@Injectable()
export class Housekeeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(Housekeeper.name);
  private readonly loop: WakeableLoop;
  /** Unique per process, even if two hosts run the same instance id. */
  private readonly holder: string;
  private token: number | undefined;
  /** When this holder last pruned with its current token (ms since epoch). */
  private prunedAt = -Infinity;

  constructor(
    private readonly leases: LeaseStore,
    private readonly metrics: SkaldMetrics,
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: CompiledOrchestratorConfig,
    @Inject(ORCHESTRATOR_FAULTS) private readonly faults: OrchestratorFaults = NO_FAULTS,
  ) {
    this.holder = `${config.instanceId}/${randomUUID()}`;
    // renew well within the lease, so a live holder never loses it to a slow tick
    this.loop = new WakeableLoop('housekeeping', () => this.tick(), config.leaseMs / 3);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async tick(): Promise<boolean> {
    const token = await this.leases.acquire(HOUSEKEEPING_LEASE, this.holder, this.config.leaseMs);
    if (token !== this.token) {
      this.logger.log(
        token === undefined
          ? 'housekeeping lease lost: another instance holds it'
          : `housekeeping lease taken with fencing token ${token}`,
      );
      this.token = token;
      this.prunedAt = -Infinity;
    }
    if (token === undefined) return false;
    const now = Date.now();
    if (now - this.prunedAt < Math.min(PRUNE_EVERY_MS, this.config.inboxRetentionMs)) return false;
    this.faults.at('housekeeping:lease-held');
    try {
      const pruned = await this.leases.fenced(HOUSEKEEPING_LEASE, token, (tx) =>
        tx.pruneInbox(this.config.inboxRetentionMs),
      );
      if (pruned > 0) this.logger.log(`pruned ${pruned} reply ids from the inbox`);
      // a backlog left: prunedAt stays, so the next tick goes on with it
      if (await this.applyRetention(token)) this.prunedAt = now;
    } catch (error) {
      if (!(error instanceof StaleLeaseError)) throw error;
      this.metrics.fencedWrites.inc({ lease: HOUSEKEEPING_LEASE });
      this.logger.warn(`housekeeping write refused: ${error.message}`);
      this.token = undefined;
    }
    return false;
  }

  /** Deletes what is past the retention, in batches; true when nothing is left to delete. */
  private async applyRetention(token: number): Promise<boolean> {
    const retentionMs = this.config.retentionMs;
    if (retentionMs === null) return true;
    const deleted = { sagas: 0, transactions: 0 };
    for (let batch = 0; batch < MAX_BATCHES_PER_TICK; batch++) {
      const round = await this.leases.fenced(HOUSEKEEPING_LEASE, token, async (tx) => ({
        sagas: await tx.deleteFinishedSagas(retentionMs, RETENTION_BATCH),
        transactions: await tx.deleteFinishedTransactions(retentionMs, RETENTION_BATCH),
      }));
      deleted.sagas += round.sagas;
      deleted.transactions += round.transactions;
      if (round.sagas < RETENTION_BATCH && round.transactions < RETENTION_BATCH) {
        this.logDeleted(deleted);
        return true;
      }
    }
    this.logDeleted(deleted);
    return false;
  }

  private logDeleted({ sagas, transactions }: { sagas: number; transactions: number }): void {
    if (sagas + transactions > 0) {
      this.logger.log(
        `retention: deleted ${sagas} finished sagas and ${transactions} finished 2PC transactions`,
      );
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }
}
