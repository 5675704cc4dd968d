import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Consumer, Kafka } from 'kafkajs';
import {
  CONSUMER_TIMINGS,
  doublingDelayMs,
  OffsetCommits,
  type WireMessage,
} from '@skald/protocol';
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
  /** Partitions processed in parallel by each member (order within a partition is always kept). @default 4 */
  partitionsConsumedConcurrently?: number;
  /** kafkajs consumers in the group, each with its own fetch in flight. @default 1 */
  members?: number;
}

export interface Subscription {
  /** Stops fetching, lets in-flight handlers finish, commits, disconnects. */
  stop(): Promise<void>;
}

/**
 * Consumer groups over kafkajs, with the library's types kept inside this folder.
 * A subscription runs `members` kafkajs consumers in its group rather than one: a kafkajs consumer
 * fetches from a broker, hands the batches to its workers and fetches again only once every batch
 * is processed, so with one consumer a slow partition holds up all the others. Each member has its
 * own fetcher, and the partitions spread over the members. This is exactly as safe as several
 * instances in the group (which Skald supports anyway): a member commits only offsets of its own
 * partitions whose batch `handleBatch` finished, i.e. after the state the messages caused was
 * committed, shortly after (OffsetCommits), and on a rebalance or stop.
 * (Handing batches to queues of our own instead would need manual commits, pausing and seeking
 * around kafkajs' fetch positions: more to get wrong for the same effect.)
 */
@Injectable()
export class KafkaSubscriptions {
  constructor(@Inject(KAFKA) private readonly kafka: Kafka) {}

  async subscribe(options: SubscriptionOptions): Promise<Subscription> {
    const started = await Promise.allSettled(
      Array.from({ length: options.members ?? 1 }, () => this.member(options)),
    );
    const members = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const stop = async () => void (await Promise.all(members.map((m) => m.stop())));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      // all members or none: the caller subscribes again
      await stop();
      throw failed.reason;
    }
    return { stop };
  }

  /** One kafkajs consumer of the group, started afresh whenever kafkajs gives up on it. */
  private async member(options: SubscriptionOptions): Promise<Subscription> {
    let stopped = false;
    let current: Consumer | undefined;
    let commits: OffsetCommits | undefined;
    const logger = new Logger(`consumer ${options.groupId}`);

    const run = async (): Promise<void> => {
      const consumer = this.kafka.consumer({
        groupId: options.groupId,
        ...CONSUMER_TIMINGS,
        retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5_000 },
      });
      // kafkajs gives up for good on errors it deems non-retriable (e.g. "Failed to find group
      // coordinator" while a broker restarts); replies must keep flowing, so start afresh
      consumer.on(consumer.events.CRASH, (e) => {
        if (e.payload.restart || stopped) return;
        logger.warn(`consumer stopped by kafkajs (${String(e.payload.error)}); starting a new one`);
        void restart();
      });
      const offsets = new OffsetCommits(consumer, (error) =>
        logger.warn(`could not commit offsets (their replies may come again): ${String(error)}`),
      );
      // before the partitions may move to another member
      consumer.on(consumer.events.REBALANCING, () => void offsets.flush());
      current = consumer;
      commits = offsets;
      await consumer.connect();
      await consumer.subscribe({ topics: options.topics, fromBeginning: true });
      const chunk = options.maxBatchSize ?? 200;
      await consumer.run({
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 4,
        eachBatchAutoResolve: false,
        // a handled chunk's offset is committed shortly after (OffsetCommits)
        autoCommit: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          for (let i = 0; i < batch.messages.length; i += chunk) {
            if (!isRunning() || isStale()) return;
            const part = batch.messages.slice(i, i + chunk);
            const last = part[part.length - 1].offset;
            await offsets.handled(batch.topic, batch.partition, last, () =>
              options.handleBatch(
                part.map(({ key, value, headers, offset }) => ({
                  message: { key, value, headers },
                  origin: { topic: batch.topic, partition: batch.partition, offset },
                })),
              ),
            );
            resolveOffset(last);
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
        // no more batches; those being handled finish and their offsets are committed first
        const leaving = current && commits?.leave(current, options.topics);
        await bounded(leaving ?? Promise.resolve(), SHUTDOWN_STEP_MS);
      },
    };
  }
}
