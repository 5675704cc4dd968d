// The demo participants as one process: DATABASE_URL, KAFKA_BROKERS, SKALD_TOPIC_PREFIX, the
// orchestrator's KAFKA_SASL_* and KAFKA_TLS_* credentials, and SKALD_URL (the orchestrator, asked
// by the banks about 2PC transactions left in doubt) and SKALD_API_KEY (a key of the
// orchestrator's with the read scope, for those questions).
import { Pool } from 'pg';
import { kafkaCredentialsFromEnv } from '@skald/participant';
import { BANKS_SCHEMA_SQL, BANKS_SEED_SQL, bankParticipants } from './banks';
import { DEMO_SCHEMA_SQL, demoParticipants } from './participants';

async function main(): Promise<void> {
  const { DATABASE_URL, KAFKA_BROKERS, SKALD_TOPIC_PREFIX, SKALD_URL, SKALD_API_KEY } = process.env;
  if (!DATABASE_URL || !KAFKA_BROKERS)
    throw new Error('DATABASE_URL and KAFKA_BROKERS are required');
  const kafka = kafkaCredentialsFromEnv(process.env);
  if (kafka.problems.length) throw new Error(kafka.problems.join('; '));
  const pool = new Pool({ connectionString: DATABASE_URL, max: 10 });
  // an idle connection dropped by a database restart must not take the process down
  pool.on('error', (error) =>
    process.stderr.write(`demo participants: idle connection lost: ${error.message}\n`),
  );
  await pool.query(DEMO_SCHEMA_SQL + BANKS_SCHEMA_SQL + BANKS_SEED_SQL);
  const options = {
    brokers: KAFKA_BROKERS.split(','),
    credentials: kafka.credentials,
    pool,
    topicPrefix: SKALD_TOPIC_PREFIX,
  };
  const participants = [
    ...demoParticipants(options),
    ...bankParticipants({
      ...options,
      coordinatorUrl: SKALD_URL ?? 'http://127.0.0.1:3000',
      apiKey: SKALD_API_KEY || undefined,
    }),
  ];
  await Promise.all(participants.map((p) => p.start()));
  process.stdout.write(
    `demo participants consuming: cars, hotels, flights, payments, bank-a, bank-b (2PC)\n`,
  );
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void Promise.all(participants.map((p) => p.stop()))
        .then(() => pool.end())
        .then(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `demo participants: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
