// `npm start`: the local stack (unless DATABASE_URL / KAFKA_BROKERS name servers), then the
// orchestrator and the demo participants as child processes, then two demo sagas — one that
// completes and one that compensates. Ctrl-C stops everything this script started, and so does
// the orchestrator exiting: without it nothing the rest does is of use. The API needs a key: the
// one generated for this run (or an admin key of SKALD_API_KEYS), printed with the curl examples.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { runtimeDir, STABLE_PORTS, startLocalStack, type LocalStack } from '@skald/testing';
import { transferRequest } from '../apps/demo/src/banks';
import { demoKeys, type DemoKeys } from './demo-keys';
import { onStopSignal } from './stop-signal';

const root = join(__dirname, '..');
const port = Number(process.env.PORT ?? 3000);
const api = `http://127.0.0.1:${port}`;
let keys: DemoKeys;
const authorized = () => ({ authorization: `Bearer ${keys.admin}` });
/** The header of the printed curl examples. */
const curlAuth = () => `-H 'authorization: Bearer ${keys.admin}'`;

function run(
  name: string,
  entry: string,
  stack: LocalStack,
  env: NodeJS.ProcessEnv = {},
): ChildProcess {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(root, entry)], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      DATABASE_URL: stack.databaseUrl,
      KAFKA_BROKERS: stack.kafkaBrokers,
      ...env,
    },
  });
  child.once('exit', (code, signal) => {
    if (stopping) return;
    if (name === 'orchestrator') {
      console.error(`npm start: the orchestrator exited (${code ?? signal}); stopping everything`);
      void stopAll().then(() => process.exit(1));
    } else console.error(`${name} exited (${code ?? signal}); Ctrl-C stops the rest`);
  });
  return child;
}

let stopping = false;
const children: ChildProcess[] = [];
let stack: LocalStack | undefined;

/** Stops the children this script started, then its stack; at most once. */
let stopped: Promise<void> | undefined;
function stopAll(): Promise<void> {
  stopping = true;
  stopped ??= (async () => {
    await Promise.all(
      children.map((child) => {
        if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        return exited;
      }),
    );
    await stack?.stop();
  })();
  return stopped;
}

/** True when nothing listens on the port yet (checked before anything is started). */
function portIsFree(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, () => probe.close(() => resolve(true)));
  });
}

async function waitForHealth(timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${api}/health`)).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}

const trip = (to: string) => ({
  type: 'book-trip',
  input: {
    customer: 'ada',
    car: { model: 'compact' },
    hotel: { city: 'Lisbon', nights: 3 },
    flight: { to },
    amount: 900,
  },
});

async function demoSaga(label: string, body: unknown): Promise<void> {
  const res = await fetch(`${api}/v1/sagas`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authorized() },
    body: JSON.stringify(body),
  });
  const saga = (await res.json()) as { id: string; status: string };
  let status = saga.status;
  for (let i = 0; i < 100 && (status === 'running' || status === 'compensating'); i++) {
    await new Promise((r) => setTimeout(r, 200));
    const res = await fetch(`${api}/v1/sagas/${saga.id}`, { headers: authorized() });
    status = ((await res.json()) as { status: string }).status;
  }
  console.log(
    `  ${label}: saga ${saga.id} is ${status}   →  curl -s ${curlAuth()} ${api}/v1/sagas/${saga.id}`,
  );
}

/** A 2PC money transfer of 10 from alice (bank-a) to bob (bank-b). */
async function demoTransfer(): Promise<void> {
  const res = await fetch(`${api}/v1/transactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authorized() },
    body: JSON.stringify(transferRequest(10)),
  });
  const tx = (await res.json()) as { id: string; status: string };
  let status = tx.status;
  for (let i = 0; i < 100 && status !== 'committed' && status !== 'aborted'; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const res = await fetch(`${api}/v1/transactions/${tx.id}`, { headers: authorized() });
    status = ((await res.json()) as { status: string }).status;
  }
  console.log(
    `  a 2PC transfer of 10 from alice (bank-a) to bob (bank-b): transaction ${tx.id} is ${status}   →  curl -s ${curlAuth()} ${api}/v1/transactions/${tx.id}`,
  );
}

async function main(): Promise<void> {
  if (!(await portIsFree())) {
    console.error(
      `npm start: port ${port} is in use; choose another with PORT, e.g. PORT=3001 npm start`,
    );
    process.exit(1);
  }
  keys = demoKeys(process.env);
  const started = Date.now();
  stack = await startLocalStack({
    log: (line) => console.log(line),
    // npm start keeps its data between runs; tests and the benchmark use throwaway stacks
    postgres: { persistent: true, dataDir: runtimeDir('start', 'pg') },
    kafka: { persistent: true, dataDir: runtimeDir('start', 'kafka') },
    preferredPorts: STABLE_PORTS,
  });
  for (const line of stack.description) console.log(`started ${line}`);
  console.log(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  // modules of yours in SKALD_SAGAS run beside the demo's saga, which the demo trips need
  const sagas = [join(root, 'apps/demo/src/sagas/book-trip.ts'), process.env.SKALD_SAGAS]
    .filter(Boolean)
    .join(',');
  children.push(
    run('orchestrator', 'apps/orchestrator/src/main.ts', stack, {
      PORT: String(port),
      SKALD_SAGAS: sagas,
      ...keys.env,
      // the demo's OpenAPI UI opens in a browser, which sends no key (docs/operations.md)
      SKALD_PUBLIC_METRICS_AND_DOCS: process.env.SKALD_PUBLIC_METRICS_AND_DOCS ?? 'true',
    }),
    run('demo participants', 'apps/demo/src/main.ts', stack, {
      SKALD_URL: api,
      SKALD_API_KEY: keys.banks,
    }),
  );
  onStopSignal(stopAll);

  if (!(await waitForHealth(60_000))) return;
  console.log(`\nSkald is up: ${api}  (API docs: ${api}/docs, console: ${api}/console)`);
  console.log(
    keys.generated
      ? `API key (admin, generated for this run, also the console's sign-in; SKALD_API_KEYS=name:scopes:secret sets your own):\n  ${keys.admin}`
      : 'API keys: yours (SKALD_API_KEYS); the demo calls with the first admin key among them',
  );
  console.log('Two demo trips and a transfer:');
  await demoSaga('a trip to Oslo', trip('Oslo'));
  await demoSaga('a trip to Atlantis (the airline refuses)', trip('Atlantis'));
  await demoTransfer();
  console.log(`\nStart your own:
  curl -s -XPOST ${api}/v1/sagas ${curlAuth()} -H 'content-type: application/json' \\
    -d '${JSON.stringify(trip('Rome'))}'
Switches: car.model "unobtainium" (refused), hotel.city "Flakyville" (fails twice, then retried),
flight.to "Atlantis" (refused), amount over 5000 (card declined).
A participant of your own connects with:
  ${stack.exports.join('\n  ')}
Ctrl-C stops the orchestrator, the participants, Kafka and PostgreSQL.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
