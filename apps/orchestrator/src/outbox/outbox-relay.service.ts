// Relay: claim rows (SKIP LOCKED) → publish (acks=all) → delete, in one transaction per batch.
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  listenForNotifications,
  OUTBOX_CHANNEL,
  SagaStore,
  type NotificationListener,
} from '@skald/persistence';
import { crashPoint } from '@skald/protocol';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from '../config/orchestrator-config.token';
import { OutboxSignal } from '../engine/outbox-signal';
import { WakeableLoop } from '../engine/wakeable-loop';
import { bounded } from '../kafka/bounded';
import { KafkaPublisher } from '../kafka/kafka-publisher';
import { SHUTDOWN_STEP_MS } from '../kafka/kafka.tokens';
import { SkaldMetrics } from '../metrics/metrics.module';

@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly loop: WakeableLoop;
  private listener: NotificationListener | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: SagaStore,
    private readonly publisher: KafkaPublisher,
    private readonly signal: OutboxSignal,
    private readonly metrics: SkaldMetrics,
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: CompiledOrchestratorConfig,
  ) {
    this.loop = new WakeableLoop('outbox relay', () => this.publishBatch(), config.outboxPollMs);
  }

  onApplicationBootstrap(): void {
    this.unsubscribe = this.signal.onSignal(() => this.loop.poke());
    this.listener = listenForNotifications(
      this.config.databaseUrl,
      OUTBOX_CHANNEL,
      () => this.loop.poke(),
      (error) => this.logger.warn(`outbox notifications interrupted: ${error.message}`),
    );
    this.loop.start();
  }

  /** Publishes one batch; true when there may be more. */
  async publishBatch(): Promise<boolean> {
    const batchSize = this.config.outboxBatchSize;
    const published = await this.store.transaction(async (tx) => {
      const rows = await tx.claimOutbox(batchSize);
      if (rows.length === 0) return 0;
      // ⚠ delete only after Kafka acknowledged: a failed send rolls back and the rows stay queued
      await this.publisher.publish(
        rows.map((r) => ({ topic: r.topic, key: r.key, value: r.payload, headers: r.headers })),
      );
      crashPoint('orchestrator:after-publish-before-mark');
      await tx.deleteOutbox(rows.map((r) => r.id));
      return rows.length;
    });
    this.metrics.outboxPublished.inc(published);
    return published === batchSize;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.unsubscribe?.();
    // a publish stuck on an unreachable broker is abandoned: its transaction rolls back, rows stay
    await bounded(this.loop.stop(), SHUTDOWN_STEP_MS);
    await this.listener?.close();
  }
}
