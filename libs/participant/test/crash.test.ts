import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import {
  createTestDatabase,
  OrchestratorHarness,
  repoRoot,
  type TestDatabase,
} from '@skald/testing';

function startCars(env: NodeJS.ProcessEnv): {
  child: ChildProcess;
  ready: Promise<void>;
  exit: Promise<NodeJS.Signals | number>;
} {
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', join(__dirname, 'fixtures/cars-process.ts')],
    {
      cwd: repoRoot,
      env: { ...process.env, ...env },
    },
  );
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('cars ready')) resolve();
    });
    child.once('exit', () => reject(new Error(`cars exited before it was ready: ${output}`)));
  });
  ready.catch(() => undefined);
  const exit = new Promise<NodeJS.Signals | number>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code ?? -1)),
  );
  return { child, ready, exit };
}

describe('a participant SIGKILLed after its commit, before its reply', () => {
  let skald: OrchestratorHarness;
  let participantDb: TestDatabase;

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas: [join(repoRoot, 'apps/orchestrator/test/fixtures/versioned-v1.ts')],
    });
    participantDb = await createTestDatabase();
  });
  after(async () => {
    await skald.stop();
    await participantDb.drop();
  });

  async function carRows(sagaId: string): Promise<number> {
    const client = new Client(participantDb.url);
    await client.connect();
    try {
      return (await client.query('SELECT 1 FROM cars WHERE saga_id = $1', [sagaId])).rowCount ?? 0;
    } finally {
      await client.end();
    }
  }

  it('does not run the handler again after restart: the stored reply is sent and the saga completes', async () => {
    const env = {
      PARTICIPANT_DATABASE_URL: participantDb.url,
      KAFKA_BROKERS: skald.brokers.join(','),
      SKALD_TOPIC_PREFIX: skald.topicPrefix,
    };
    const crashing = startCars({ ...env, SKALD_CRASH_AT: 'participant:after-commit' });
    await crashing.ready;
    const saga = await skald.startSaga('versioned', {});
    assert.equal(await crashing.exit, 'SIGKILL', 'killed at the crash point');
    assert.equal(await carRows(saga.id), 1, 'the handler’s write committed');
    assert.equal((await skald.saga(saga.id)).status, 'running', 'no reply was sent');

    const restarted = startCars(env);
    await restarted.ready;
    try {
      const done = await skald.waitForStatus(saga.id, 'completed', 40_000);
      assert.equal(
        await carRows(saga.id),
        1,
        'the redelivered command did not run the handler again',
      );
      assert.deepEqual(
        done.steps.map((s) => [s.name, s.status]),
        [['first', 'succeeded']],
      );
    } finally {
      restarted.child.kill('SIGTERM');
      await restarted.exit;
    }
  });
});
