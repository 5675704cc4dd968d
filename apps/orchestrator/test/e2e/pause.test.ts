// Pause instead of compensate (issue #18 item 3), with an orchestrator process, scripted
// participants on real Kafka and a real PostgreSQL: a step with onExhausted 'pause' pauses and
// resume completes the saga; an operator pause of a participant's sagas holds them (even when
// the participant answers, and past the step's timeout) until they are resumed; cancel of a
// paused saga compensates; skip of a paused skippable step moves on.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import type { CommandEnvelope } from '@skald/protocol';
import {
  OrchestratorHarness,
  type SagaResource,
  type ScriptedAnswer,
  type ScriptedParticipant,
} from '@skald/testing';

/** How the hotels answer each customer's reservation (default: success); attempt counts from 1. */
const hotelScripts = new Map<string, (attempt: number) => ScriptedAnswer>();
const customerOf = (c: CommandEnvelope) => (c.data as { customer: string }).customer;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pause instead of compensate (orchestrator process, real Kafka and PostgreSQL)', () => {
  let skald: OrchestratorHarness;
  let participants: Record<'cars' | 'hotels', ScriptedParticipant>;
  let pool: Pool;

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas: [join(__dirname, '../fixtures/pause-sagas.ts')],
    });
    participants = await skald.scriptedParticipants(['cars', 'hotels'], (name) => {
      return (command, received) => {
        if (name === 'cars' || command.phase !== 'execute') return { outcome: 'success' };
        const attempt = received.filter(
          (c) => c.sagaId === command.sagaId && c.phase === 'execute',
        ).length;
        return hotelScripts.get(customerOf(command))?.(attempt) ?? { outcome: 'success' };
      };
    });
    pool = new Pool({ connectionString: skald.db.url });
  });
  after(async () => {
    await pool?.end();
    await Promise.all(Object.values(participants ?? {}).map((p) => p.stop()));
    await skald?.stop();
  });

  const start = (customer: string, hotels?: (attempt: number) => ScriptedAnswer) => {
    if (hotels) hotelScripts.set(customer, hotels);
    return skald.startSaga('pausing-trip', { customer });
  };
  const down: ScriptedAnswer = { outcome: 'error', code: 'HOTELS_DOWN' };
  const listed = async (query: string) =>
    (await skald.request<{ items: SagaResource[] }>('GET', `/v1/sagas?${query}`)).body.items.map(
      (s) => s.id,
    );
  const commandsTo = (participant: 'cars' | 'hotels', sagaId: string, phase = 'execute') =>
    participants[participant].received.filter((c) => c.sagaId === sagaId && c.phase === phase);
  const step = (saga: SagaResource, name: string) => saga.steps.find((s) => s.name === name)!;

  it('a step whose retries run out pauses the saga, and resume completes it', async () => {
    const saga = await start('paula', (attempt) => (attempt <= 2 ? down : { outcome: 'success' }));
    const paused = await skald.waitForStatus(saga.id, 'paused');
    assert.equal(paused.waitReason, 'paused');
    assert.equal(paused.error?.code, 'RETRIES_EXHAUSTED');
    assert.equal(step(paused, 'reserve-hotel').status, 'paused');
    assert.ok((await listed('status=paused')).includes(saga.id));
    assert.ok((await listed('waitReason=paused')).includes(saga.id));
    const history = await skald.history(saga.id);
    const pausedEntry = history.find((h) => h.type === 'paused');
    assert.equal(pausedEntry?.step, 'reserve-hotel');
    assert.equal(pausedEntry?.details?.participant, 'hotels');
    // nothing was compensated
    assert.ok(!history.some((h) => h.type === 'compensation-started'));
    assert.equal(commandsTo('cars', saga.id, 'compensate').length, 0);

    const resumed = await skald.request<SagaResource>('POST', `/v1/sagas/${saga.id}/resume`);
    assert.equal(resumed.status, 202);
    const done = await skald.waitForStatus(saga.id, 'completed');
    assert.equal(done.waitReason, undefined);
    assert.equal(step(done, 'reserve-hotel').attempts, 1, 'runs again from attempt 1');
    assert.equal(commandsTo('hotels', saga.id).length, 3);
    const resumedEntry = (await skald.history(saga.id)).find((h) => h.type === 'resumed');
    assert.deepEqual(resumedEntry?.details?.steps, ['reserve-hotel']);
    assert.ok(!(await listed('waitReason=paused')).includes(saga.id));
    // 409 unless paused
    const again = await skald.request('POST', `/v1/sagas/${saga.id}/resume`);
    assert.equal(again.status, 409);
    const pauseDone = await skald.request('POST', `/v1/sagas/${saga.id}/pause`, { reason: 'x' });
    assert.equal(pauseDone.status, 409);
  });

  it("an operator pause of a participant's sagas holds them until they are resumed", async () => {
    // the hotels keep the first attempt of these two sagas unanswered: the test answers them
    const silent = (attempt: number): ScriptedAnswer =>
      attempt === 1 ? { outcome: 'none' } : { outcome: 'success' };
    const sagas = [await start('olga', silent), await start('otto', silent)];
    const commands = await Promise.all(
      sagas.map((s) => participants.hotels.waitFor((c) => c.sagaId === s.id)),
    );
    const paused = await skald.request<{ count: number }>(
      'POST',
      '/v1/participants/hotels/pause-sagas',
      { reason: 'hotels maintenance' },
    );
    assert.deepEqual(paused, { status: 200, body: { count: 2 } });
    for (const saga of sagas) {
      const now = await skald.saga(saga.id);
      assert.equal(now.status, 'paused');
      assert.equal(now.waitReason, 'paused');
      const entry = (await skald.history(saga.id)).find((h) => h.type === 'paused');
      assert.equal(entry?.details?.reason, 'hotels maintenance');
      assert.equal(entry?.details?.participant, 'hotels');
    }
    // past the hotel step's timeout (1.5 s): held, it does not fire while paused
    await sleep(2_500);
    for (const saga of sagas) {
      const now = await skald.saga(saga.id);
      assert.equal(step(now, 'reserve-hotel').status, 'running');
      assert.equal(step(now, 'reserve-hotel').attempts, 1);
      const { rows } = await pool.query<{ kind: string; held: boolean }>(
        `SELECT kind, due_at = 'infinity' AS held FROM skald.timer WHERE saga_id = $1`,
        [saga.id],
      );
      assert.deepEqual(rows, [{ kind: 'step-timeout', held: true }], 'kept, held');
    }
    // the participant answers: the reply applies to the step, the saga stays paused
    for (const command of commands)
      await participants.hotels.reply(command, { outcome: 'success' });
    for (const saga of sagas) {
      const deadline = Date.now() + 20_000;
      let now = await skald.saga(saga.id);
      while (step(now, 'reserve-hotel').status !== 'succeeded' && Date.now() < deadline) {
        await sleep(100);
        now = await skald.saga(saga.id);
      }
      assert.equal(step(now, 'reserve-hotel').status, 'succeeded');
    }
    await sleep(500);
    for (const saga of sagas) assert.equal((await skald.saga(saga.id)).status, 'paused');

    const resumed = await skald.request('POST', '/v1/participants/hotels/resume-sagas');
    assert.deepEqual(resumed, { status: 200, body: { count: 2 } });
    for (const saga of sagas) {
      const done = await skald.waitForStatus(saga.id, 'completed');
      assert.equal(done.waitReason, undefined);
      assert.equal(commandsTo('hotels', saga.id).length, 1, 'the reply kept was used');
    }
  });

  it('resume releases a held timer: the step timeout fires then, and the retry completes the saga', async () => {
    const saga = await start('tim', (attempt) =>
      attempt === 1 ? { outcome: 'none' } : { outcome: 'success' },
    );
    await participants.hotels.waitFor((c) => c.sagaId === saga.id);
    const paused = await skald.request<SagaResource>('POST', `/v1/sagas/${saga.id}/pause`, {
      reason: 'look first',
    });
    assert.equal(paused.status, 202);
    assert.equal(paused.body.status, 'paused');
    await sleep(2_000);
    assert.equal(commandsTo('hotels', saga.id).length, 1, 'no retry while paused');
    await skald.request('POST', `/v1/sagas/${saga.id}/resume`);
    const done = await skald.waitForStatus(saga.id, 'completed', 10_000);
    assert.equal(step(done, 'reserve-hotel').attempts, 2);
    const history = await skald.history(saga.id);
    assert.ok(history.some((h) => h.type === 'step-timed-out' && h.step === 'reserve-hotel'));
  });

  it('cancel of a paused saga compensates', async () => {
    const saga = await start('carl', () => down);
    await skald.waitForStatus(saga.id, 'paused');
    const cancelled = await skald.request('POST', `/v1/sagas/${saga.id}/cancel`, {
      reason: 'give up',
    });
    assert.equal(cancelled.status, 202);
    const done = await skald.waitForStatus(saga.id, 'compensated');
    assert.equal(done.waitReason, undefined);
    assert.equal(commandsTo('cars', saga.id, 'compensate').length, 1);
    // an `error` reply may hide an effect: the hotel is compensated too
    assert.equal(step(done, 'reserve-hotel').status, 'compensated');
  });

  it('skip of a paused skippable step, with a reason, moves the saga on', async () => {
    const saga = await start('sami', () => down);
    await skald.waitForStatus(saga.id, 'paused');
    const noReason = await skald.request(
      'POST',
      `/v1/sagas/${saga.id}/steps/reserve-hotel/skip`,
      {},
    );
    assert.equal(noReason.status, 400);
    const notPaused = await skald.request('POST', `/v1/sagas/${saga.id}/steps/reserve-car/skip`, {
      reason: 'x',
    });
    assert.equal(notPaused.status, 409);
    const skipped = await skald.request('POST', `/v1/sagas/${saga.id}/steps/reserve-hotel/skip`, {
      reason: 'booked by phone',
    });
    assert.equal(skipped.status, 202);
    const done = await skald.waitForStatus(saga.id, 'completed');
    assert.equal(step(done, 'reserve-hotel').status, 'skipped');
    const entry = (await skald.history(saga.id)).find((h) => h.type === 'step-skipped');
    assert.equal(entry?.details?.reason, 'booked by phone');
  });
});
