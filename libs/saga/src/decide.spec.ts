import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Outcome } from '@skald/protocol';
import { decide, initialState } from './decide';
import { command, defineSaga } from './define-saga';
import { DefinitionMismatchError, IllegalTransitionError } from './errors';
import { sagaScenario, type SagaScenario } from './scenario';
import type { OutgoingCommand, SagaState } from './types';

const trip = defineSaga('trip', { version: 1, deadlineMs: 60_000 })
  .input<{ vip: boolean }>()
  .data<{ carId?: string }>()
  .step('car', {
    invoke: () => command('cars', 'reserve'),
    compensate: (s) => command('cars', 'cancel', { id: s.data.carId }),
    onReply: (_s, r: { id: string }) => ({ carId: r.id }),
    retry: { maxAttempts: 3, initialMs: 100, maxMs: 1_000, jitter: 'none' },
    compensationRetry: { maxAttempts: 2, initialMs: 10, jitter: 'none' },
    timeoutMs: 1_000,
  })
  .step('lounge', { invoke: () => command('lounges', 'book'), when: (s) => s.input.vip })
  .parallel('stay', (g) =>
    g
      .step('hotel', {
        invoke: () => command('hotels', 'reserve'),
        compensate: () => command('hotels', 'cancel'),
        retry: { maxAttempts: 1 },
        timeoutMs: 1_000,
      })
      .step('museum', {
        invoke: () => command('museums', 'reserve'),
        compensate: () => command('museums', 'cancel'),
      }),
  )
  .step('charge', {
    invoke: () => command('payments', 'charge'),
    pivot: true,
    retry: { maxAttempts: 2, jitter: 'none' },
  })
  .step('notify', { invoke: () => command('mail', 'send'), retry: { maxAttempts: 1 } })
  .build();

/** The hotel's forward command, to reply to it after the museum's (the driver answers the last one taken). */
const hotelCommand = (s: SagaScenario) => ({
  id: s.state.steps.hotel.commandId!,
  step: 'hotel',
  phase: 'execute' as const,
  attempt: 1,
  run: 1,
  participant: 'hotels',
  command: 'reserve',
  payload: {},
});
const start = (vip = false) => sagaScenario(trip, { input: { vip } });
/** Drives the happy path up to (not including) the pivot's reply. */
const throughStay = () =>
  start()
    .expectCommand('cars', 'reserve')
    .reply('success', { id: 'c1' })
    .expectCommand('hotels', 'reserve')
    .expectCommand('museums', 'reserve');

