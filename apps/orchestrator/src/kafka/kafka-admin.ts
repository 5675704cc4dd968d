import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { bounded } from './bounded';
import { KAFKA, SHUTDOWN_STEP_MS } from './kafka.tokens';

/** How Skald creates a topic; an existing topic is never changed. */
export interface TopicLayout {
  partitions: number;
  /** -1: the broker's default.replication.factor */
  replicationFactor: number;
}

/** The layout of every topic Skald creates (SKALD_TOPIC_PARTITIONS, SKALD_TOPIC_REPLICATION). */
export function topicLayout(
  config: Pick<CompiledOrchestratorConfig, 'topicPartitions' | 'topicReplication'>,
): TopicLayout {
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

  /**
   * Creates the topics that do not exist yet (existing ones are left as they are, whoever made
   * them: a participant's SDK may have created its own topic with other settings).
   */
  async ensureTopics(topics: string[], layout: TopicLayout, timeoutMs = 30_000): Promise<void> {
    // other instances may create the same topics at once; metadata lags creation a little
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await this.use(async (admin) => {
          const existing = new Set(await admin.listTopics());
          const missing = topics.filter((t) => !existing.has(t));
          if (missing.length) {
            await admin.createTopics({
              topics: missing.map((topic) => ({
                topic,
                numPartitions: layout.partitions,
                replicationFactor: layout.replicationFactor,
              })),
            });
          }
          await admin.fetchTopicMetadata({ topics });
        });
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** Resolves when the broker serves `topic`; throws (e.g. UNKNOWN_TOPIC_OR_PARTITION) otherwise. */
  async checkTopic(topic: string): Promise<void> {
    await this.use((admin) => admin.fetchTopicMetadata({ topics: [topic] }));
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.admin) await bounded(this.admin.disconnect(), SHUTDOWN_STEP_MS);
  }
}
