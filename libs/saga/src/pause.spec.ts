import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { command, defineSaga } from './define-saga';
import { IllegalTransitionError } from './errors';
import { sagaScenario } from './scenario';

const errorReply = { code: 'DOWN', message: 'hotels is down' };

/** car → hotel (pauses when its 2 attempts fail, skippable) → flight (compensates on exhaustion). */
const trip = defineSaga('paused-trip', { version: 1, deadlineMs: 60_000, onExhausted: 'pause' })
  .step('car', {
    invoke: () => command('cars', 'reserve'),
    compensate: () => command('cars', 'cancel'),
  })
  .step('hotel', {
    invoke: () => command('hotels', 'reserve'),
    compensate: () => command('hotels', 'cancel'),
    retry: { maxAttempts: 2, initialMs: 100, jitter: 'none' },
    timeoutMs: 1_000,
    skippable: true,
  })
  .step('flight', {
    invoke: () => command('flights', 'book'),
    compensate: () => command('flights', 'cancel'),
    retry: { maxAttempts: 1 },
    onExhausted: 'compensate',
  })
  .build();

/** Car reserved, both hotel attempts answered `error`: the saga is paused on the hotel. */
const pausedOnHotel = () =>
  sagaScenario(trip, { input: {} })
    .expectCommand('cars', 'reserve')
    .reply('success')
    .expectCommand('hotels', 'reserve')
    .reply('error', errorReply)
    .advance(100)
    .expectCommand('hotels', 'reserve')
    .reply('error', errorReply)
    .expectStatus('paused');

describe('onExhausted: pause', () => {
  it('pauses the saga instead of compensating, with the step and its last error', () => {
    const s = pausedOnHotel().expectNoCommands();
    assert.equal(s.state.steps.hotel.status, 'paused');
    assert.equal(s.state.steps.car.status, 'succeeded');
    assert.equal(s.state.error?.code, 'RETRIES_EXHAUSTED');
    const paused = s.history.find((h) => h.type === 'paused');
    assert.equal(paused?.step, 'hotel');
    assert.deepEqual((paused?.details?.error as { details: unknown }).details, {
      lastError: { ...errorReply, step: 'hotel' },
    });
  });

  it('holds the timers: the deadline does not fire while paused', () => {
    const s = pausedOnHotel().advance(120_000).expectStatus('paused').expectNoCommands();
    assert.equal(s.lastIgnored, undefined);
  });

  it('resume runs the paused step again from attempt 1, and the saga completes', () => {
    const s = pausedOnHotel().unpause();
    s.expectStatus('running').expectCommand('hotels', 'reserve');
    assert.equal(s.state.steps.hotel.attempts, 1);
    assert.equal(s.state.error, undefined);
    s.reply('success').expectCommand('flights', 'book').reply('success').expectStatus('completed');
    assert.deepEqual(s.history.find((h) => h.type === 'resumed')?.details, {
      from: 'paused',
      steps: ['hotel'],
    });
  });

  it('a step with onExhausted: compensate still compensates in a saga that pauses by default', () => {
    pausedOnHotel()
      .unpause()
      .expectCommand('hotels', 'reserve')
      .reply('success')
      .expectCommand('flights', 'book')
      .reply('error')
      // an `error` may have had an effect: the flight is compensated too
      .expectCommand('flights', 'cancel')
      .reply('success')
      .expectCommand('hotels', 'cancel')
      .reply('success')
      .expectCommand('cars', 'cancel')
      .reply('success')
      .expectStatus('compensated');
  });

  it('cancel of a paused saga compensates, the paused step included (its outcome may be known or not)', () => {
    const s = pausedOnHotel()
      .cancel('not today')
      .expectStatus('compensating')
      .expectCommand('hotels', 'cancel')
      .reply('success')
      .expectCommand('cars', 'cancel')
      .reply('success')
      .expectStatus('compensated');
    assert.equal(s.state.error?.code, 'CANCELLED');
  });

  it('skip of a skippable paused step fences it and resumes the saga after it', () => {
    const s = pausedOnHotel().skipStep('hotel', 'booked by phone');
    s.expectCommand('hotels', 'skald.fence').expectCommand('flights', 'book');
    assert.equal(s.state.steps.hotel.status, 'skipped');
    assert.equal(s.state.steps.hotel.skipReason, 'booked by phone');
    s.reply('success').expectStatus('completed');
  });

  it('refuses resume and skip of a saga that is not paused, and skip of a step not skippable', () => {
    const running = sagaScenario(trip, { input: {} });
    assert.throws(() => running.unpause(), IllegalTransitionError);
    assert.throws(() => running.skipStep('car', 'x'), IllegalTransitionError);
    const strict = defineSaga('strict', { version: 1 })
      .step('only', {
        invoke: () => command('a', 'b'),
        retry: { maxAttempts: 1 },
        onExhausted: 'pause',
      })
      .build();
    const s = sagaScenario(strict, { input: {} }).expectCommand('a', 'b').reply('error');
    s.expectStatus('paused');
    assert.throws(() => s.skipStep('only', 'x'), /does not set skippable: true/);
  });

  it('a business failure still compensates: only running out of attempts pauses', () => {
    sagaScenario(trip, { input: {} })
      .expectCommand('cars', 'reserve')
      .reply('success')
      .expectCommand('hotels', 'reserve')
      .reply('failure', { code: 'FULL', message: 'no rooms' })
      .expectCommand('cars', 'cancel')
      .reply('success')
      .expectStatus('compensated');
  });
});

