// The deploy-time definition check with real orchestrator processes: a deploy that would break
// running sagas is refused with the list and what to do; with the override it starts and the
// orphans show waitReason `definition-missing`, until their version is registered again.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  OrchestratorHarness,
  spawnOrchestrator,
  waitUntil,
  type SagaResource,
} from '@skald/testing';

const fixtures = join(__dirname, '../fixtures');
const V1 = join(fixtures, 'evolving-v1.ts');
const V1_CHANGED = join(fixtures, 'evolving-v1-changed.ts');
const V2 = join(fixtures, 'evolving-v2.ts');
const OVERRIDE = { SKALD_ALLOW_BREAKING_DEFINITIONS: 'true' };

interface Report {
  ok: boolean;
  unfinishedSagas: number;
  affectedSagas: number;
  problems: { kind: string; type: string; version: number; step?: string; sagas: number }[];
}

describe('the definition check at deploy time (orchestrator processes, real PostgreSQL and Kafka)', () => {
  let skald: OrchestratorHarness;
  let running: SagaResource[];

  before(async () => {
    skald = await OrchestratorHarness.start({ sagas: [V1] });
  });
  after(async () => {
    await skald?.stop();
  });

  const check = async () => {
    const res = await skald.request<Report>('GET', '/v1/definitions/check');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };

  /** Starts the orchestrator with `sagas` on the same database and expects it to refuse. */
  async function refusedWith(sagas: string[]): Promise<string> {
    const refused = await spawnOrchestrator({
      DATABASE_URL: skald.db.url,
      KAFKA_BROKERS: skald.brokers.join(','),
      SKALD_TOPIC_PREFIX: skald.topicPrefix,
      SKALD_SAGAS: sagas.join(','),
    });
    assert.equal(await refused.exited(), 2, refused.output());
    return refused.output();
  }

  it('finds nothing while the definitions the sagas started on are registered', async () => {
    running = [];
    for (let i = 0; i < 3; i++) running.push(await skald.startSaga('evolving', { n: i }));
    for (const saga of running) {
      await waitUntil(async () => (await skald.saga(saga.id)).steps[0].status === 'running', {
        what: `saga ${saga.id} waiting at reserve`,
      });
    }
    assert.deepEqual(await check(), {
      ok: true,
      unfinishedSagas: 3,
      affectedSagas: 0,
      problems: [],
    });
  });

  it('refuses to start with a version changed without a bump, listing the sagas and what to do', async () => {
    await skald.process.stop();
    const output = await refusedWith([V1_CHANGED]);
    assert.match(output, /3 of 3 unfinished sagas would break with the registered definitions/);
    assert.match(
      output,
      /changed-shape evolving v1: 3 unfinished sagas: evolving v1 changed its steps/,
    );
    assert.match(output, /missing-step evolving v1 step reserve: 3 unfinished sagas/);
    assert.match(output, /Register the old versions again/);
    assert.match(output, /SKALD_ALLOW_BREAKING_DEFINITIONS=true/);
  });

  it('refuses to start without the version running sagas use', async () => {
    const output = await refusedWith([V2]);
    assert.match(
      output,
      /missing-version evolving v1: 3 unfinished sagas: evolving v1 is not registered/,
    );
  });

  it('starts with the override and marks the orphans definition-missing', async () => {
    await skald.restart({ sagas: [V2], env: OVERRIDE });
    const report = await check();
    assert.equal(report.ok, false);
    assert.equal(report.affectedSagas, 3);
    assert.deepEqual(
      report.problems.map(({ kind, type, version, sagas }) => ({ kind, type, version, sagas })),
      [{ kind: 'missing-version', type: 'evolving', version: 1, sagas: 3 }],
    );
    for (const saga of running) {
      const now = await skald.saga(saga.id);
      assert.equal(now.status, 'running');
      assert.equal(now.waitReason, 'definition-missing');
    }
    const listed = await skald.request<{ items: SagaResource[] }>(
      'GET',
      '/v1/sagas?waitReason=definition-missing',
    );
    assert.deepEqual(listed.body.items.map((s) => s.id).sort(), running.map((s) => s.id).sort());
    // a saga of the registered version is not concerned
    const fresh = await skald.startSaga('evolving', {});
    assert.equal(fresh.version, 2);
    assert.equal((await skald.saga(fresh.id)).waitReason, undefined);
  });

  it('clears definition-missing once the version is registered again, without the override', async () => {
    await skald.restart({ sagas: [V1, V2], env: {} });
    for (const saga of running) assert.equal((await skald.saga(saga.id)).waitReason, undefined);
    const report = await check();
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.equal(report.unfinishedSagas, 4);
  });
});
