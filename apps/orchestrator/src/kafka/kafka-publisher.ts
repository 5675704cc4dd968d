import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { bounded } from './bounded';
import { KAFKA, SHUTDOWN_STEP_MS } from './kafka.tokens';

export interface OutgoingRecord {
  topic: string;
  key: string | Buffer | null;
  value: string | Buffer | null;
  headers: Record<string, string | Buffer>;
}

/**
 * Idempotent producer with acks=all. `publish` resolves only once Kafka acknowledged every
 * record; callers keep their copy (the outbox row) until then, because kafkajs drops records
 * once its own retries are exhausted.
 */
@Injectable()
export class KafkaPublisher implements OnApplicationShutdown {
  private producer: Producer | undefined;
  private connecting: Promise<Producer> | undefined;

  constructor(@Inject(KAFKA) private readonly kafka: Kafka) {}

  private connected(): Promise<Producer> {
    this.connecting ??= (async () => {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        // keyed records: the default (murmur2, Java-compatible) partitioner, stated to silence kafkajs' v2 notice
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
      });
      await producer.connect();
      this.producer = producer;
      return producer;
    })().catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  /** Sends in the given order (per topic-partition order is kept); throws if any record was not acknowledged. */
  async publish(records: OutgoingRecord[]): Promise<void> {
    const failures = await this.publishPerTopic(records);
    const [failure] = failures.values();
    if (failure) throw failure;
  }

  /**
   * Sends each topic's records in their order, the topics side by side, so that a topic the broker
   * refuses (missing, not authorized, ...) fails alone. Resolves with the error of each topic not
   * acknowledged; every other topic's records were acknowledged (acks=all).
   */
  async publishPerTopic(records: OutgoingRecord[]): Promise<Map<string, Error>> {
    const failures = new Map<string, Error>();
    if (records.length === 0) return failures;
    const producer = await this.connected();
    const byTopic = new Map<string, OutgoingRecord[]>();
    for (const record of records) {
      const list = byTopic.get(record.topic) ?? [];
      list.push(record);
      byTopic.set(record.topic, list);
    }
    // one request per topic: kafkajs fails a whole batch when one of its topics has no metadata
    await Promise.all(
      [...byTopic].map(async ([topic, list]) => {
        try {
          await producer.sendBatch({
            acks: -1,
            topicMessages: [
              { topic, messages: list.map(({ key, value, headers }) => ({ key, value, headers })) },
            ],
          });
        } catch (error) {
          failures.set(topic, error as Error);
        }
      }),
    );
    if (failures.size > 0) {
      // start from a fresh producer: after a broker outage kafkajs may keep a broken one, and a
      // deleted topic stays in its metadata requests, failing every later send
      this.connecting = undefined;
      this.producer = undefined;
      await producer.disconnect().catch(() => undefined);
    }
    return failures;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.producer) await bounded(this.producer.disconnect(), SHUTDOWN_STEP_MS);
  }
}