describe('a paused pivot', () => {
  const charge = defineSaga('paused-charge', { version: 1 })
    .step('reserve', {
      invoke: () => command('stock', 'reserve'),
      compensate: () => command('stock', 'release'),
    })
    .step('charge', {
      invoke: () => command('payments', 'charge'),
      pivot: true,
      retry: { maxAttempts: 1 },
      timeoutMs: 1_000,
      onExhausted: 'pause',
    })
    .build();
  const pausedOnCharge = () =>
    sagaScenario(charge, { input: {} })
      .expectCommand('stock', 'reserve')
      .reply('success')
      .expectCommand('payments', 'charge');

  it('whose last attempt timed out may have charged: cancel is refused, resume goes on', () => {
    const s = pausedOnCharge().timeout().expectStatus('paused');
    assert.throws(() => s.cancel(), /has passed its pivot step/);
    s.unpause().expectCommand('payments', 'charge').reply('success').expectStatus('completed');
  });

  it('whose attempts all answered `error` is cancelled like any step: it is fenced', () => {
    pausedOnCharge()
      .reply('error')
      .expectStatus('paused')
      .cancel()
      .expectCommand('payments', 'skald.fence')
      .expectCommand('stock', 'release')
      .reply('success')
      .expectStatus('compensated');
  });
});

describe('operator pause', () => {
  /** Paused by an operator while the hotel's first attempt is out. */
  const pausedWhileHotelOut = () =>
    sagaScenario(trip, { input: {} })
      .expectCommand('cars', 'reserve')
      .reply('success')
      .expectCommand('hotels', 'reserve')
      .pause('maintenance at hotels')
      .expectStatus('paused');

  it('a reply that arrives while paused applies to its step; the saga moves on once resumed', () => {
    const s = pausedWhileHotelOut().reply('success').expectStatus('paused').expectNoCommands();
    assert.equal(s.state.steps.hotel.status, 'succeeded');
    s.unpause().expectCommand('flights', 'book').reply('success').expectStatus('completed');
  });

  it('holds the step timeout and the retry while paused; they fire after the resume', () => {
    const s = pausedWhileHotelOut().advance(5_000).expectNoCommands();
    assert.equal(s.state.steps.hotel.status, 'running');
    s.reply('error', errorReply).advance(5_000).expectNoCommands();
    assert.equal(s.state.steps.hotel.status, 'retrying');
    s.unpause().advance(0).expectCommand('hotels', 'reserve').reply('success');
    s.expectCommand('flights', 'book').reply('success').expectStatus('completed');
  });

  it('a failure while paused compensates once resumed', () => {
    pausedWhileHotelOut()
      .reply('failure', { code: 'FULL', message: 'no rooms' })
      .expectStatus('paused')
      .expectNoCommands()
      .unpause()
      .expectCommand('cars', 'cancel')
      .reply('success')
      .expectStatus('compensated');
  });

  it('refuses to pause a saga that is not running', () => {
    const s = pausedWhileHotelOut();
    assert.throws(() => s.pause('again'), /only a running saga can be paused/);
  });

  it('the definition describes each step policy', () => {
    const hotel = trip.describe().stages[1].steps[0];
    assert.equal(hotel.onExhausted, 'pause');
    assert.equal(hotel.skippable, true);
    assert.equal(trip.describe().stages[2].steps[0].onExhausted, 'compensate');
    assert.throws(
      () =>
        defineSaga('bad', { version: 1 })
          // @ts-expect-error: not a policy
          .step('x', { invoke: () => command('a', 'b'), onExhausted: 'retry' })
          .build(),
      /step "x": onExhausted must be one of compensate, pause/,
    );
  });
});
