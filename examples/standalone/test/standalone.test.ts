// The acceptance of issue #14: in a directory outside this repository, the packed tarballs plus
// kafkajs and pg are enough to compile the example's participant and saga, run the stock
// orchestrator through its bin with the compiled saga module, and run a saga to `completed` and
// another to `compensated` against the test stack. A packaging break fails here.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import {
  createTestDatabase,
  findFreePort,
  runToEnd,
  waitForHttp,
  waitUntil,
  type TestDatabase,
} from '@skald/testing';
import { installExample, packPackages, type Tarball } from './install-example';

/** A second saga module, ESM with top-level await, importing the CommonJS @skald/saga by name. */
const ESM_SAGA_MODULE = `import { command, defineSaga } from '@skald/saga';
await Promise.resolve();
export const audit = defineSaga('audit', { version: 1 })
  .step('record', { invoke: () => command('shop', 'reserve', { items: ['audit'] }) })
  .build();
`;

interface Started {
  child: ChildProcess;
  output(): string;
  /** Rejects, with the output, once the process has exited. */
  exited: Promise<never>;
}

/** A process of the example: the env is all it gets, as on a machine of its own. */
function start(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Started {
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<never>((_resolve, reject) =>
    child.once('exit', (code, signal) =>
      reject(new Error(`${command} exited (${code ?? signal}):\n${output}`)),
    ),
  );
  exited.catch(() => undefined);
  return { child, output: () => output, exited };
}

async function stop(process: Started | undefined): Promise<void> {
  const child = process?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

describe('the standalone example on the packed tarballs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skald-standalone-'));
  const topicPrefix = `sa${randomBytes(4).toString('hex')}`;
  let tarballs: Tarball[] = [];
  let orchestratorDb: TestDatabase;
  let shopDb: TestDatabase;
  let orchestrator: Started | undefined;
  let shop: Started | undefined;
  let api = '';

  before(
    async () => {
      tarballs = await packPackages(dir);
      const app = await installExample(dir, tarballs);
      writeFileSync(join(app, 'dist/audit-saga.mjs'), ESM_SAGA_MODULE);
      [orchestratorDb, shopDb] = await Promise.all([createTestDatabase(), createTestDatabase()]);
      const port = await findFreePort();
      api = `http://127.0.0.1:${port}`;
      const kafka = { KAFKA_BROKERS: process.env.KAFKA_BROKERS, SKALD_TOPIC_PREFIX: topicPrefix };
      // the bin as npm installed it: its shebang, its migrations, the user's saga modules
      orchestrator = start(join(app, 'node_modules/.bin/skald-orchestrator'), [], app, {
        ...kafka,
        DATABASE_URL: orchestratorDb.url,
        PORT: String(port),
        SKALD_SAGAS: 'dist/order-saga.js,dist/audit-saga.mjs',
      });
      shop = start(process.execPath, ['dist/shop-participant.js'], app, {
        ...kafka,
        DATABASE_URL: shopDb.url,
      });
      await Promise.race([
        orchestrator.exited,
        waitForHttp(`${api}/health`, { timeoutMs: 60_000 }).catch((error: Error) => {
          throw new Error(`${error.message}\norchestrator output:\n${orchestrator!.output()}`);
        }),
      ]);
      await Promise.race([
        shop.exited,
        waitUntil(() => shop!.output().includes('shop participant started'), {
          timeoutMs: 30_000,
          what: 'the shop participant',
        }),
      ]);
    },
    { timeout: 300_000 },
  );

  after(async () => {
    await Promise.all([stop(orchestrator), stop(shop)]);
    await Promise.all([orchestratorDb?.drop(), shopDb?.drop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  async function runSaga(amount: number): Promise<{ id: string; status: string; steps: unknown }> {
    const res = await fetch(`${api}/v1/sagas`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'place-order',
        input: { customer: 'ada', items: ['book'], amount },
      }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const { id } = (await res.json()) as { id: string };
    let saga = { id, status: 'running', steps: [] as unknown };
    await waitUntil(
      async () => {
        saga = (await (await fetch(`${api}/v1/sagas/${id}`)).json()) as typeof saga;
        return saga.status === 'completed' || saga.status === 'compensated';
      },
      { timeoutMs: 30_000, what: `saga ${id} to end` },
    );
    return saga;
  }

  async function reservationStatuses(): Promise<string[]> {
    const client = new Client({ connectionString: shopDb.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ status: string }>(
        'SELECT status FROM reservations ORDER BY id',
      );
      return rows.map((r) => r.status);
    } finally {
      await client.end();
    }
  }

  it('packs every package into a tarball', () => {
    for (const t of tarballs) console.log(`# ${t.name}: ${t.filename} (${t.size} bytes)`); // eslint-disable-line no-console
    assert.deepEqual(tarballs.map((t) => t.name).sort(), [
      '@skald/conformance',
      '@skald/orchestrator',
      '@skald/participant',
      '@skald/persistence',
      '@skald/protocol',
      '@skald/saga',
      '@skald/two-phase',
    ]);
  });

  it('loads the CommonJS and the ES saga module through their own @skald/saga', () => {
    assert.match(orchestrator!.output(), /with saga types: place-order v1, audit v1/);
  });

  it('completes an order, then compensates one whose charge is declined', async () => {
    const completed = await runSaga(40);
    assert.equal(completed.status, 'completed', JSON.stringify(completed));
    const compensated = await runSaga(5_000);
    assert.equal(compensated.status, 'compensated', JSON.stringify(compensated));
    assert.deepEqual(await reservationStatuses(), ['reserved', 'released']);
  });

  // last: the kit's own sagas add reservations
  it('the installed skald-conformance bin passes the example participant', async () => {
    const app = join(dir, 'app');
    // exit 0 or it rejects with the kit's report
    const report = await runToEnd(
      join(app, 'node_modules/.bin/skald-conformance'),
      [
        ...['--participant', 'shop', '--brokers', process.env.KAFKA_BROKERS!],
        ...['--topic-prefix', topicPrefix, '--command', 'reserve', '--compensation', 'release'],
        ...['--payload', JSON.stringify({ items: ['kit'] })],
      ],
      { cwd: app, env: { PATH: process.env.PATH } },
    );
    assert.equal(report.match(/^PASS /gm)?.length, 9, report);
  });
});
