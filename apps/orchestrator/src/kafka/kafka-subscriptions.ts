import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Consumer, Kafka } from 'kafkajs';
import type { WireMessage } from '@skald/protocol';
import { bounded } from './bounded';
import { KAFKA, SHUTDOWN_STEP_MS } from './kafka.tokens';

export interface MessageOrigin {
  topic: string;
  partition: number;
  offset: string;
}

export interface SubscriptionOptions {
  groupId: string;
  topics: string[];
  /**
   * Handles one message. Resolving marks it processed (its offset is committed afterwards);
   * throwing makes kafkajs deliver it again, so only throw for transient trouble.
   */
  handle: (message: WireMessage, origin: MessageOrigin) => Promise<void>;
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
      await consumer.run({
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 4,
        eachMessage: ({ topic, partition, message }) =>
          options.handle(
            { key: message.key, value: message.value, headers: message.headers },
            { topic, partition, offset: message.offset },
          ),
      });
    };
    const restart = async (): Promise<void> => {
      for (let failures = 0; !stopped; failures++) {
        await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** failures)));
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
