import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  runtimeDir,
  spawnOrchestrator,
  startLocalPostgres,
  startScriptedParticipant,
  uniqueName,
  waitForHttp,
  type LocalPostgres,
  type OrchestratorProcess,
  type ScriptedParticipant,
} from '@skald/testing';

describe('PostgreSQL down and back, with the orchestrator left running', () => {
  const dataDir = runtimeDir(uniqueName('outage'), 'pg');
  const prefix = uniqueName('outage');
  const brokers = process.env.KAFKA_BROKERS!.split(',');
  // a server of its own, since this test stops it
  let postgres: LocalPostgres;
  let orchestrator: OrchestratorProcess;
  let cars: ScriptedParticipant;

  before(async () => {
    postgres = await startLocalPostgres({ dataDir, persistent: true });
    orchestrator = await spawnOrchestrator({
      DATABASE_URL: postgres.url,
      KAFKA_BROKERS: brokers.join(','),
      SKALD_TOPIC_PREFIX: prefix,
      SKALD_SAGAS: join(__dirname, '../fixtures/versioned-v1.ts'),
    });
    await waitForHttp(`${orchestrator.url}/health`, { process: orchestrator });
    cars = await startScriptedParticipant({
      name: 'cars',
      brokers,
      topicPrefix: prefix,
      answer: () => ({ outcome: 'none' }),
    });
  });
  after(async () => {
    await cars.stop();
    await orchestrator.stop('SIGKILL');
    await postgres.stop();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('answers 503 while the database is down, keeps running, and finishes the saga once it is back', async () => {
    const started = await fetch(`${orchestrator.url}/v1/sagas`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'versioned', input: {} }),
    });
    const saga = (await started.json()) as { id: string };
    const command = await cars.waitFor((c) => c.sagaId === saga.id);
    const running = /^skald_sagas\{status="running"\} 1$/m;
    assert.match(await (await fetch(`${orchestrator.url}/metrics`)).text(), running);

    await postgres.stop();
    const inspect = await fetch(`${orchestrator.url}/v1/sagas/${saga.id}`);
    assert.equal(inspect.status, 503);
    assert.match(
      ((await inspect.json()) as { message: string }).message,
      /database is unavailable/,
    );
    const health = await waitForHttp(`${orchestrator.url}/health`, {
      status: 503,
      timeoutMs: 15_000,
    });
    assert.equal(
      ((await health.json()) as { details: { postgres: { status: string } } }).details.postgres
        .status,
      'down',
    );
    // /metrics answers at once, the database's gauges at their last values
    const scrapeStarted = Date.now();
    const metrics = await fetch(`${orchestrator.url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.ok(Date.now() - scrapeStarted < 3_000, `answered in ${Date.now() - scrapeStarted} ms`);
    assert.match(await metrics.text(), running);
    // the reply arrives while the database is down: it must wait in Kafka, not be lost
    await cars.reply(command, { outcome: 'success', data: {} });
    // a fixed wait on purpose: the orchestrator must live through it with the reply pending
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(orchestrator.child.exitCode, null, 'no crash');

    postgres = await startLocalPostgres({ dataDir, persistent: true, port: postgres.port });
    const deadline = Date.now() + 90_000;
    let status = '';
    while (Date.now() < deadline && status !== 'completed') {
      const res = await fetch(`${orchestrator.url}/v1/sagas/${saga.id}`);
      if (res.ok) status = ((await res.json()) as { status: string }).status;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(status, 'completed');
    assert.equal(orchestrator.child.exitCode, null, 'the same process, never restarted');
  });
});
