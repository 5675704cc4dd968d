import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  OrchestratorHarness,
  startScriptedParticipant,
  type ScriptedParticipant,
} from '@skald/testing';

describe('definition versions: a running saga finishes on the version it started with', () => {
  let skald: OrchestratorHarness;
  let cars: ScriptedParticipant;
  let hotels: ScriptedParticipant;

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas: [join(__dirname, '../fixtures/versioned-v1.ts')],
    });
    const participant = (name: string) =>
      startScriptedParticipant({
        name,
        brokers: skald.brokers,
        topicPrefix: skald.topicPrefix,
        answer: () => ({ outcome: 'none' }),
      });
    [cars, hotels] = await Promise.all([participant('cars'), participant('hotels')]);
  });
  after(async () => {
    await Promise.all([cars.stop(), hotels.stop()]);
    await skald.stop();
  });

  it('keeps a v1 saga on v1 after v2 is deployed, while new sagas start on v2', async () => {
    const old = await skald.startSaga('versioned', {});
    assert.equal(old.version, 1);
    const oldCommand = await cars.waitFor((c) => c.sagaId === old.id);

    // deploy v2 next to v1 while the v1 saga waits for its reply
    await skald.restart({ sagas: [join(__dirname, '../fixtures/versioned-v2.ts')] });
    const fresh = await skald.startSaga('versioned', {});
    assert.equal(fresh.version, 2);
    assert.deepEqual(
      fresh.steps.map((s) => s.name),
      ['first', 'second'],
    );

    await cars.reply(oldCommand, { outcome: 'success', data: {} });
    const done = await skald.waitForStatus(old.id, 'completed');
    assert.equal(done.version, 1);
    assert.deepEqual(
      done.steps.map((s) => s.name),
      ['first'],
    );
    assert.ok(!hotels.received.some((c) => c.sagaId === old.id), 'v1 never runs the v2 step');

    const freshFirst = await cars.waitFor((c) => c.sagaId === fresh.id);
    assert.deepEqual(freshFirst.data, { v: 2 });
    await cars.reply(freshFirst, { outcome: 'success', data: {} });
    const second = await hotels.waitFor((c) => c.sagaId === fresh.id);
    await hotels.reply(second, { outcome: 'success', data: {} });
    await skald.waitForStatus(fresh.id, 'completed');
  });

  it('finishes a saga after the orchestrator was SIGKILLed while it waited for a reply', async () => {
    const saga = await skald.startSaga('versioned', {});
    const first = await cars.waitFor((c) => c.sagaId === saga.id);
    await skald.restart({ signal: 'SIGKILL' });
    assert.equal(skald.process.child.exitCode, null, 'a new process runs');
    await cars.reply(first, { outcome: 'success', data: {} });
    const second = await hotels.waitFor((c) => c.sagaId === saga.id);
    await hotels.reply(second, { outcome: 'success', data: {} });
    const done = await skald.waitForStatus(saga.id, 'completed');
    assert.deepEqual(
      done.steps.map((s) => s.status),
      ['succeeded', 'succeeded'],
    );
  });
});
