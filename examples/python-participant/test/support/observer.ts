// Reads topics from the beginning in a group of its own, so a test can see every command, reply
// and dead letter, and publishes raw records (redeliveries, forged commands).
import {
  Kafka,
  logLevel,
  type Consumer,
  type KafkaMessage,
  type Message,
  type Producer,
} from 'kafkajs';
import { ensureTopics } from '@skald/participant';
import { waitUntil } from '@skald/testing';

export interface ObservedRecord {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

export const header = (message: KafkaMessage, name: string): string | undefined =>
  message.headers?.[name]?.toString();

export class TopicObserver {
  readonly records: ObservedRecord[] = [];
  private constructor(
    private readonly consumer: Consumer,
    readonly producer: Producer,
  ) {}

  /** Creates the topics that are missing, then reads them all. */
  static async start(brokers: string[], groupId: string, topics: string[]) {
    const kafka = new Kafka({ clientId: groupId, brokers, logLevel: logLevel.NOTHING });
    await ensureTopics(kafka, topics);
    const observer = new TopicObserver(
      kafka.consumer({ groupId, maxWaitTimeInMs: 50 }),
      kafka.producer({ idempotent: true }),
    );
    await observer.producer.connect();
    await observer.consumer.connect();
    await observer.consumer.subscribe({ topics, fromBeginning: true });
    await observer.consumer.run({
      eachMessage: ({ topic, partition, message }) => {
        observer.records.push({ topic, partition, message });
        return Promise.resolve();
      },
    });
    return observer;
  }

  /** Records of `topic` whose header `name` is `value`. */
  having(topic: string, name: string, value: string): KafkaMessage[] {
    return this.records
      .filter((r) => r.topic === topic && header(r.message, name) === value)
      .map((r) => r.message);
  }

  /** Waits until `topic` holds at least `count` records with header `name` = `value`. */
  async waitFor(
    topic: string,
    name: string,
    value: string,
    count = 1,
    timeoutMs = 20_000,
  ): Promise<KafkaMessage[]> {
    await waitUntil(() => this.having(topic, name, value).length >= count, {
      timeoutMs,
      what: `${count} record(s) on ${topic} with ${name}=${value}`,
    });
    return this.having(topic, name, value);
  }

  async publish(topic: string, message: Message) {
    await this.producer.send({ topic, acks: -1, messages: [message] });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }
}
