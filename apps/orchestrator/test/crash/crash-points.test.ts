import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { Client } from 'pg';
import type { CommandEnvelope } from '@skald/protocol';
import {
  OrchestratorHarness,
  startScriptedParticipant,
  waitUntil,
  type ScriptedParticipant,
} from '@skald/testing';

const sagas = [join(__dirname, '../fixtures/patient-trip.ts')];

/**
 * Each test arms one named crash point (SKALD_CRASH_AT), lets the orchestrator SIGKILL itself
 * there, restarts it unarmed, and checks the saga still ends where its inputs say, with no
 * effect lost or applied twice.
 */
describe('orchestrator SIGKILLed at each named crash point', () => {
  let skald: OrchestratorHarness | undefined;
  let participants: ScriptedParticipant[] = [];
  const received: CommandEnvelope[] = [];

  async function boot(point: string, refuseFlights = false): Promise<OrchestratorHarness> {
    skald = await OrchestratorHarness.start({ sagas, env: { SKALD_CRASH_AT: point } });
    participants = await Promise.all(
      ['cars', 'hotels', 'flights', 'payments'].map((name) =>
        startScriptedParticipant({
          name,
          brokers: skald!.brokers,
          topicPrefix: skald!.topicPrefix,
          answer: (command) => {
            received.push(command);
            if (name === 'flights' && refuseFlights && command.phase === 'execute') {
              return { outcome: 'failure', code: 'NO_SEATS' };
            }
            return { outcome: 'success', data: { id: `${name}-1` } };
          },
        }),
      ),
    );
    return skald;
  }

  async function crashedThenRestarted(harness: OrchestratorHarness): Promise<void> {
    assert.equal(await harness.process.exited(), 'SIGKILL', 'the process died at the crash point');
    await harness.restart({ env: {} });
  }

  afterEach(async () => {
    await Promise.all(participants.map((p) => p.stop()));
    await skald?.stop();
    received.length = 0;
  });

  const commandsOf = (sagaId: string) => received.filter((c) => c.sagaId === sagaId);

  it('after the state commit, before the relay publishes: the saga exists and runs after restart', async () => {
    const harness = await boot('orchestrator:after-state-commit');
    await assert.rejects(
      harness.startSaga('patient-trip', { customer: 'a' }),
      'the request dies with the process',
    );
    await crashedThenRestarted(harness);
    const list = await harness.request<{ items: { id: string }[] }>('GET', '/v1/sagas');
    assert.equal(list.body.items.length, 1, 'the committed saga survived');
    await harness.waitForStatus(list.body.items[0].id, 'completed', 40_000);
  });

  it('after the handoff leased the commands, before it sent them: a relay sends them once the lease ends', async () => {
    const harness = await boot('orchestrator:after-handoff-lease');
    await assert.rejects(
      harness.startSaga('patient-trip', { customer: 'e' }),
      'the request dies with the process',
    );
    const db = new Client({ connectionString: harness.db.url });
    await db.connect();
    const { rows } = await db
      .query<{ leased: boolean }>('SELECT leased_until IS NOT NULL AS leased FROM skald.outbox')
      .finally(() => db.end());
    assert.deepEqual(rows, [{ leased: true }], 'the dead process left its command leased');
    await crashedThenRestarted(harness);
    const [saga] = (await harness.request<{ items: { id: string }[] }>('GET', '/v1/sagas')).body
      .items;
    await harness.waitForStatus(saga.id, 'completed', 40_000);
    const carCommands = commandsOf(saga.id).filter((c) => c.step === 'reserve-car');
    assert.equal(carCommands.length, 1, 'sent once, by the relay after the lease ended');
  });

  it('after the publish, before the row is marked: the command goes out twice and applies once', async () => {
    const harness = await boot('orchestrator:after-publish-before-mark');
    // the relay may publish (and die) before or after the HTTP answer is written
    await harness.startSaga('patient-trip', { customer: 'b' }).catch(() => undefined);
    await crashedThenRestarted(harness);
    const [saga] = (await harness.request<{ items: { id: string }[] }>('GET', '/v1/sagas')).body
      .items;
    const done = await harness.waitForStatus(saga.id, 'completed', 40_000);
    // the saga may complete on the first copy's reply before the copy a dead handoff leased is
    // sent again (when its lease ends)
    const carCommands = () => commandsOf(saga.id).filter((c) => c.step === 'reserve-car');
    await waitUntil(() => carCommands().length >= 2, { what: 'the command republished' });
    assert.equal(carCommands().length, 2, 'republished after the crash, once');
    const [first, again] = carCommands();
    assert.equal(first.id, again.id, 'the same ce_id, so receivers can dedupe');
    assert.equal(done.steps[0].attempts, 1);
    const applied = (await harness.history(saga.id)).filter(
      (h) => h.type === 'reply-applied' && h.step === 'reserve-car',
    );
    assert.equal(applied.length, 1, 'the second reply changed nothing');
  });

  it('after a reply is consumed, before its transaction commits: the reply is redelivered and applied once', async () => {
    const harness = await boot('orchestrator:reply-before-commit');
    const saga = await harness.startSaga('patient-trip', { customer: 'c' });
    await crashedThenRestarted(harness);
    await harness.waitForStatus(saga.id, 'completed', 40_000);
    const applied = (await harness.history(saga.id)).filter((h) => h.type === 'reply-applied');
    assert.deepEqual(
      applied.map((h) => h.step),
      ['reserve-car', 'reserve-hotel', 'book-flight', 'charge-card'],
    );
  });

  it('between two compensations: the rest of the compensation runs after restart, in order', async () => {
    const harness = await boot('orchestrator:between-compensations', true);
    const saga = await harness.startSaga('patient-trip', { customer: 'd' });
    await crashedThenRestarted(harness);
    const done = await harness.waitForStatus(saga.id, 'compensated', 40_000);
    assert.deepEqual(
      done.steps.map((s) => [s.name, s.status]),
      [
        ['reserve-car', 'compensated'],
        ['reserve-hotel', 'compensated'],
        ['book-flight', 'failed'],
        ['charge-card', 'pending'],
      ],
    );
    assert.deepEqual(
      commandsOf(saga.id)
        .filter((c) => c.phase === 'compensate')
        .map((c) => c.step),
      ['reserve-hotel', 'reserve-car'],
    );
  });
});
