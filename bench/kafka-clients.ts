// Kafka clients of the baselines and the floor, with the settings Skald's own clients use
// (apps/orchestrator/src/kafka, libs/participant): idempotent producer, acks=all, one request in
// flight, keyed (murmur2) partitioning; consumers with CONSUMER_TIMINGS and 4 partitions at once.
import { Kafka, logLevel, Partitioners, type Consumer, type Producer } from 'kafkajs';
import { CONSUMER_TIMINGS, fixKafkajsIdleTimers } from '@skald/protocol';

export const PARTITIONS_CONSUMED_CONCURRENTLY = 4;

export function benchKafka(brokers: string[], clientId: string): Kafka {
  fixKafkajsIdleTimers(); // as Skald's own clients do: the baselines do not pay for kafkajs' idle loop
  return new Kafka({ clientId, brokers, logLevel: logLevel.ERROR });
}

export async function benchProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return producer;
}

export async function benchConsumer(
  kafka: Kafka,
  groupId: string,
  topics: string[],
): Promise<Consumer> {
  const consumer = kafka.consumer({
    groupId,
    ...CONSUMER_TIMINGS,
  });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  return consumer;
}

/** Resolves once the consumer joined its group (so nothing sent from now on is missed by it). */
export function joined(consumer: Consumer): Promise<void> {
  return new Promise((resolve) => {
    const off = consumer.on(consumer.events.GROUP_JOIN, () => {
      off();
      resolve();
    });
  });
}

export const pingTopic = (prefix: string) => `${prefix}.ping`;
export const pongTopic = (prefix: string) => `${prefix}.pong`;