describe('decide: forward', () => {
  it('runs sequential, conditional and parallel steps to completion', () => {
    const s = throughStay();
    s.reply('success')
      .reply('success', {}, hotelCommand(s))
      .expectCommand('payments', 'charge')
      .reply('success')
      .expectCommand('mail', 'send')
      .reply('success')
      .expectStatus('completed')
      .expectNoCommands();
    assert.equal(s.state.steps.lounge.status, 'skipped');
    assert.equal(s.state.data.carId, 'c1');
    assert.deepEqual(
      s.history.filter((h) => h.type === 'step-succeeded').map((h) => h.step),
      ['car', 'museum', 'hotel', 'charge', 'notify'],
    );
  });

  it('runs a conditional step when its predicate holds', () => {
    start(true)
      .expectCommand('cars', 'reserve')
      .reply('success', { id: 'c' })
      .expectCommand('lounges', 'book');
  });

  it('retries errors and timeouts with growing delays, with a new command id per attempt', () => {
    const s = start()
      .expectCommand('cars', 'reserve')
      .reply('error', { code: 'BUSY', message: 'try later' });
    assert.equal(s.state.steps.car.status, 'retrying');
    s.advance(99).expectNoCommands().advance(1).expectCommand('cars', 'reserve');
    const second = s.state.steps.car.commandId;
    s.timeout();
    assert.equal(s.state.steps.car.outcomeUnknown, true);
    s.advance(200).expectCommand('cars', 'reserve').reply('success', { id: 'c3' });
    assert.notEqual(s.state.steps.car.commandId, second);
    assert.deepEqual(
      s.history.filter((h) => h.type === 'retry-scheduled').map((h) => h.details?.delayMs),
      [100, 200],
    );
    assert.equal(s.state.steps.car.attempts, 3);
    assert.equal(
      s.state.steps.car.outcomeUnknown,
      undefined,
      'a definitive reply settles the unknown',
    );
  });

  it('gives each step-timeout timer the id of the command whose answer it waits for', () => {
    let ids = 0;
    const ctx = { now: 0, newId: () => `cmd-${++ids}`, random: () => 0 };
    const replyTo = (state: SagaState, c: OutgoingCommand, outcome: Outcome, data = {}) =>
      decide(
        trip,
        state,
        { kind: 'reply', step: c.step, phase: c.phase, commandId: c.id, outcome, data },
        ctx,
      );
    const started = decide(
      trip,
      initialState(trip, { id: 's', input: { vip: false }, now: 0 }),
      { kind: 'start' },
      ctx,
    );
    const stay = replyTo(started.state, started.commands[0], 'success', { id: 'c1' });
    const hotel = stay.commands.find((c) => c.step === 'hotel')!;
    const undo = replyTo(stay.state, hotel, 'failure', { code: 'FULL', message: 'no rooms' });
    for (const [what, decision] of Object.entries({ started, stay, undo })) {
      const timeouts = decision.timers.filter((t) => t.kind === 'step-timeout');
      assert.deepEqual(
        timeouts.map((t) => [t.step, t.phase, t.attempt, t.commandId]),
        decision.commands.map((c) => [c.step, c.phase, c.attempt, c.id]),
        what,
      );
    }
    assert.deepEqual(
      undo.commands.map((c) => [c.step, c.phase]),
      [['museum', 'compensate']],
      'a compensation is covered too',
    );
  });

  it('ignores stale, duplicate and unawaited replies', () => {
    const s = start().expectCommand('cars', 'reserve');
    const first = s.unexpected.length === 0 ? s.state.steps.car.commandId! : '';
    s.reply('error', { code: 'BUSY', message: 'x' }).advance(100).expectCommand('cars', 'reserve');
    const before = s.state;
    const stale = decide(
      trip,
      before,
      {
        kind: 'reply',
        step: 'car',
        phase: 'execute',
        commandId: first,
        outcome: 'success',
        data: {},
      },
      { now: 0, newId: () => 'n', random: () => 0 },
    );
    assert.match(stale.ignored ?? '', /is not awaited/);
    assert.equal(stale.state, before);
    s.reply('success', { id: 'c' }).reply('success', { id: 'again' });
    assert.match(s.lastIgnored ?? '', /is not awaited/);
    assert.equal(s.state.data.carId, 'c');
  });

  it('never mutates the state it is given', () => {
    const state = initialState(trip, { id: 's', input: { vip: false }, now: 0 });
    const copy = structuredClone(state);
    decide(trip, state, { kind: 'start' }, { now: 0, newId: () => 'id', random: () => 0 });
    assert.deepEqual(state, copy);
  });

  it('refuses a state that does not match its definition', () => {
    const state = initialState(trip, { id: 's', input: {}, now: 0 });
    delete (state.steps as Record<string, unknown>).museum;
    assert.throws(
      () => decide(trip, state, { kind: 'start' }, { now: 0, newId: () => 'x', random: () => 0 }),
      (e: unknown) =>
        e instanceof DefinitionMismatchError &&
        /steps missing from the saga: museum/.test(e.message),
    );
  });
});

