// Child process: the no-op participants (Skald's SDK, no database, so at-least-once) for each
// topic prefix in BENCH_PREFIXES, and a raw kafkajs echo (ping → pong) for BENCH_PINGPONG_PREFIX.
// Prints "ready" once every consumer has joined its group; SIGTERM stops them.
import { BusinessRefusal, createParticipant, ensureTopics } from '@skald/participant';
import {
  benchConsumer,
  benchKafka,
  benchProducer,
  joined,
  PARTITIONS_CONSUMED_CONCURRENTLY,
  pingTopic,
  pongTopic,
} from './kafka-clients';
import {
  BENCH_COMMAND,
  BENCH_PARTICIPANTS,
  BENCH_REFUSAL,
  BENCH_REPLY,
  BENCH_UNDO,
} from './workflow';

const brokers = process.env.KAFKA_BROKERS!.split(',');
const prefixes = (process.env.BENCH_PREFIXES ?? '').split(',').filter(Boolean);
const pingPrefix = process.env.BENCH_PINGPONG_PREFIX;

async function startEcho(prefix: string) {
  const kafka = benchKafka(brokers, 'bench-echo');
  await ensureTopics(kafka, [pingTopic(prefix), pongTopic(prefix)]);
  const producer = await benchProducer(kafka);
  const consumer = await benchConsumer(kafka, `${prefix}.echo`, [pingTopic(prefix)]);
  const ready = joined(consumer);
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY,
    eachMessage: async ({ message }) => {
      await producer.send({
        topic: pongTopic(prefix),
        acks: -1,
        messages: [{ key: message.key, value: message.value }],
      });
    },
  });
  await ready;
  return async () => {
    await consumer.disconnect();
    await producer.disconnect();
  };
}

async function main(): Promise<void> {
  const participants = prefixes.flatMap((topicPrefix) =>
    BENCH_PARTICIPANTS.map((name) =>
      createParticipant({ name, topicPrefix, kafka: { brokers, clientId: `bench-${name}` } })
        .on(BENCH_COMMAND, (payload: { fail?: boolean }) => {
          if (payload?.fail) throw new BusinessRefusal(BENCH_REFUSAL, 'the benchmark refuses');
          return BENCH_REPLY;
        })
        .onCompensate(BENCH_UNDO, () => BENCH_REPLY),
    ),
  );
  const [stopEcho] = await Promise.all([
    pingPrefix ? startEcho(pingPrefix) : undefined,
    ...participants.map((p) => p.start()),
  ]);
  // the SDK starts consuming before its group has settled: wait until every consumer says so
  for (;;) {
    const health = participants.map((p) => p.health());
    if (health.every((h) => h.consuming)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log('ready');
  process.once('SIGTERM', () => {
    void Promise.all([stopEcho?.(), ...participants.map((p) => p.stop())]).then(() =>
      process.exit(0),
    );
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
