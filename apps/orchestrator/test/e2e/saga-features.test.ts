import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CommandEnvelope } from '@skald/protocol';
import { OrchestratorHarness, type ScriptedAnswer, type ScriptedParticipant } from '@skald/testing';

/** Per customer and participant: each test uses its own customer, so tests never share answers. */
type Script = (command: CommandEnvelope, attempt: number) => ScriptedAnswer;
const scripts = new Map<string, Script>();
const ok = (id: string): ScriptedAnswer => ({ outcome: 'success', data: { id } });

function scripted(participant: string) {
  return (command: CommandEnvelope, received: CommandEnvelope[]): ScriptedAnswer => {
    // every command of feature-sagas.ts names its customer
    const customer = (command.data as { customer: string }).customer;
    const script = scripts.get(`${customer}:${participant}`);
    const attempt = received.filter(
      (c) => c.sagaId === command.sagaId && c.step === command.step && c.phase === command.phase,
    ).length;
    return script ? script(command, attempt) : ok(`${participant}-${command.sagaId.slice(0, 8)}`);
  };
}

const PARTICIPANTS = ['seats', 'cards', 'approvals', 'insurers', 'rooms'] as const;

describe('saga features end to end (orchestrator process, real Kafka and PostgreSQL)', () => {
  let skald: OrchestratorHarness;
  let participants = {} as Record<(typeof PARTICIPANTS)[number], ScriptedParticipant>;

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas: [join(__dirname, '../fixtures/feature-sagas.ts')],
    });
    participants = await skald.scriptedParticipants(PARTICIPANTS, scripted);
  });
  after(async () => {
    await Promise.all(Object.values(participants).map((p) => p.stop()));
    await skald.stop();
  });

  async function start(
    type: string,
    customer: string,
    script: Record<string, Script> = {},
    input: Record<string, unknown> = {},
  ) {
    for (const [participant, s] of Object.entries(script))
      scripts.set(`${customer}:${participant}`, s);
    return skald.startSaga(type, { customer, ...input });
  }

  const received = (participant: keyof typeof participants, sagaId: string) =>
    participants[participant].received.filter((c) => c.sagaId === sagaId);
  const types = async (sagaId: string, step?: string) =>
    (await skald.history(sagaId))
      .filter((h) => step === undefined || h.step === step)
      .map((h) => h.type);

  describe('nonRetryableCodes', () => {
    it('fails the step at once on a listed error code, and compensates', async () => {
      const saga = await start('charge-once', 'ada', {
        cards: () => ({ outcome: 'error', code: 'CARD_STOLEN', message: 'reported stolen' }),
      });
      const done = await skald.waitForStatus(saga.id, 'compensated');
      assert.equal(done.error?.code, 'CARD_STOLEN', 'the cause itself, not RETRIES_EXHAUSTED');
      assert.deepEqual(
        done.steps.map((s) => [s.name, s.status, s.attempts]),
        [
          ['hold-seat', 'compensated', 1],
          ['charge', 'failed', 1],
        ],
      );
      const history = await types(saga.id);
      assert.ok(!history.includes('retry-scheduled'), `no retry in ${history.join(', ')}`);
      // an `error` stores nothing at the participant, so the charge it gave up on is fenced
      assert.deepEqual(
        received('cards', saga.id).map((c) => [c.phase, c.attempt]),
        [
          ['execute', 1],
          ['fence', 1],
        ],
      );
      assert.deepEqual(
        received('seats', saga.id).map((c) => c.phase),
        ['execute', 'compensate'],
      );
    });

    it('retries an error code that is not listed', async () => {
      const saga = await start('charge-once', 'blaise', {
        cards: (_c, attempt) =>
          attempt === 1 ? { outcome: 'error', code: 'GATEWAY_DOWN' } : ok('charge-2'),
      });
      const done = await skald.waitForStatus(saga.id, 'completed');
      assert.equal(done.steps.find((s) => s.name === 'charge')!.attempts, 2);
      const retries = (await skald.history(saga.id)).filter((h) => h.type === 'retry-scheduled');
      assert.deepEqual(
        retries.map((r) => [r.step, r.details?.attempt, r.details?.reason]),
        [['charge', 2, 'GATEWAY_DOWN']],
      );
      assert.deepEqual(
        received('cards', saga.id).map((c) => c.attempt),
        [1, 2],
      );
    });
  });

  it('compensates when the saga deadline passes while a step never answers', async () => {
    const saga = await start('hurry', 'cyrus', {
      approvals: (c) => (c.phase === 'execute' ? { outcome: 'none' } : ok('revoked')),
    });
    const done = await skald.waitForStatus(saga.id, 'compensated');
    assert.equal(done.error?.code, 'DEADLINE_EXCEEDED');
    assert.deepEqual(
      done.steps.map((s) => [s.name, s.status, s.attempts]),
      [
        ['hold-seat', 'compensated', 1],
        // its command went out and no answer came: outcome unknown, so compensated too
        ['approve', 'compensated', 1],
      ],
    );
    const history = await skald.history(saga.id);
    const deadline = history.findIndex((h) => h.type === 'deadline-passed');
    assert.ok(deadline >= 0, history.map((h) => h.type).join(', '));
    assert.ok(
      !history.some((h) => h.type === 'step-timed-out'),
      'the 60 s step timeout never fired: the deadline ended the wait',
    );
    const seatDone = history.findIndex(
      (h) => h.type === 'step-succeeded' && h.step === 'hold-seat',
    );
    assert.ok(seatDone >= 0 && seatDone < deadline, 'the seat hold had completed before');
    assert.deepEqual(
      received('approvals', saga.id).map((c) => c.phase),
      ['execute', 'compensate'],
    );
    assert.deepEqual(
      received('seats', saga.id).map((c) => c.phase),
      ['execute', 'compensate'],
      'the completed seat hold is released',
    );
  });

  describe('a conditional step', () => {
    it('is skipped when its predicate is false, and its participant hears nothing', async () => {
      const saga = await start('maybe-insure', 'dora', {}, { insure: false });
      const done = await skald.waitForStatus(saga.id, 'completed');
      assert.deepEqual(
        done.steps.map((s) => [s.name, s.status]),
        [
          ['hold-seat', 'succeeded'],
          ['insure', 'skipped'],
          ['confirm', 'succeeded'],
        ],
      );
      // no command-sent for it: no command was ever written to the outbox
      assert.deepEqual(await types(saga.id, 'insure'), ['step-skipped']);
      assert.deepEqual(received('insurers', saga.id), []);
    });

    it('runs when its predicate is true', async () => {
      const saga = await start('maybe-insure', 'emil', {}, { insure: true });
      const done = await skald.waitForStatus(saga.id, 'completed');
      assert.deepEqual(
        done.steps.map((s) => [s.name, s.status]),
        [
          ['hold-seat', 'succeeded'],
          ['insure', 'succeeded'],
          ['confirm', 'succeeded'],
        ],
      );
      const history = await types(saga.id, 'insure');
      assert.ok(!history.includes('step-skipped'));
      assert.ok(history.includes('step-succeeded'));
      assert.deepEqual(
        received('insurers', saga.id).map((c) => [c.command, c.phase]),
        [['cover', 'execute']],
      );
    });
  });

  it('lets an operator skip a compensation that keeps failing, then compensates the rest', async () => {
    const saga = await start('two-holds', 'flora', {
      cards: () => ({ outcome: 'failure', code: 'DECLINED', message: 'card declined' }),
      rooms: (c) =>
        c.phase === 'compensate' ? { outcome: 'error', code: 'ROOMS_DB_DOWN' } : ok('room-1'),
    });
    const failed = await skald.waitForStatus(saga.id, 'failed');
    assert.equal(failed.error?.code, 'COMPENSATION_FAILED');
    assert.deepEqual(
      failed.steps.map((s) => [s.name, s.status]),
      [
        ['hold-seat', 'succeeded'],
        ['hold-room', 'compensation_failed'],
        ['pay', 'failed'],
      ],
    );
    assert.deepEqual(
      received('seats', saga.id).map((c) => c.phase),
      ['execute'],
      'the seat waits behind the failed room',
    );

    const reason = 'room released by hand, ticket OPS-42';
    const skipped = await skald.request<{ status: string }>(
      'POST',
      `/v1/sagas/${saga.id}/steps/hold-room/skip-compensation`,
      { reason },
    );
    assert.equal(skipped.status, 202, JSON.stringify(skipped.body));

    const done = await skald.waitForStatus(saga.id, 'compensated');
    assert.equal(done.error?.code, 'DECLINED', 'the cause of the compensation again');
    assert.deepEqual(
      done.steps.map((s) => [s.name, s.status]),
      [
        ['hold-seat', 'compensated'],
        ['hold-room', 'compensation_skipped'],
        ['pay', 'failed'],
      ],
    );
    const history = await skald.history(saga.id);
    const skip = history.findIndex((h) => h.type === 'compensation-skipped');
    assert.ok(skip >= 0, history.map((h) => h.type).join(', '));
    assert.equal(history[skip].step, 'hold-room');
    assert.equal(history[skip].details?.reason, reason);
    assert.ok(
      skip < history.findIndex((h) => h.type === 'compensation-started' && h.step === 'hold-seat'),
      'the seat is released after the skip',
    );
    const room = await skald.request<{ steps: { name: string; skipReason?: string }[] }>(
      'GET',
      `/v1/sagas/${saga.id}`,
    );
    assert.equal(room.body.steps.find((s) => s.name === 'hold-room')?.skipReason, reason);
    assert.deepEqual(
      received('rooms', saga.id).map((c) => [c.phase, c.attempt]),
      [
        ['execute', 1],
        ['compensate', 1],
        ['compensate', 2],
      ],
      'no release of the room after the skip',
    );
    assert.deepEqual(
      received('seats', saga.id).map((c) => c.phase),
      ['execute', 'compensate'],
    );
  });
});
