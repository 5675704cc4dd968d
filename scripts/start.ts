// `npm start`: the local stack (unless DATABASE_URL / KAFKA_BROKERS name servers), then the
// orchestrator as a child process. Ctrl-C stops everything this script started.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { runtimeDir, startLocalStack, type LocalStack } from '@skald/testing';
import { onStopSignal } from './stop-signal';

const root = join(__dirname, '..');
const port = Number(process.env.PORT ?? 3000);

function startOrchestrator(stack: LocalStack): ChildProcess {
  return spawn(
    process.execPath,
    ['-r', '@swc-node/register', join(root, 'apps/orchestrator/src/main.ts')],
    {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        DATABASE_URL: stack.databaseUrl,
        KAFKA_BROKERS: stack.kafkaBrokers,
        PORT: String(port),
      },
    },
  );
}

async function waitForHealth(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}

async function main(): Promise<void> {
  const started = Date.now();
  const stack = await startLocalStack({
    log: (line) => console.log(line),
    // npm start keeps its data between runs; tests and the benchmark use throwaway stacks
    postgres: { persistent: true, dataDir: runtimeDir('start', 'pg') },
    kafka: { persistent: true, dataDir: runtimeDir('start', 'kafka') },
  });
  for (const line of stack.description) console.log(`started ${line}`);
  console.log(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const orchestrator = startOrchestrator(stack);
  let stopping = false;
  orchestrator.once('exit', (code) => {
    if (stopping) return;
    console.error(`orchestrator exited (${code ?? 'signal'}); stopping the stack`);
    void stack.stop().then(() => process.exit(code || 1));
  });
  onStopSignal(async () => {
    stopping = true;
    if (orchestrator.exitCode === null) {
      const exited = new Promise((r) => orchestrator.once('exit', r));
      orchestrator.kill('SIGTERM');
      await exited;
    }
    await stack.stop();
  });

  if (await waitForHealth(orchestrator, 60_000)) {
    console.log(
      `\nSkald is up: http://localhost:${port}  (API docs: http://localhost:${port}/docs)`,
    );
    console.log(`Try:  curl -s localhost:${port}/health\n`);
    console.log('Ctrl-C stops the orchestrator, Kafka and PostgreSQL.');
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
