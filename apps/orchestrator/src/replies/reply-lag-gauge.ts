import { Inject, Injectable, Logger } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { describeFailure, replyTopic } from '@skald/protocol';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from '../config/orchestrator-config.token';
import { KafkaAdmin } from '../kafka/kafka-admin';
import { ScrapeReading } from '../metrics/scrape-reading';
import { SkaldMetrics } from '../metrics/metrics.module';
import { replyConsumerGroup } from './reply-consumer.service';

/** Kafka is asked at most this often, however often /metrics is scraped (two requests a time). */
const LAG_READ_INTERVAL_MS = 5_000;
/** A scrape waits this long at most for the broker; past it, the last value is shown. */
const SCRAPE_WAIT_MS = 1_000;

/**
 * skald_reply_consumer_lag: replies waiting for the orchestrators' consumer group, the sign of
 * replies arriving faster than the engine applies them. The group is shared, so every instance
 * shows the same value (aggregate with max, not sum).
 */
@Injectable()
export class ReplyLagGauge {
  private readonly logger = new Logger(ReplyLagGauge.name);

  constructor(
    metrics: SkaldMetrics,
    admin: KafkaAdmin,
    @Inject(ORCHESTRATOR_CONFIG) config: CompiledOrchestratorConfig,
  ) {
    const { topicPrefix } = config;
    const lag = new ScrapeReading(
      () => admin.consumerLag(replyConsumerGroup(topicPrefix), replyTopic(topicPrefix)),
      {
        minIntervalMs: LAG_READ_INTERVAL_MS,
        waitMs: SCRAPE_WAIT_MS,
        onError: (error) =>
          this.logger.debug(`reply consumer lag unknown: ${describeFailure(error)}`),
      },
    );
    new Gauge({
      name: 'skald_reply_consumer_lag',
      help: "Replies on <prefix>.replies not yet consumed by the orchestrators' consumer group (end offsets minus committed offsets, all partitions; read at most every 5 s)",
      registers: [metrics.registry],
      async collect() {
        const value = await lag.current();
        if (value !== undefined) this.set(value);
      },
    });
  }
}
