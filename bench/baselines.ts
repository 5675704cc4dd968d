// Baselines (a) and (b): what PostgreSQL and Kafka alone give on this machine, with the shapes and
// client settings Skald uses. (c) the floor and (d) DBOS run as child processes (floor.ts, dbos-peer.ts).
import { randomUUID } from 'node:crypto';
import { ensureTopics } from '@skald/participant';
import { benchPool } from './pg-pool';
import {
  benchConsumer,
  benchKafka,
  benchProducer,
  joined,
  PARTITIONS_CONSUMED_CONCURRENTLY,
  pingTopic,
  pongTopic,
} from './kafka-clients';
import { closedLoop, type LoadResult } from './load';

const ROWS = 10_000;

/**
 * (a) The engine's step transaction shape, raw: lock a saga row, update it, insert an outbox row,
 * commit — through a pool as large as the orchestrator's.
 */
export async function pgStepBaseline(
  databaseUrl: string,
  options: { poolSize: number; concurrency: number[]; durationMs: number },
): Promise<LoadResult[]> {
  const pool = benchPool(databaseUrl, options.poolSize);
  await pool.query(`
    CREATE TABLE IF NOT EXISTS bl_saga (id int PRIMARY KEY, status text NOT NULL, data jsonb NOT NULL,
      stage int NOT NULL, updated_at timestamptz NOT NULL);
    CREATE TABLE IF NOT EXISTS bl_outbox (id bigserial PRIMARY KEY, saga_id int NOT NULL, topic text NOT NULL,
      message_key text NOT NULL, headers jsonb NOT NULL, payload text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
    INSERT INTO bl_saga SELECT g, 'running', '{}', 0, now() FROM generate_series(1, ${ROWS}) g
      ON CONFLICT DO NOTHING`);
  let next = 0;
  const step = async () => {
    const id = (next++ % ROWS) + 1;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT id, status, data, stage FROM bl_saga WHERE id = $1 FOR UPDATE', [
        id,
      ]);
      await client.query(
        `UPDATE bl_saga SET stage = stage + 1, data = $2, updated_at = now() WHERE id = $1`,
        [id, JSON.stringify({ step: next })],
      );
      await client.query(
        `INSERT INTO bl_outbox (saga_id, topic, message_key, headers, payload) VALUES ($1, $2, $3, $4, $5)`,
        [
          id,
          'bench.commands.alpha',
          String(id),
          JSON.stringify({ ce_id: randomUUID() }),
          '{"n":1}',
        ],
      );
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    return Date.now();
  };
  const levels: LoadResult[] = [];
  try {
    for (const c of options.concurrency) levels.push(await closedLoop(step, c, options.durationMs));
  } finally {
    await pool.end();
  }
  return levels;
}

/** (b) Kafka alone: keyed ping → echo (another process) → pong, with Skald's client settings. */
export async function kafkaPingPong(
  brokers: string[],
  prefix: string,
  options: { concurrency: number[]; durationMs: number },
): Promise<LoadResult[]> {
  const kafka = benchKafka(brokers, 'bench-ping');
  await ensureTopics(kafka, [pingTopic(prefix), pongTopic(prefix)]);
  const producer = await benchProducer(kafka);
  const consumer = await benchConsumer(kafka, `${prefix}.ping-${randomUUID()}`, [
    pongTopic(prefix),
  ]);
  const waiters = new Map<string, (at: number) => void>();
  const ready = joined(consumer);
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY,
    eachMessage: async ({ message }) => {
      const key = message.key?.toString() ?? '';
      waiters.get(key)?.(Date.now());
      waiters.delete(key);
    },
  });
  await ready;
  const ping = async () => {
    const key = randomUUID();
    const pong = new Promise<number>((resolve) => waiters.set(key, resolve));
    await producer.send({ topic: pingTopic(prefix), acks: -1, messages: [{ key, value: '{}' }] });
    return pong;
  };
  const levels: LoadResult[] = [];
  try {
    for (const c of options.concurrency) levels.push(await closedLoop(ping, c, options.durationMs));
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
  return levels;
}
