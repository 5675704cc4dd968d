// A slow partition holds up only the partitions of its own consumer: a subscription runs several
// kafkajs consumers in its group (one kafkajs consumer fetches again only once every batch it
// handed out is processed).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { uniqueName, waitUntil } from '@skald/testing';
import { KafkaSubscriptions } from '../../src/kafka/kafka-subscriptions';

const kafka = new Kafka({
  brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
  logLevel: logLevel.NOTHING,
});

/** Sends `value` to `partition` of `topic`. */
async function send(topic: string, partition: number, value: string): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ partition, value }] });
  await producer.disconnect();
}

async function partitionsHeldUp(members: number): Promise<boolean> {
  const topic = uniqueName('members');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();
  const handled: string[] = [];
  let release!: () => void;
  const slow = new Promise<void>((resolve) => (release = resolve));
  const subscription = await new KafkaSubscriptions(kafka).subscribe({
    groupId: uniqueName('members-group'),
    topics: [topic],
    members,
    handleBatch: async (messages) => {
      for (const { message } of messages) {
        handled.push(String(message.value));
        if (String(message.value) === 'slow') await slow;
      }
    },
  });
  try {
    // both partitions consumed (the group is settled) before one of them turns slow
    await send(topic, 0, 'warm-0');
    await send(topic, 1, 'warm-1');
    await waitUntil(async () => handled.includes('warm-0') && handled.includes('warm-1'), {
      what: 'both partitions to be consumed',
      timeoutMs: 30_000,
    });
    await send(topic, 0, 'slow');
    await waitUntil(async () => handled.includes('slow'), { what: 'the slow message' });
    await send(topic, 1, 'behind');
    try {
      await waitUntil(async () => handled.includes('behind'), {
        what: 'the other partition',
        timeoutMs: 5_000,
      });
      return false;
    } catch {
      return true;
    }
  } finally {
    release();
    await subscription.stop();
  }
}

describe('a subscription with several members', () => {
  it('keeps consuming a partition while another one is slow', async () => {
    assert.equal(await partitionsHeldUp(2), false);
  });

  it('(one kafkajs consumer alone holds the other partition up behind the slow one)', async () => {
    assert.equal(await partitionsHeldUp(1), true);
  });
});
