import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { Client } from 'pg';
import { ensureTopics } from '@skald/participant';
import { createTestDatabase, uniqueName, type TestDatabase } from '@skald/testing';

describe('local stack: Kafka round trip through the started broker', () => {
  const kafka = new Kafka({
    clientId: 'stack-test',
    brokers: process.env.KAFKA_BROKERS!.split(','),
    logLevel: logLevel.NOTHING,
  });
  let producer: Producer;
  let consumer: Consumer;

  before(async () => {
    producer = kafka.producer({ idempotent: true });
    consumer = kafka.consumer({ groupId: uniqueName('stack-test'), maxWaitTimeInMs: 100 });
    await Promise.all([producer.connect(), consumer.connect()]);
  });
  after(async () => {
    await Promise.all([producer.disconnect(), consumer.disconnect()]);
  });

  it('produces keyed messages with headers (acks=all) and consumes them back in order', async () => {
    const topic = uniqueName('roundtrip');
    await ensureTopics(kafka, [topic], { partitions: 3 });

    const key = randomUUID();
    const sent = Array.from({ length: 5 }, (_, i) => `message-${i}`);
    const received: { key: string; value: string; header: string }[] = [];
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          received.push({
            key: message.key!.toString(),
            value: message.value!.toString(),
            header: message.headers!.ce_id!.toString(),
          });
          if (received.length === sent.length) resolve();
        },
      });
    });
    await producer.send({
      topic,
      acks: -1,
      messages: sent.map((value, i) => ({ key, value, headers: { ce_id: `id-${i}` } })),
    });
    await done;

    assert.deepEqual(
      received.map((m) => m.value),
      sent,
      'one key lands on one partition, so order is kept',
    );
    assert.ok(received.every((m) => m.key === key));
    assert.deepEqual(
      received.map((m) => m.header),
      sent.map((_, i) => `id-${i}`),
    );
  });
});

describe('local stack: a fresh PostgreSQL database per test file', () => {
  let first: TestDatabase;
  let second: TestDatabase;

  before(async () => {
    [first, second] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  });
  after(async () => {
    await Promise.all([first.drop(), second.drop()]);
  });

  it('gives each caller its own database on the real server', async () => {
    assert.notEqual(first.name, second.name);
    const a = new Client(first.url);
    const b = new Client(second.url);
    await Promise.all([a.connect(), b.connect()]);
    try {
      await a.query('CREATE TABLE only_in_first (id int)');
      const { rows } = await b.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'only_in_first'",
      );
      assert.equal(rows[0].n, 0);
      const version = await a.query<{ server_version_num: string }>('SHOW server_version_num');
      assert.ok(Number(version.rows[0].server_version_num) >= 150000);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it('drops the database afterwards', async () => {
    const scratch = await createTestDatabase();
    await scratch.drop();
    const admin = new Client(process.env.DATABASE_URL);
    await admin.connect();
    try {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [
        scratch.name,
      ]);
      assert.equal(rowCount, 0);
    } finally {
      await admin.end();
    }
  });
});
