// `npm run stack`: only the servers (embedded PostgreSQL + local Kafka), until Ctrl-C.
import { startLocalStack } from '@skald/testing';
import { onStopSignal } from './stop-signal';

async function main(): Promise<void> {
  const stack = await startLocalStack({ log: (line) => console.log(line) });
  for (const line of stack.description) console.log(`started ${line}`);
  console.log(
    `\nexport DATABASE_URL=${stack.databaseUrl}\nexport KAFKA_BROKERS=${stack.kafkaBrokers}\n`,
  );
  console.log('Ctrl-C stops them.');
  onStopSignal(() => stack.stop());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
