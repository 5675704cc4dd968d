import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Consumer, Kafka } from 'kafkajs';
import { doublingDelayMs, type WireMessage } from '@skald/protocol';
import { bounded } from './bounded';
import { KAFKA, SHUTDOWN_STEP_MS } from './kafka.tokens';

export interface MessageOrigin {
  topic: string;
  partition: number;
  offset: string;
}

/** A consumed message and where it came from. */
export interface ConsumedMessage {
  message: WireMessage;
  origin: MessageOrigin;
}

export interface SubscriptionOptions {
  groupId: string;
  topics: string[];
  /**
   * Handles a run of messages of one partition, in order (at most `maxBatchSize`). Resolving marks
   * them processed (offsets committed afterwards); throwing makes kafkajs deliver them again, so
   * only throw for transient trouble.
   */
  handleBatch: (messages: ConsumedMessage[]) => Promise<void>;
  /** @default 200 */
  maxBatchSize?: number;
  /** Partitions processed in parallel (order within a partition is always kept). @default 4 */
  partitionsConsumedConcurrently?: number;
}

export interface Subscription {
  /** Stops fetching, lets in-flight handlers finish, commits, disconnects. */
  stop(): Promise<void>;
}

/** Consumer groups over kafkajs, with the library's types kept inside this folder. */
@Injectable()
export class KafkaSubscriptions {
  constructor(@Inject(KAFKA) private readonly kafka: Kafka) {}

  async subscribe(options: SubscriptionOptions): Promise<Subscription> {
    let stopped = false;
    let current: Consumer | undefined;
    const logger = new Logger(`consumer ${options.groupId}`);

    const run = async (): Promise<void> => {
      const consumer = this.kafka.consumer({
        groupId: options.groupId,
        maxWaitTimeInMs: 50,
        // a crashed instance holds its partitions until its session expires: keep that short
        sessionTimeout: 10_000,
        heartbeatInterval: 1_000,
        retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5_000 },
      });
      // kafkajs gives up for good on errors it deems non-retriable (e.g. "Failed to find group
      // coordinator" while a broker restarts); replies must keep flowing, so start afresh
      consumer.on(consumer.events.CRASH, (e) => {
        if (e.payload.restart || stopped) return;
        logger.warn(`consumer stopped by kafkajs (${String(e.payload.error)}); starting a new one`);
        void restart();
      });
      current = consumer;
      await consumer.connect();
      await consumer.subscribe({ topics: options.topics, fromBeginning: true });
      const chunk = options.maxBatchSize ?? 200;
      await consumer.run({
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 4,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          for (let i = 0; i < batch.messages.length; i += chunk) {
            if (!isRunning() || isStale()) return;
            const part = batch.messages.slice(i, i + chunk);
            await options.handleBatch(
              part.map(({ key, value, headers, offset }) => ({
                message: { key, value, headers },
                origin: { topic: batch.topic, partition: batch.partition, offset },
              })),
            );
            resolveOffset(part[part.length - 1].offset);
            await heartbeat();
          }
        },
      });
    };
    const restart = async (): Promise<void> => {
      for (let failures = 0; !stopped; failures++) {
        await new Promise((r) => setTimeout(r, doublingDelayMs(500, 10_000, failures + 1)));
        if (stopped) return;
        try {
          await bounded(current?.disconnect() ?? Promise.resolve(), SHUTDOWN_STEP_MS);
          await run();
          return;
        } catch (error) {
          logger.warn(`consumer restart failed, retrying: ${String(error)}`);
        }
      }
    };

    await run();
    return {
      stop: async () => {
        stopped = true;
        await bounded(current?.disconnect() ?? Promise.resolve(), SHUTDOWN_STEP_MS);
      },
    };
  }
}