describe('decide: compensation', () => {
  it('compensates completed steps in reverse order after a business refusal', () => {
    const s = throughStay()
      .reply('failure', { code: 'CLOSED', message: 'museum closed' })
      .expectCommand('hotels', 'cancel')
      .reply('success')
      .expectCommand('cars', 'cancel', { id: 'c1' })
      .reply('success')
      .expectStatus('compensated');
    assert.equal(s.state.error?.code, 'CLOSED');
    assert.equal(s.state.steps.museum.status, 'failed');
    assert.equal(s.state.steps.hotel.status, 'compensated', 'the in-flight member is compensated');
  });

  it('compensates a step whose outcome is unknown after its retries timed out', () => {
    const s = start()
      .expectCommand('cars', 'reserve')
      .timeout()
      .advance(100)
      .expectCommand('cars', 'reserve')
      .timeout()
      .advance(200)
      .expectCommand('cars', 'reserve')
      .timeout()
      .expectCommand('cars', 'cancel')
      .reply('success')
      .expectStatus('compensated');
    assert.equal(s.state.error?.code, 'RETRIES_EXHAUSTED');
    assert.equal(s.state.steps.car.status, 'compensated');
  });

  it('retries a failing compensation, fails when exhausted, and resumes on request', () => {
    const s = throughStay()
      .reply('failure', { code: 'CLOSED', message: 'x' })
      .expectCommand('hotels', 'cancel')
      .reply('success')
      .expectCommand('cars', 'cancel')
      .reply('error', { code: 'DOWN', message: 'x' })
      .advance(10)
      .expectCommand('cars', 'cancel')
      .reply('error', { code: 'DOWN', message: 'x' })
      .expectStatus('failed');
    assert.equal(s.state.error?.code, 'COMPENSATION_FAILED');
    assert.equal(s.state.steps.car.status, 'compensation_failed');
    s.resume().expectCommand('cars', 'cancel').reply('success').expectStatus('compensated');
    assert.equal(s.state.error?.code, 'CLOSED', 'the original cause is kept');
    assert.ok(s.history.some((h) => h.type === 'resumed'));
  });

  it('lets an operator skip a failed compensation, with the reason in the history', () => {
    const s = start()
      .expectCommand('cars', 'reserve')
      .cancel('test')
      .expectCommand('cars', 'cancel')
      .reply('failure', { code: 'GONE', message: 'no such booking' })
      .expectStatus('failed');
    assert.throws(() => s.skipCompensation('hotel', 'x'), IllegalTransitionError);
    s.skipCompensation('car', 'cancelled by phone').expectStatus('compensated');
    assert.equal(s.state.steps.car.skipReason, 'cancelled by phone');
    assert.deepEqual(s.history.find((h) => h.type === 'compensation-skipped')?.details, {
      reason: 'cancelled by phone',
    });
  });

  it('compensates on cancel and on the deadline, but not past the pivot', () => {
    start()
      .expectCommand('cars', 'reserve')
      .cancel('changed mind')
      .expectCommand('cars', 'cancel')
      .reply('success')
      .expectStatus('compensated');
    const running = start().expectCommand('cars', 'reserve').reply('success', { id: 'c' }).state;
    const ctx = { now: 60_000, newId: () => 'x', random: () => 0 };
    const late = decide(trip, running, { kind: 'deadline' }, ctx);
    assert.equal(late.state.status, 'compensating');
    assert.equal(late.state.error?.code, 'DEADLINE_EXCEEDED');
    assert.deepEqual(
      late.commands.map((c) => `${c.participant}.${c.command}`),
      ['hotels.cancel', 'museums.cancel'],
      'in-flight members of the current stage first',
    );
    assert.throws(
      () => decide(trip, late.state, { kind: 'cancel' }, ctx),
      /is compensating; only a running or paused saga can be cancelled/,
    );
  });

  it('refuses cancel and ignores the deadline while the pivot’s command is out', () => {
    const s = throughStay().reply('success');
    s.reply('success', {}, hotelCommand(s)).expectCommand('payments', 'charge');
    assert.throws(() => s.cancel('too late'), /passed its pivot step/);
    const ctx = { now: 60_000, newId: () => 'x', random: () => 0 };
    assert.match(
      decide(trip, s.state, { kind: 'deadline' }, ctx).ignored ?? '',
      /after the pivot was sent/,
    );
    s.reply('success').expectCommand('mail', 'send');
  });

  it('after the pivot: retries forward, fails without compensating, resumes forward', () => {
    const s = throughStay().reply('success');
    s.reply('success', {}, hotelCommand(s))
      .expectCommand('payments', 'charge')
      .reply('success')
      .expectCommand('mail', 'send');
    assert.throws(() => s.cancel(), /passed its pivot step/);
    s.reply('failure', { code: 'BOUNCED', message: 'no mailbox' })
      .expectStatus('failed')
      .expectNoCommands();
    assert.equal(s.state.steps.car.status, 'succeeded', 'nothing compensated');
    s.resume().expectCommand('mail', 'send').reply('success').expectStatus('completed');
  });

  it('compensates a step given up on after transient errors only: a late attempt may still run', () => {
    const s = throughStay();
    s.reply('error', { code: 'DOWN', message: 'x' }, hotelCommand(s))
      .expectCommand('hotels', 'cancel')
      .reply('success')
      .expectCommand('museums', 'cancel')
      .reply('success')
      .expectCommand('cars', 'cancel')
      .reply('success')
      .expectStatus('compensated');
    assert.equal(s.state.steps.hotel.status, 'compensated');
    assert.ok(!s.history.some((h) => h.type === 'step-fenced'), 'every step has a compensation');
  });

  it('neither compensates nor fences a step the participant refused', () => {
    const s = throughStay()
      .reply('failure', { code: 'CLOSED', message: 'museum closed' })
      .expectCommand('hotels', 'cancel')
      .reply('success')
      .expectCommand('cars', 'cancel')
      .reply('success')
      .expectStatus('compensated');
    assert.equal(s.state.steps.museum.refused, true);
    assert.ok(!s.history.some((h) => h.type === 'step-fenced'));
  });

  it('fences a step with no compensation given up on after errors, and records the fence', () => {
    const s = throughStay().reply('success');
    s.reply('success', {}, hotelCommand(s))
      .expectCommand('payments', 'charge')
      .reply('error', { code: 'DOWN', message: 'x' })
      .advance(100)
      .expectCommand('payments', 'charge')
      .reply('error', { code: 'DOWN', message: 'x' })
      .expectCommand('payments', 'skald.fence')
      .expectCommand('hotels', 'cancel');
    assert.equal(s.history.filter((h) => h.type === 'step-fenced').length, 1);
    assert.equal(s.state.steps.charge.fenced, true);
  });

  /** Up to the pivot's second attempt timing out: its outcome is unknown, and it has no compensation. */
  const pivotUnknown = () => {
    const s = throughStay().reply('success');
    return s
      .reply('success', {}, hotelCommand(s))
      .expectCommand('payments', 'charge')
      .reply('error', { code: 'DOWN', message: 'x' })
      .advance(100)
      .expectCommand('payments', 'charge')
      .timeout()
      .expectCommand('payments', 'skald.fence');
  };

  it('asks the participant whether a step with no compensation ran; it did: the step succeeded', () => {
    const s = pivotUnknown();
    assert.equal(s.state.steps.charge.status, 'resolving');
    assert.throws(() => s.cancel(), /passed its pivot step/, 'the charge may have happened');
    s.reply('success', { executed: true, reply: { id: 'ch-1' } })
      .expectCommand('mail', 'send')
      .reply('success')
      .expectStatus('completed');
    assert.deepEqual(s.history.find((h) => h.type === 'outcome-resolved')?.details, {
      executed: true,
    });
  });

  it('asks the participant whether a step with no compensation ran; it did not: compensates', () => {
    const s = pivotUnknown()
      .reply('error', { code: 'BUSY', message: 'x' })
      .advance(1_000)
      .expectCommand('payments', 'skald.fence')
      .reply('success', { executed: false })
      .expectCommand('hotels', 'cancel');
    assert.equal(s.state.steps.charge.status, 'failed');
    assert.equal(s.state.error?.code, 'RETRIES_EXHAUSTED');
    assert.ok(!s.history.some((h) => h.type === 'step-fenced'), 'already fenced: not again');
  });

  it("runs an operator's retry of a step past the pivot as a new run of it", () => {
    const s = throughStay().reply('success');
    s.reply('success', {}, hotelCommand(s))
      .expectCommand('payments', 'charge')
      .reply('success')
      .expectCommand('mail', 'send')
      .reply('failure', { code: 'BOUNCED', message: 'no mailbox' })
      .expectStatus('failed');
    assert.equal(s.unexpected.length, 0);
    s.resume();
    const retried = s.unexpected[0];
    assert.deepEqual([retried.step, retried.attempt, retried.run], ['notify', 1, 2]);
    assert.equal(s.state.steps.notify.refused, undefined, 'the refusal belongs to run 1');
  });

  it('refuses to send a compensation to another participant than the step went to', () => {
    const refundAnywhere = defineSaga('refund-anywhere', { version: 1 })
      .input<{ refunder: string }>()
      .step('charge', {
        invoke: () => command('payments', 'charge'),
        // the participant depends on the input, so build() cannot see it; decide() does
        compensate: (s) => command(s.input.refunder, 'refund'),
      })
      .step('ship', { invoke: () => command('shipping', 'ship') })
      .build();
    const s = sagaScenario(refundAnywhere, { input: { refunder: 'refunds' } })
      .expectCommand('payments', 'charge')
      .reply('success')
      .expectCommand('shipping', 'ship')
      .reply('failure', { code: 'NO', message: 'x' })
      .expectNoCommands()
      .expectStatus('failed');
    assert.equal(s.state.steps.charge.error?.code, 'COMPENSATION_PARTICIPANT_MISMATCH');
    assert.match(s.state.steps.charge.error?.message ?? '', /goes to participant "refunds"/);
  });

  it('turns throwing callbacks into failures with clear codes', () => {
    const broken = defineSaga('broken', { version: 1 })
      .step('a', {
        invoke: () => command('p', 'a'),
        compensate: () => {
          throw new Error('no undo');
        },
        onReply: () => {
          throw new Error('bad reply');
        },
      })
      .step('b', {
        invoke: () => {
          throw new Error('cannot build');
        },
      })
      .build();
    const s = sagaScenario(broken, { input: {} }).expectCommand('p', 'a').reply('success');
    assert.equal(s.state.error?.code, 'COMPENSATION_FAILED');
    assert.equal(s.state.steps.a.error?.code, 'COMPENSATE_FAILED');
    assert.equal(
      (s.state.error?.details as { cause: { code: string } }).cause.code,
      'ON_REPLY_FAILED',
    );
    const invokeFails = sagaScenario(
      defineSaga('b2', { version: 1 })
        .step('b', {
          invoke: () => {
            throw new Error('cannot build');
          },
        })
        .build(),
      { input: {} },
    );
    invokeFails.expectStatus('compensated').expectNoCommands();
    assert.match(invokeFails.state.error?.message ?? '', /invoke failed: cannot build/);
  });
});
