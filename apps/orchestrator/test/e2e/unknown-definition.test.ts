import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  OrchestratorHarness,
  startScriptedParticipant,
  type ScriptedParticipant,
} from '@skald/testing';

const fixtures = join(__dirname, '../fixtures');

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
    await skald.restart({ sagas: [join(fixtures, 'versioned-v1.ts')] });

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
    await new Promise((r) => setTimeout(r, 2_000)); // the orphan's timeout is now due, and first in line
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
