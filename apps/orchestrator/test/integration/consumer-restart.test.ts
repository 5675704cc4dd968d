import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { ensureTopics } from '@skald/participant';
import { uniqueName, waitUntil } from '@skald/testing';
import { KafkaSubscriptions, type Subscription } from '../../src/kafka/kafka-subscriptions';

describe('reply consumption outlives kafkajs giving up', () => {
  const topic = uniqueName('restart');
  let kafka: Kafka;
  let producer: Producer;
  let subscription: Subscription | undefined;

  before(async () => {
    kafka = new Kafka({
      clientId: 'consumer-restart-test',
      brokers: process.env.KAFKA_BROKERS!.split(','),
      logLevel: logLevel.NOTHING,
    });
    await ensureTopics(kafka, [topic]);
    producer = kafka.producer();
    await producer.connect();
  });
  after(async () => {
    await subscription?.stop();
    await producer.disconnect();
  });

  it('starts a new consumer when kafkajs stops one for good on a non-retriable error, and the message is handled', async () => {
    const deliveries: string[] = [];
    subscription = await new KafkaSubscriptions(kafka).subscribe({
      groupId: uniqueName('group'),
      topics: [topic],
      handleBatch: ([{ message }]) => {
        deliveries.push(String(message.value));
        if (deliveries.length === 1) {
          // what kafkajs raises for e.g. "Failed to find group coordinator": it will not restart
          return Promise.reject(Object.assign(new Error('not retriable'), { retriable: false }));
        }
        return Promise.resolve();
      },
    });
    await producer.send({ topic, messages: [{ key: 'k', value: 'hello' }] });
    await waitUntil(() => deliveries.length >= 2, {
      timeoutMs: 30_000,
      what: 'the message to be delivered again to a restarted consumer',
    });
    assert.deepEqual(deliveries.slice(0, 2), ['hello', 'hello']);
  });
});
