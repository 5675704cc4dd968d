import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import {
  OrchestratorHarness,
  startScriptedParticipant,
  waitUntil,
  type ScriptedParticipant,
} from '@skald/testing';

const fixtures = join(__dirname, '../fixtures');

/** A timer the poller cannot apply is postponed by a minute (SagaEngine.fireDueTimer). */
async function timerPostponed(databaseUrl: string, sagaId: string): Promise<boolean> {
  const db = new Client(databaseUrl);
  await db.connect();
  try {
    const { rows } = await db.query(
      "SELECT 1 FROM skald.timer WHERE saga_id = $1 AND due_at > now() + interval '30 seconds'",
      [sagaId],
    );
    return rows.length > 0;
  } finally {
    await db.end();
  }
}

describe('sagas whose definition is no longer registered', () => {
  let skald: OrchestratorHarness;
  let cars: ScriptedParticipant;

  before(async () => {
    skald = await OrchestratorHarness.start({ sagas: [join(fixtures, 'trip-sagas.ts')] });
  });
  after(async () => {
    await cars?.stop();
    await skald.stop();
  });

  it('stay inspectable, and their timers do not block the timers of other sagas', async () => {
    // nobody answers: the book-trip saga has a step timeout (1.5 s) pending in the timer table
    const orphan = await skald.startSaga('book-trip', { customer: 'zoe' });
    // the override: without it the start-up check refuses (definition-check.test.ts)
    await skald.restart({
      sagas: [join(fixtures, 'versioned-v1.ts')],
      env: { SKALD_ALLOW_BREAKING_DEFINITIONS: 'true' },
    });

    let attempts = 0;
    cars = await startScriptedParticipant({
      name: 'cars',
      brokers: skald.brokers,
      topicPrefix: skald.topicPrefix,
      // answers only the versioned saga: an error first, so it needs its retry timer
      answer: (command) =>
        command.sagaId === orphan.id
          ? { outcome: 'none' }
          : ++attempts === 1
            ? { outcome: 'error', code: 'BUSY' }
            : { outcome: 'success', data: {} },
    });
    // the orphan's timeout came due first: the poller could not apply it and set it aside
    await waitUntil(() => timerPostponed(skald.db.url, orphan.id), {
      what: "the poller to postpone the orphan's step timeout",
    });
    const saga = await skald.startSaga('versioned', {});
    const done = await skald.waitForStatus(saga.id, 'completed', 20_000);
    assert.equal(done.steps[0].attempts, 2, 'its retry timer fired');

    const orphanNow = await skald.saga(orphan.id);
    assert.equal(orphanNow.status, 'running');
    assert.equal(orphanNow.steps[0].name, 'reserve-car', 'inspectable without its definition');
    assert.ok((await skald.counter('skald_timers_fired_total')) >= 1);

    // an operator acting on it is told why not and what to do, not answered 500
    for (const action of ['cancel', 'retry']) {
      const res = await skald.request<{ message: string }>(
        'POST',
        `/v1/sagas/${orphan.id}/${action}`,
        {},
      );
      assert.equal(res.status, 409, `${action}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.message, /book-trip v1 is not registered.*register every version/);
    }
  });
});
