// Issue #11 item 1, as a user would hit it: the demo participants frozen (SIGSTOP) while a trip
// starts, so reserve-car times out and is compensated with its outcome unknown; once they run
// again (SIGCONT) they reserve the car late, and the compensation must still cancel it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import { OrchestratorHarness, startTestProcess, waitUntil, type TestProcess } from '@skald/testing';

describe('a step whose outcome is unknown is undone by its compensation', () => {
  let skald: OrchestratorHarness;
  let participants: TestProcess;
  let pool: Pool;

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas: [join(__dirname, '../fixtures/quick-trip.ts')],
    });
    participants = startTestProcess(
      join(__dirname, '../../src/main.ts'),
      {
        DATABASE_URL: skald.db.url,
        KAFKA_BROKERS: skald.brokers.join(','),
        SKALD_TOPIC_PREFIX: skald.topicPrefix,
        SKALD_URL: skald.url,
      },
      'demo participants consuming',
    );
    await participants.ready;
    pool = new Pool({ connectionString: skald.db.url });
  });
  // each part may be missing when before() failed half-way; the rest must still stop
  after(async () => {
    participants?.child.kill('SIGCONT');
    await participants?.stop();
    await pool?.end();
    await skald?.stop();
  });

  it('cancels the car the frozen participant reserved after its step timed out', async () => {
    participants.child.kill('SIGSTOP');
    const saga = await skald.startSaga('quick-trip', {
      customer: 'ada',
      car: { model: 'compact' },
    });
    await waitUntil(
      async () =>
        (await skald.history(saga.id)).some(
          (h) => h.type === 'compensation-started' && h.step === 'reserve-car',
        ),
      { timeoutMs: 20_000, what: 'reserve-car to time out and be compensated' },
    );
    assert.equal((await skald.saga(saga.id)).data.carId, undefined, 'the saga never saw the car');
    participants.child.kill('SIGCONT');

    await skald.waitForStatus(saga.id, 'compensated', 30_000);
    const cars = await pool.query<{ status: string }>(
      'SELECT status FROM demo_car_rentals WHERE saga_id = $1',
      [saga.id],
    );
    assert.deepEqual(
      cars.rows.map((r) => r.status),
      ['cancelled'],
      'the late reservation was cancelled',
    );
  });
});
