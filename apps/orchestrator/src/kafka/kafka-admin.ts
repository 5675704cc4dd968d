import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import { createMissingTopics, type TopicLayout } from '@skald/protocol';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { bounded } from './bounded';
import { KAFKA, SHUTDOWN_STEP_MS } from './kafka.tokens';

/** The layout of every topic Skald creates (SKALD_TOPIC_PARTITIONS, SKALD_TOPIC_REPLICATION). */
export function topicLayout(
  config: Pick<CompiledOrchestratorConfig, 'topicPartitions' | 'topicReplication'>,
): Required<TopicLayout> {
  return { partitions: config.topicPartitions, replicationFactor: config.topicReplication };
}

/** A long-lived admin client for health checks and topic set-up; reconnects after a broker outage. */
@Injectable()
export class KafkaAdmin implements OnApplicationShutdown {
  private admin: Admin | undefined;

  constructor(@Inject(KAFKA) private readonly kafka: Kafka) {}

  private async use<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
    this.admin ??= this.kafka.admin({ retry: { retries: 1, initialRetryTime: 100 } });
    try {
      await this.admin.connect();
      return await work(this.admin);
    } catch (error) {
      // a fresh client next time: kafkajs keeps stale broker connections after an outage
      const stale = this.admin;
      this.admin = undefined;
      await stale.disconnect().catch(() => undefined);
      throw error;
    }
  }

  /** Asks the cluster for its brokers; throws when none answers. */
  describeCluster(): Promise<{ brokers: number; controller: number | null }> {
    return this.use(async (admin) => {
      const cluster = await admin.describeCluster();
      return { brokers: cluster.brokers.length, controller: cluster.controller };
    });
  }

  /** Creates the topics that do not exist yet (createMissingTopics, with this client). */
  ensureTopics(topics: string[], layout: Required<TopicLayout>, timeoutMs = 30_000): Promise<void> {
    return createMissingTopics((attempt) => this.use(attempt), topics, { ...layout, timeoutMs });
  }

  /** Resolves when the broker serves `topic`; throws (e.g. UNKNOWN_TOPIC_OR_PARTITION) otherwise. */
  async checkTopic(topic: string): Promise<void> {
    await this.use((admin) => admin.fetchTopicMetadata({ topics: [topic] }));
  }

  /**
   * Messages of `topic` the consumer group has not consumed yet: per partition, its end offset
   * minus the group's committed offset (or its first offset, before the group committed any),
   * summed. Two requests, whatever the partition count.
   */
  consumerLag(groupId: string, topic: string): Promise<number> {
    return this.use(async (admin) => {
      const [ends, [committed]] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId, topics: [topic] }),
      ]);
      const at = new Map(committed?.partitions.map((p) => [p.partition, Number(p.offset)]));
      let lag = 0;
      for (const end of ends)
        lag += Math.max(
          0,
          Number(end.high) - Math.max(at.get(end.partition) ?? -1, Number(end.low)),
        );
      return lag;
    });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.admin) await bounded(this.admin.disconnect(), SHUTDOWN_STEP_MS);
  }
}
