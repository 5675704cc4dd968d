import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createTestDatabase,
  findFreePort,
  spawnOrchestrator,
  startLocalKafka,
  startScriptedParticipant,
  waitForHttp,
  type LocalKafka,
  type OrchestratorProcess,
  type TestDatabase,
} from '@skald/testing';

describe('an orchestrator started before its Kafka broker', () => {
  let db: TestDatabase;
  let port: number;
  let orchestrator: OrchestratorProcess;
  let kafka: LocalKafka | undefined;

  before(async () => {
    [db, port] = await Promise.all([createTestDatabase(), findFreePort()]);
    orchestrator = await spawnOrchestrator({
      DATABASE_URL: db.url,
      KAFKA_BROKERS: `127.0.0.1:${port}`,
      SKALD_SAGAS: join(__dirname, '../fixtures/versioned-v1.ts'),
    });
  });
  after(async () => {
    await orchestrator.stop('SIGKILL');
    await kafka?.stop();
    await db.drop();
  });

  it('serves the API with /health 503, keeps commands in the outbox, and runs them once Kafka is up', async () => {
    const health = await waitForHttp(`${orchestrator.url}/health`, {
      status: 503,
      process: orchestrator,
    });
    assert.equal(
      ((await health.json()) as { details: { kafka: { status: string } } }).details.kafka.status,
      'down',
    );
    const res = await fetch(`${orchestrator.url}/v1/sagas`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'versioned', input: {} }),
    });
    assert.equal(res.status, 201);
    const saga = (await res.json()) as { id: string };

    kafka = await startLocalKafka({ port });
    const cars = await startScriptedParticipant({
      name: 'cars',
      brokers: kafka.brokers,
      topicPrefix: 'skald',
      answer: () => ({ outcome: 'success', data: {} }),
    });
    try {
      await waitForHttp(`${orchestrator.url}/health`, { status: 200, timeoutMs: 60_000 });
      const deadline = Date.now() + 60_000;
      let status = '';
      while (status !== 'completed' && Date.now() < deadline) {
        status = (
          (await (await fetch(`${orchestrator.url}/v1/sagas/${saga.id}`)).json()) as {
            status: string;
          }
        ).status;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(status, 'completed');
      assert.equal(orchestrator.child.exitCode, null, 'never restarted');
    } finally {
      await cars.stop();
    }
  });
});
