// `npm run stack`: only the servers (embedded PostgreSQL + local Kafka), until Ctrl-C. They keep
// their ports (STABLE_PORTS) run after run while those are free.
import { STABLE_PORTS, startLocalStack } from '@skald/testing';
import { onStopSignal } from './stop-signal';

async function main(): Promise<void> {
  const stack = await startLocalStack({
    log: (line) => console.log(line),
    preferredPorts: STABLE_PORTS,
  });
  for (const line of stack.description) console.log(`started ${line}`);
  console.log(`\n${stack.exports.join('\n')}\n`);
  console.log('Ctrl-C stops them.');
  onStopSignal(() => stack.stop());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
