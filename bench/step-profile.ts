// Where a saga's time goes at concurrency 1: each step's command and reply, split at the moments
// the orchestrator's database and the Kafka records' timestamps show (one clock: one machine).
//   decided → sent:     the engine's transaction commits, the relay wakes, claims and sends
//                       (step_execution.sent_at, the decision's time → the command's CreateTime)
//   sent → replied:     the command's hop, the participant, and it sending the reply
//                       (the command's CreateTime → the reply's CreateTime)
//   replied → applied:  the reply's hop and the orchestrator reading it, up to its transaction's
//                       time (the reply's CreateTime → step_execution.replied_at)
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { commandTopic, HEADERS, replyTopic } from '@skald/protocol';
import { percentiles, round1, type Percentiles } from './load';
import { BENCH_PARTICIPANTS } from './workflow';

export interface StepProfile {
  sagas: number;
  /** Medians and tails (ms) of each segment, over every step of those sagas. */
  decidedToSent: Percentiles;
  sentToReplied: Percentiles;
  repliedToApplied: Percentiles;
  /** The share of the three segments' medians in their sum. */
  shares: { decidedToSent: number; sentToReplied: number; repliedToApplied: number };
}

/** Each record's CreateTime by a header's value, from the start of the topics to their end now. */
async function timestampsBy(kafka: Kafka, topics: string[], header: string) {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, bigint>();
  for (const topic of topics)
    for (const p of await admin.fetchTopicOffsets(topic))
      if (BigInt(p.high) > 0n) ends.set(`${topic}:${p.partition}`, BigInt(p.high));
  await admin.disconnect();
  const times = new Map<string, number>();
  if (ends.size === 0) return times;
  const consumer = kafka.consumer({
    groupId: `bench-profile-${randomUUID()}`,
    maxWaitTimeInMs: 50,
  });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ topic, partition, message }) => {
          const value = message.headers?.[header];
          if (value !== undefined) times.set(String(value), Number(message.timestamp));
          const key = `${topic}:${partition}`;
          if (BigInt(message.offset) + 1n >= (ends.get(key) ?? 0n)) ends.delete(key);
          if (ends.size === 0) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return times;
}

/** The profile of the sagas created since `sinceMs` (the concurrency-1 level). */
export async function profileSteps(
  pool: Pool,
  kafka: Kafka,
  topicPrefix: string,
  sinceMs: number,
): Promise<StepProfile> {
  const { rows } = await pool.query<{ id: string; sent: number; replied: number; saga: string }>(
    `SELECT e.command_id::text AS id, e.saga_id::text AS saga,
            (extract(epoch FROM e.sent_at) * 1000)::float8 AS sent,
            (extract(epoch FROM e.replied_at) * 1000)::float8 AS replied
       FROM skald.step_execution e JOIN skald.saga_instance s ON s.id = e.saga_id
      WHERE s.created_at >= to_timestamp($1 / 1000.0) AND e.replied_at IS NOT NULL`,
    [sinceMs],
  );
  const [commandTimes, replyTimes] = await Promise.all([
    timestampsBy(
      kafka,
      BENCH_PARTICIPANTS.map((name) => commandTopic(topicPrefix, name)),
      HEADERS.id,
    ),
    timestampsBy(kafka, [replyTopic(topicPrefix)], HEADERS.correlationId),
  ]);
  const segments = { decidedToSent: [] as number[], sentToReplied: [] as number[] };
  const repliedToApplied: number[] = [];
  for (const row of rows) {
    const command = commandTimes.get(row.id);
    const reply = replyTimes.get(row.id);
    if (command === undefined || reply === undefined) continue;
    segments.decidedToSent.push(command - row.sent);
    segments.sentToReplied.push(reply - command);
    repliedToApplied.push(row.replied - reply);
  }
  const profile = {
    decidedToSent: percentiles(segments.decidedToSent),
    sentToReplied: percentiles(segments.sentToReplied),
    repliedToApplied: percentiles(repliedToApplied),
  };
  const sum =
    profile.decidedToSent.p50 + profile.sentToReplied.p50 + profile.repliedToApplied.p50 || 1;
  const share = (p: Percentiles) => round1((p.p50 / sum) * 100) / 100;
  return {
    sagas: new Set(rows.map((r) => r.saga)).size,
    ...profile,
    shares: {
      decidedToSent: share(profile.decidedToSent),
      sentToReplied: share(profile.sentToReplied),
      repliedToApplied: share(profile.repliedToApplied),
    },
  };
}
