// The floor: the same protocol as Skald (same wire format, same participants) written naively,
// with no framework: state commit → relay (one row per transaction) → participant echo →
// reply consumed → state commit, three times. No batching, no inbox, no timers, no history.
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { benchPool } from './pg-pool';
import {
  commandTopic,
  decodeReply,
  encodeCommand,
  replyTopic,
  type WireMessage,
} from '@skald/protocol';
import { ensureTopics } from '@skald/participant';
import { childMain, type ChildSettings } from './child';
import {
  benchConsumer,
  benchKafka,
  benchProducer,
  joined,
  PARTITIONS_CONSUMED_CONCURRENTLY,
} from './kafka-clients';
import { BENCH_COMMAND, BENCH_PARTICIPANTS } from './workflow';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS floor_saga (id uuid PRIMARY KEY, step int NOT NULL, status text NOT NULL,
    awaiting uuid, updated_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE IF NOT EXISTS floor_outbox (id bigserial PRIMARY KEY, saga_id uuid NOT NULL,
    topic text NOT NULL, key text NOT NULL, headers jsonb NOT NULL, payload text NOT NULL)`;

async function setUp(settings: ChildSettings) {
  const pool = benchPool(settings.databaseUrl, settings.poolSize);
  await pool.query(SCHEMA);
  const kafka = benchKafka(settings.kafkaBrokers, 'bench-floor');
  const producer = await benchProducer(kafka);
  const replies = replyTopic(settings.topicPrefix);
  await ensureTopics(kafka, [
    replies,
    ...BENCH_PARTICIPANTS.map((name) => commandTopic(settings.topicPrefix, name)),
  ]);
  const consumer = await benchConsumer(kafka, `${settings.topicPrefix}.floor`, [replies]);
  const waiters = new Map<string, (endedAt: number) => void>();
  let ended = 0;

  async function inTransaction<T>(work: (q: Pool['query']) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client.query.bind(client) as Pool['query']);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  /** Writes the command of `step` to the outbox in the caller's transaction; returns its ids. */
  async function enqueue(query: Pool['query'], sagaId: string, step: number) {
    const commandId = randomUUID();
    const message = encodeCommand({
      id: commandId,
      source: 'floor',
      command: BENCH_COMMAND,
      time: new Date().toISOString(),
      sagaId,
      step: BENCH_PARTICIPANTS[step],
      attempt: 1,
      phase: 'execute',
      replyTo: replies,
      data: { n: step + 1 },
    });
    const { rows } = await query<{ id: string }>(
      `INSERT INTO floor_outbox (saga_id, topic, key, headers, payload) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [
        sagaId,
        commandTopic(settings.topicPrefix, BENCH_PARTICIPANTS[step]),
        message.key,
        message.headers,
        message.value,
      ],
    );
    return { outboxId: rows[0].id, commandId };
  }

  /** The relay, in-process: claim the row, publish it, delete it — one transaction per row. */
  async function relay(outboxId: string): Promise<void> {
    await inTransaction(async (query) => {
      const { rows } = await query<{
        topic: string;
        key: string;
        headers: Record<string, string>;
        payload: string;
      }>(
        'SELECT topic, key, headers, payload FROM floor_outbox WHERE id = $1 FOR UPDATE SKIP LOCKED',
        [outboxId],
      );
      if (rows.length === 0) return;
      const [row] = rows;
      await producer.send({
        topic: row.topic,
        acks: -1,
        messages: [{ key: row.key, value: row.payload, headers: row.headers }],
      });
      await query('DELETE FROM floor_outbox WHERE id = $1', [outboxId]);
    });
  }

  async function start(sagaId: string): Promise<void> {
    const { outboxId } = await inTransaction(async (query) => {
      const next = await enqueue(query, sagaId, 0);
      await query(
        `INSERT INTO floor_saga (id, step, status, awaiting) VALUES ($1, 0, 'running', $2)`,
        [sagaId, next.commandId],
      );
      return next;
    });
    await relay(outboxId);
  }

  async function onReply(message: WireMessage): Promise<void> {
    const reply = decodeReply(message);
    const outcome = await inTransaction(async (query) => {
      const { rows } = await query<{ step: number; awaiting: string }>(
        `SELECT step, awaiting FROM floor_saga WHERE id = $1 AND status = 'running' FOR UPDATE`,
        [reply.sagaId],
      );
      if (rows[0]?.awaiting !== reply.correlationId) return undefined; // a duplicate
      const step = rows[0].step + 1;
      if (step === BENCH_PARTICIPANTS.length) {
        await query(
          `UPDATE floor_saga SET status = 'completed', awaiting = NULL, updated_at = now() WHERE id = $1`,
          [reply.sagaId],
        );
        return { done: true as const };
      }
      const next = await enqueue(query, reply.sagaId, step);
      await query(
        'UPDATE floor_saga SET step = $2, awaiting = $3, updated_at = now() WHERE id = $1',
        [reply.sagaId, step, next.commandId],
      );
      return { done: false as const, outboxId: next.outboxId };
    });
    if (!outcome) return;
    if (!outcome.done) return relay(outcome.outboxId);
    ended++;
    waiters.get(reply.sagaId)?.(Date.now());
    waiters.delete(reply.sagaId);
  }

  const ready = joined(consumer);
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY,
    eachMessage: ({ message }) => onReply(message),
  });
  await ready;

  return {
    run: async () => {
      const sagaId = randomUUID();
      const done = new Promise<number>((resolve) => waiters.set(sagaId, resolve));
      await start(sagaId);
      return done;
    },
    ended: () => ended,
    tearDown: async () => {
      await consumer.disconnect();
      await producer.disconnect();
      await pool.end();
    },
  };
}

void childMain('floor', setUp);
